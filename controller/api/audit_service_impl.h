// AuditServiceImpl: reading and verifying the audit log.
#pragma once

#include "controller/api/admin_context.h"
#include "dbdump/v1/security_service.grpc.pb.h"

namespace dbdump {

// Thread-safe.
class AuditServiceImpl final : public dbdump::v1::AuditService::Service {
 public:
  explicit AuditServiceImpl(AdminContext c) : c_(c) {}
  grpc::Status ListAuditEntries(grpc::ServerContext*, const dbdump::v1::ListAuditEntriesRequest*,
                                dbdump::v1::ListAuditEntriesResponse*) override;
  grpc::Status VerifyAuditLog(grpc::ServerContext*, const dbdump::v1::VerifyAuditLogRequest*,
                              dbdump::v1::VerifyAuditLogResponse*) override;

 private:
  AdminContext c_;
};

}  // namespace dbdump
