#include "controller/gateway/sse.h"

#include <google/protobuf/descriptor.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "controller/gateway/route_table.h"

namespace dbdump {

std::string SseEventName(const HttpRoute& route) {
  absl::string_view name = route.method->name();
  for (absl::string_view prefix : {"Follow", "Watch"}) {
    if (absl::StartsWith(name, prefix) && name.size() > prefix.size()) {
      name.remove_prefix(prefix.size());
      break;
    }
  }
  return absl::AsciiStrToLower(name);
}

std::string SseEvent(absl::string_view name, absl::string_view data) {
  std::string out = absl::StrCat("event: ", name, "\n");
  for (absl::string_view line : absl::StrSplit(data, '\n')) {
    absl::StrAppend(&out, "data: ", absl::StripSuffix(line, "\r"), "\n");
  }
  out.push_back('\n');
  return out;
}

std::string SseHeartbeat() { return ": keep-alive\n\n"; }

}  // namespace dbdump
