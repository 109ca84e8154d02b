// The metadata store's schema: migrations applied in order, each once.
#pragma once

#include <sqlite3.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace dbdump {
namespace sqlite {

// Number of the newest migration this build knows.
int LatestSchemaVersion();
// Applies the migrations `db` lacks, each in its own transaction.
// FailedPrecondition when the store was written by a newer controller.
// `now` is recorded as when each was applied.
absl::Status Migrate(sqlite3* db, absl::Time now);
// Latest migration applied to `db` (0 for a new store).
absl::StatusOr<int> SchemaVersion(sqlite3* db);

}  // namespace sqlite
}  // namespace dbdump
