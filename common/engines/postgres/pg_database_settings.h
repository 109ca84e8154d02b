// A PostgreSQL database's own settings, recorded at backup time as the
// backup's "settings" object and re-applied to the restore target: what a
// pg_dump without --create leaves out (ALTER DATABASE ... SET, ALTER ROLE
// ... IN DATABASE ... SET, the database's ACL, comment, owner and
// connection limit).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump::pg {

// Reads them from the database of `target`, as a JSON document.
absl::StatusOr<std::string> CaptureDatabaseSettings(const v1::DatabaseTarget& target,
                                                    int connect_timeout_s);

// Checks, changing nothing, that the document can be applied to the
// database of `target` as `options` say: the roles it names exist there
// (unless no_owner / no_privileges leave them out).
absl::Status CheckDatabaseSettings(const v1::DatabaseTarget& target, const std::string& json,
                                   const v1::RestoreOptions& options, int connect_timeout_s);

// Applies it in one transaction, naming the target database; appends what
// it did to `notes` (never a setting's value).
absl::Status ApplyDatabaseSettings(const v1::DatabaseTarget& target, const std::string& json,
                                   const v1::RestoreOptions& options, int connect_timeout_s,
                                   std::vector<std::string>* notes);

}  // namespace dbdump::pg
