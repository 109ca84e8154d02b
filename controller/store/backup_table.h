// BackupTable: the backup catalogue, verification and test restores.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controller/store/records.h"
#include "dbdump/v1/controller_service.pb.h"

struct sqlite3;

namespace dbdump {

// The `backups` table. Not thread-safe: the Store calls it holding its mutex,
// and runs the transactions that span table groups.
class BackupTable {
 public:
  explicit BackupTable(sqlite3* db) : db_(db) {}

  // Catalogues a backup made by `job_id`. One already catalogued under the
  // same id for the same database by storage reconciliation (found_at set)
  // or for this job is linked to the job instead; otherwise AlreadyExists.
  absl::Status Insert(const std::string& job_id, const dbdump::v1::Backup& backup);
  absl::StatusOr<std::vector<dbdump::v1::Backup>> List(const std::string& database);
  absl::StatusOr<dbdump::v1::Backup> Get(const std::string& id);
  // Backups in `storage` not deleted.
  absl::StatusOr<int64_t> CountLive(const std::string& storage);
  // Per database, what its good backups add up to (one SQL aggregate).
  absl::StatusOr<std::map<std::string, BackupTotals>> Totals();
  // At most `q.limit` backups matching `q`, newest first.
  absl::StatusOr<std::vector<dbdump::v1::Backup>> Query(const BackupQuery& q);
  // Oldest first by when they were catalogued (ties: catalogue order).
  absl::StatusOr<std::vector<dbdump::v1::Backup>> ListByAge(const std::string& database);
  // Backups in `storage` not deleted (completed and missing), by id.
  absl::StatusOr<std::vector<dbdump::v1::Backup>> ListInStorage(const std::string& storage);
  // Storage reconciliation found a completed backup's objects gone.
  // FailedPrecondition unless it is completed.
  absl::Status MarkMissing(const std::string& id, const std::string& reason, absl::Time now);
  // ... and a missing one's objects back. FailedPrecondition unless missing.
  absl::Status MarkFound(const std::string& id);
  // Retention removed the stored objects; the entry stays, marked deleted.
  absl::Status MarkDeleted(const std::string& id, absl::Time now);
  // Outcome of a verification; empty `error` = the checksums matched.
  absl::Status RecordVerification(const std::string& id, const std::string& error,
                                  absl::Time now);
  // The outcome of a test restore of a backup (error empty = passed).
  absl::Status RecordTestRestore(const std::string& id, const std::string& error,
                                 const dbdump::v1::RestoreReport& report, absl::Time now);

 private:
  sqlite3* db_;
};

}  // namespace dbdump
