// JobFactory: turns a request (a backup of a database, a restore of a
// backup) into a job ready to be stored QUEUED, with the request its agent
// will receive.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/base/clock.h"
#include "controller/store/store.h"

namespace dbdump {

// What a backup job is made of, manual or scheduled.
struct BackupSettings {
  std::string database;
  dbdump::v1::Compression compression = dbdump::v1::COMPRESSION_UNSPECIFIED;
  int32_t compression_level = 0;
  std::string schedule;
  uint32_t attempt = 1;
  uint32_t timeout_s = 0;
  // Queued but not started before then (retries).
  absl::Time not_before = absl::InfinitePast();
};

// The settings of a backup run by `schedule` (its first attempt).
BackupSettings ScheduledBackupSettings(const dbdump::v1::Schedule& schedule);

// Validates against the catalogue; stores nothing. Thread-safe.
class JobFactory {
 public:
  // Neither is owned.
  JobFactory(Store* store, Clock* clock) : store_(store), clock_(clock) {}

  absl::StatusOr<StoredJob> PrepareBackup(const BackupSettings& settings);
  // The target of the restore resolved (default: the backup's own
  // database), the connection through the database the request names.
  absl::StatusOr<StoredJob> PrepareRestore(const dbdump::v1::StartRestoreRequest& req);
  // A copy job of a completed backup from its primary storage to `storage`
  // (one of the copy destinations it has a row for, or any other storage
  // but the primary), run by the database's agent.
  absl::StatusOr<StoredJob> PrepareCopy(const std::string& backup_id, const std::string& storage,
                                        uint32_t attempt);
  // A copy asked for now (CopyBackup): the destination must be a copy
  // destination of the backup's database, without a committed or deleted
  // copy there and without a copy job for it queued or running.
  absl::StatusOr<StoredJob> PrepareRequestedCopy(const dbdump::v1::CopyBackupRequest& req);

 private:
  Store* store_;
  Clock* clock_;
};

}  // namespace dbdump
