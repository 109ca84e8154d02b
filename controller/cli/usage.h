// The help text of dbdumpctl.
#pragma once

#include "absl/strings/string_view.h"

namespace dbdump {

// Printed by "dbdumpctl help"; ends in a newline.
absl::string_view UsageText();

}  // namespace dbdump
