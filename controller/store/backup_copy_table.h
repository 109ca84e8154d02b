// BackupCopyTable: the copies of backups in their databases' copy
// destinations, one row per backup and destination.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dbdump/v1/controller_service.pb.h"

struct sqlite3;

namespace dbdump {

// A copy with the backup it belongs to.
struct BackupCopyRow {
  std::string backup_id;
  dbdump::v1::BackupCopy copy;
};

// The `backup_copies` table. Not thread-safe: the Store calls it holding its
// mutex.
class BackupCopyTable {
 public:
  explicit BackupCopyTable(sqlite3* db) : db_(db) {}

  // Records a write of the copy: the row is created, or its state, error,
  // size and lock replaced and its last verification cleared; `attempts`
  // grows by one either way.
  absl::Status RecordAttempt(const std::string& backup_id, const dbdump::v1::BackupCopy& copy);
  // The backup's copies, by destination name.
  absl::StatusOr<std::vector<dbdump::v1::BackupCopy>> ListFor(const std::string& backup_id);
  // Copies in `storage` in one of `states` (any when empty), by backup id.
  absl::StatusOr<std::vector<BackupCopyRow>> ListInStorage(
      const std::string& storage, const std::vector<dbdump::v1::BackupCopyState>& states);
  // Pending copies of backups still completed, oldest update first.
  absl::StatusOr<std::vector<BackupCopyRow>> ListPending();
  // The outcome of a verification of the copy (error empty: it matched).
  // A later write of the copy clears it. NotFound unless the copy is
  // committed (e.g. retention deleted it while it was read).
  absl::Status RecordVerification(const std::string& backup_id, const std::string& storage,
                                  const std::string& error, absl::Time now);
  // Retention or DeleteBackup removed the copy. NotFound.
  absl::Status MarkDeleted(const std::string& backup_id, const std::string& storage,
                           absl::Time now);

 private:
  sqlite3* db_;
};

}  // namespace dbdump
