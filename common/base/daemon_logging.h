// The logging flags every daemon takes (--log-level, --log-format), applied
// at start and again on SIGHUP.
#pragma once

#include "absl/status/status.h"
#include "common/base/flags.h"

namespace dbdump {

void DefineLoggingFlags(Flags* flags);
// Configures logging from the flags; journald is detected on stderr.
absl::Status ApplyLoggingFlags(const Flags& flags);

}  // namespace dbdump
