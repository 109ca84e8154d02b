// VerificationService: verify a stored backup on request.
#pragma once

#include "controller/retention/backup_maintainer.h"
#include "dbdump/v1/controller_service.grpc.pb.h"

namespace dbdump {

// Thread-safe.
class VerificationServiceImpl final : public dbdump::v1::VerificationService::Service {
 public:
  explicit VerificationServiceImpl(BackupMaintainer* maintainer) : maintainer_(maintainer) {}

  grpc::Status VerifyBackup(grpc::ServerContext*, const dbdump::v1::VerifyStoredBackupRequest*,
                            dbdump::v1::VerifyStoredBackupResponse*) override;

 private:
  BackupMaintainer* maintainer_;
};

}  // namespace dbdump
