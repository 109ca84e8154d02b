// BackupDestination: one storage a backup's pass writes to, the primary or
// a copy, with what was committed there so far.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/storage/backup_layout.h"
#include "common/storage/storage.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump {

// Owned by the run; not thread-safe.
struct BackupDestination {
  dbdump::v1::StorageDestination config;
  std::unique_ptr<Storage> storage;
  bool primary = false;
  // A copy's first failure; a failed copy is written no more in this pass.
  absl::Status status;
  // Keys committed so far, removed again if this copy (or the backup) fails.
  std::vector<std::string> committed;
  // Stored bytes of every object committed here.
  uint64_t stored_bytes = 0;
  // Object Lock of every object written here; InfinitePast() = none.
  absl::Time locked_until = absl::InfinitePast();

  bool live() const { return status.ok(); }
  // Where `object` of the backup goes in this destination.
  std::string Key(const std::string& database, const std::string& backup_id,
                  const std::string& object) const {
    return BackupDir(config.prefix(), database, backup_id) + "/" + object;
  }
};

}  // namespace dbdump
