#include "common/engines/line_scan_session.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace dbdump {

std::string FormatCount(const std::string& format, uint32_t n) {
  return absl::StrReplaceAll(format, {{"%d", absl::StrCat(n)}});
}

std::string LineScanSession::summary() const {
  return FormatCount(summary_format_, counter_.count());
}

}  // namespace dbdump
