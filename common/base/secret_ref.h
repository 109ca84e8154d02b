// Resolves password references to the secret on the agent's own host.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace dbdump {

// `file:/abs/path` reads the file (first line; must not be readable by
// others), `env:NAME` reads the agent's environment, "" means no password.
// Errors name the reference, never the secret.
absl::StatusOr<std::string> ResolveSecretRef(const std::string& ref);

// The same, but the whole file (or variable): for secrets of several lines,
// such as an age identity file with its comments. Checks the file as
// ResolveSecretRef does.
absl::StatusOr<std::string> ResolveSecretRefContents(const std::string& ref);

// Validates the shape of a reference without reading it (the controller
// checks targets with it; the agent before resolving).
absl::Status ValidateSecretRef(const std::string& ref);

}  // namespace dbdump
