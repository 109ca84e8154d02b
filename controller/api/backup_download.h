// BackupDownload: DownloadBackup's work, apart from gRPC. Resolves the
// request against the catalogue (the backup, which of its objects, the
// agent and the storage), then relays the agent's ReadBackupObject stream:
// a header with the catalogue's checksum, then the agent's data chunks (local
// storage) or nothing more (S3: the agent presigned a URL). The controller
// never reads storage itself and never holds its credentials.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "controller/api/admin_context.h"
#include "dbdump/v1/controller_service.pb.h"

namespace dbdump {

// Thread-safe (each call works on its own request).
class BackupDownload {
 public:
  // Default and longest lifetime of a presigned URL.
  static constexpr uint32_t kDefaultPresignTtlS = 300;
  static constexpr uint32_t kMaxPresignTtlS = 3600;

  explicit BackupDownload(AdminContext c) : c_(c) {}

  // Sends the header, then the data, through `write` (false: the client
  // went away, and the agent's stream is cancelled). NotFound for an unknown
  // backup or object; FailedPrecondition for a failed or deleted backup;
  // InvalidArgument for a TTL out of range; DataLoss when the agent sent
  // more or fewer bytes than its header said.
  absl::Status Run(const dbdump::v1::DownloadBackupRequest& request,
                   const std::function<bool(const dbdump::v1::DownloadBackupResponse&)>& write);

  // What a download of `object` (a name the manifest lists) is saved as:
  // "<database>-<backup id>-<object's last path segment>".
  static std::string FileName(const dbdump::v1::Backup& backup, const std::string& object);

 private:
  AdminContext c_;
};

}  // namespace dbdump
