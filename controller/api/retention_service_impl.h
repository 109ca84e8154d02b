// RetentionServiceImpl: the admin face of BackupMaintainer's retention (its
// verification face is VerificationServiceImpl, in verification_service_impl.h).
#pragma once

#include "controller/retention/backup_maintainer.h"
#include "dbdump/v1/controller_service.grpc.pb.h"

namespace dbdump {

// Retention of one database: a dry run, or applied. Thread-safe.
class RetentionServiceImpl final : public dbdump::v1::RetentionService::Service {
 public:
  explicit RetentionServiceImpl(BackupMaintainer* maintainer) : maintainer_(maintainer) {}

  grpc::Status PlanRetention(grpc::ServerContext*, const dbdump::v1::PlanRetentionRequest*,
                             dbdump::v1::PlanRetentionResponse*) override;
  grpc::Status ApplyRetention(grpc::ServerContext*, const dbdump::v1::ApplyRetentionRequest*,
                              dbdump::v1::ApplyRetentionResponse*) override;
  grpc::Status SetDatabaseRetention(grpc::ServerContext*,
                                    const dbdump::v1::SetDatabaseRetentionRequest*,
                                    dbdump::v1::SetDatabaseRetentionResponse*) override;

 private:
  BackupMaintainer* maintainer_;
};

}  // namespace dbdump
