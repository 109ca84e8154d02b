// Time zones by IANA name, as schedules and retention rules name them.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace dbdump {

// Loads an IANA zone ("Europe/Berlin", "UTC"); InvalidArgument for unknown
// names, with what to use instead.
absl::StatusOr<absl::TimeZone> LoadScheduleTimeZone(const std::string& name);

}  // namespace dbdump
