#include "controller/api/retention_service_impl.h"

#include "common/base/grpc_status.h"

namespace dbdump {

grpc::Status RetentionServiceImpl::PlanRetention(grpc::ServerContext*,
                                                 const v1::PlanRetentionRequest* req,
                                                 v1::PlanRetentionResponse* resp) {
  auto r = maintainer_->Plan(*req);
  if (!r.ok()) return ToGrpc(r.status());
  *resp = *r;
  return grpc::Status::OK;
}

grpc::Status RetentionServiceImpl::ApplyRetention(grpc::ServerContext*,
                                                  const v1::ApplyRetentionRequest* req,
                                                  v1::ApplyRetentionResponse* resp) {
  auto r = maintainer_->Apply(req->database());
  if (!r.ok()) return ToGrpc(r.status());
  *resp = *r;
  return grpc::Status::OK;
}

grpc::Status RetentionServiceImpl::SetDatabaseRetention(
    grpc::ServerContext*, const v1::SetDatabaseRetentionRequest* req,
    v1::SetDatabaseRetentionResponse* resp) {
  auto r = maintainer_->SetDatabaseRules(*req);
  if (!r.ok()) return ToGrpc(r.status());
  resp->set_rules(*r);
  return grpc::Status::OK;
}

}  // namespace dbdump
