// Validation of user-given names and generation of ids.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace dbdump {

// Names of dbdump resources (databases, storages, agents) become object key
// segments and CLI arguments: 1-63 of [A-Za-z0-9._-], starting with a letter
// or digit, so "../x" or "-rf" can never be one. `kind` names the resource in
// the error ("database name").
absl::Status ValidateResourceName(const std::string& kind, const std::string& name);

// A PostgreSQL database name as the server accepts it: 1-63 bytes, no NUL.
// Anything else is allowed and always passed as data, never as an option.
absl::Status ValidatePgDatabaseName(const std::string& name);
// A PostgreSQL role name (--owner): 1-63 bytes, no NUL; passed as data.
absl::Status ValidatePgRoleName(const std::string& name);
// A database name on a server of `engine_label` ("mysql", "mongodb"):
// non-empty, at most `max_bytes`, no NUL.
absl::Status ValidateServerDatabaseName(const std::string& engine_label, const std::string& name,
                                        size_t max_bytes);

// Backup ids sort by time: "20260115T020000Z-<8 hex>".
std::string NewBackupId(absl::Time now);
// Job ids: "job-<time>-<8 hex>".
std::string NewJobId(absl::Time now);
// Checks an id received from a client has the shape of one we generate.
absl::Status ValidateId(const std::string& kind, const std::string& id);

// `id` reduced to [a-z0-9_] (at most 40 characters), for names of scratch
// databases a test restore creates: "dbdump_scratch_" + ScratchSuffix(job id).
std::string ScratchSuffix(const std::string& id);

// RFC 3339 UTC with seconds, e.g. "2026-01-15T02:00:00Z"; empty for InfinitePast.
std::string TimeToString(absl::Time t);
absl::Time TimeFromString(const std::string& s);
// A request's RFC 3339 time bound named `field`; `open` when `text` is
// empty; InvalidArgument naming the field and showing the form otherwise.
absl::StatusOr<absl::Time> ParseTimeBound(const std::string& field, const std::string& text,
                                          absl::Time open);

}  // namespace dbdump
