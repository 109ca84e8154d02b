// BackupServiceImpl: start backups, read the catalogue, start restores.
#pragma once

#include "controller/api/admin_context.h"
#include "dbdump/v1/controller_service.grpc.pb.h"

namespace dbdump {

// Thread-safe.
class BackupServiceImpl final : public dbdump::v1::BackupService::Service {
 public:
  explicit BackupServiceImpl(AdminContext c) : c_(c) {}
  grpc::Status StartBackup(grpc::ServerContext*, const dbdump::v1::StartBackupRequest*,
                           dbdump::v1::StartBackupResponse*) override;
  grpc::Status ListBackups(grpc::ServerContext*, const dbdump::v1::ListBackupsRequest*,
                           dbdump::v1::ListBackupsResponse*) override;
  grpc::Status GetBackup(grpc::ServerContext*, const dbdump::v1::GetBackupRequest*,
                         dbdump::v1::GetBackupResponse*) override;
  grpc::Status DeleteBackup(grpc::ServerContext*, const dbdump::v1::DeleteBackupRequest*,
                            dbdump::v1::DeleteBackupResponse*) override;
  grpc::Status StartRestore(grpc::ServerContext*, const dbdump::v1::StartRestoreRequest*,
                            dbdump::v1::StartRestoreResponse*) override;
  grpc::Status CopyBackup(grpc::ServerContext*, const dbdump::v1::CopyBackupRequest*,
                          dbdump::v1::CopyBackupResponse*) override;
  grpc::Status DownloadBackup(grpc::ServerContext*, const dbdump::v1::DownloadBackupRequest*,
                              grpc::ServerWriter<dbdump::v1::DownloadBackupResponse>*) override;

 private:
  AdminContext c_;
};

}  // namespace dbdump
