// TLS settings of database targets: the names of the modes per engine, and
// the checks the controller, dbdumpctl and the agent share.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump {

// "verify-full", "VERIFY_IDENTITY", "verify_identity", "Require", ...: the
// PostgreSQL sslmode names and the MySQL ssl-mode names, in any case, with
// "-" or "_". InvalidArgument listing the names otherwise.
absl::StatusOr<v1::DatabaseTlsMode> ParseDatabaseTlsMode(const std::string& text);

// The engine's own name of a mode: "verify-full" for PostgreSQL,
// "VERIFY_IDENTITY" for MySQL; "" for UNSPECIFIED.
std::string DatabaseTlsModeName(v1::Engine engine, v1::DatabaseTlsMode mode);

// Whether the mode checks the server's certificate (and so needs a CA file).
bool TlsModeVerifiesServer(v1::DatabaseTlsMode mode);

// Checks a target's TLS settings without touching any file: engines that
// take them, absolute paths, a key with its certificate, a CA where the
// mode verifies. Errors say what to give instead.
absl::Status ValidateDatabaseTls(const v1::DatabaseTarget& target);

// Whether the target has any TLS setting.
bool HasDatabaseTls(const v1::DatabaseTarget& target);

}  // namespace dbdump
