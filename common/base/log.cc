#include "common/base/log.h"

#include <cstdio>

#include "absl/time/clock.h"
#include "common/base/names.h"

namespace dbdump {

void Log(const char* level, const std::string& component, const std::string& message) {
  // The wall clock directly, not a Clock: a log line's time is for people
  // reading it, and no logic depends on it.
  std::string line = absl::StrCat(TimeToString(absl::Now()), " ", level, " ", component, ": ",
                                   message, "\n");
  fwrite(line.data(), 1, line.size(), stderr);  // one write: lines never interleave
}

}  // namespace dbdump
