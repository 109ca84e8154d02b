#include "controller/api/verification_service_impl.h"

#include "common/base/grpc_status.h"

namespace dbdump {

grpc::Status VerificationServiceImpl::VerifyBackup(grpc::ServerContext*,
                                                   const v1::VerifyStoredBackupRequest* req,
                                                   v1::VerifyStoredBackupResponse* resp) {
  auto b = maintainer_->Verify(req->backup_id(), req->storage());
  if (!b.ok()) return ToGrpc(b.status());
  *resp->mutable_backup() = *b;
  return grpc::Status::OK;
}

}  // namespace dbdump
