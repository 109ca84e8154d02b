#include "controller/api/registry_service_impl.h"

#include "absl/strings/str_cat.h"
#include "common/base/grpc_status.h"
#include "common/base/log.h"
#include "common/base/names.h"

namespace dbdump {

grpc::Status RegistryServiceImpl::RegisterAgent(grpc::ServerContext*,
                                                const v1::RegisterAgentRequest* req,
                                                v1::RegisterAgentResponse* resp) {
  absl::Status valid = ValidateResourceName("agent name", req->name());
  if (valid.ok() && (req->address().empty() || req->address().find(':') == std::string::npos)) {
    valid = absl::InvalidArgumentError(
        absl::StrCat("agent \"", req->name(), "\" announced no host:port address"));
  }
  if (!valid.ok()) return ToGrpc(valid);
  v1::Agent agent;
  agent.set_name(req->name());
  agent.set_address(req->address());
  agent.set_version(req->version());
  for (int e : req->capabilities().engines()) agent.add_engines(static_cast<v1::Engine>(e));
  absl::Status st = store_->UpsertAgent(agent, clock_->Now());
  if (!st.ok()) return ToGrpc(st);
  LogInfo("controller", "agent ", req->name(), " registered at ", req->address());
  resp->set_heartbeat_interval_s(
      static_cast<uint32_t>(absl::ToInt64Seconds(heartbeat_interval_)));
  return grpc::Status::OK;
}

grpc::Status RegistryServiceImpl::Heartbeat(grpc::ServerContext*, const v1::HeartbeatRequest* req,
                                            v1::HeartbeatResponse*) {
  return ToGrpc(store_->TouchAgent(req->name(), clock_->Now()));
}

}  // namespace dbdump
