#include "common/base/time_zone.h"

#include "absl/strings/str_cat.h"

namespace dbdump {

absl::StatusOr<absl::TimeZone> LoadScheduleTimeZone(const std::string& name) {
  absl::TimeZone zone;
  if (name.empty() || name.size() > 64 || name.find("..") != std::string::npos ||
      name[0] == '/' || !absl::LoadTimeZone(name, &zone)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown time zone \"", name,
        "\": use an IANA name such as UTC, Europe/Berlin or America/New_York"));
  }
  return zone;
}

}  // namespace dbdump
