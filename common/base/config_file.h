// A daemon's config file (TOML): every flag is a key. Read with toml++, the
// packaged parser (Debian's libtomlplusplus), not by hand.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace dbdump {

// The file's settings by flag name (snake_case; kebab-case keys are the same
// flag). A table's keys are prefixed with its name: `[notify] smtp_url = ...`
// is the flag notify_smtp_url. Strings, integers, floats and booleans give
// their text; an array of strings gives them joined by commas (the list
// flags). Anything else, and a key given twice, is an error naming the line.
absl::StatusOr<std::map<std::string, std::string>> ReadConfigFile(const std::string& path);

}  // namespace dbdump
