// A backup's globals (the pg_dumpall --globals-only script: roles, their
// settings and memberships, tablespaces) applied by dbdump itself, so that
// a restore never changes an existing role it was not asked to replace.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump::pg {

// Checks that `script` can be applied to the cluster of `target` as `mode`
// says, changing nothing.
absl::Status CheckGlobals(const v1::DatabaseTarget& target, const std::string& script,
                          v1::GlobalsMode mode, int connect_timeout_s);

// Applies it: GLOBALS_MODE_MISSING creates the roles the cluster lacks
// (attributes, password, settings, memberships) and leaves existing ones
// exactly as they are; GLOBALS_MODE_REPLACE also gives existing roles the
// backup's. Appends to `notes` what was created, kept and skipped (names
// only, never a password).
absl::Status ApplyGlobals(const v1::DatabaseTarget& target, const std::string& script,
                          v1::GlobalsMode mode, int connect_timeout_s,
                          std::vector<std::string>* notes);

}  // namespace dbdump::pg
