// BackupMaintenance: deletes and verifies stored backups on the agent's host,
// where the storage (and its credentials) live.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dbdump/v1/agent_service.pb.h"

namespace dbdump {

// Stateless; thread-safe.
class BackupMaintenance {
 public:
  explicit BackupMaintenance(size_t buffer_bytes = 1 << 20, size_t buffers = 4)
      : buffer_bytes_(buffer_bytes), buffers_(buffers) {}

  // Removes the manifest first, then the dump, then anything else left
  // under the backup's directory. A backup already gone is not an error.
  absl::StatusOr<std::vector<std::string>> Delete(const dbdump::v1::StoredBackupRef& ref);

  // Reads the whole dump through stored sha256 -> decompress -> raw sha256
  // into nothing and compares checksums and sizes with the manifest. A
  // mismatch or unreadable dump is a response with ok = false; errors are
  // for bad requests and unreachable storage.
  absl::StatusOr<dbdump::v1::VerifyBackupResponse> Verify(const dbdump::v1::StoredBackupRef& ref);

 private:
  size_t buffer_bytes_;
  size_t buffers_;
};

}  // namespace dbdump
