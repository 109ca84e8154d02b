// Where a restore may go, by engine: the one definition the controller, the
// bucket-only restore of dbdumpctl and the engines share.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump {

// Checks `name`, the place a restore of an `engine` backup was asked to go:
//  - SQLite: an absolute file path without "." or ".." segments;
//  - PostgreSQL: a database name, 1-63 bytes without NUL;
//  - MySQL: a database name (ValidateMysqlName), or empty;
//  - MongoDB: a database name (ValidateMongoDatabaseName), or empty.
// Empty is for a backup of several or all databases, which goes back into
// the databases it names; whether the backup is one is the engine's to say
// at restore time, from its manifest.
absl::Status ValidateRestoreTarget(dbdump::v1::Engine engine, const std::string& name);

// Validates `name` against the rules of `target->engine()` and puts it where
// that engine keeps it: the path for SQLite, the database otherwise.
absl::Status SetRestoreTarget(const std::string& name, dbdump::v1::DatabaseTarget* target);

}  // namespace dbdump
