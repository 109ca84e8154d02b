#include "controller/api/registry_service_impl.h"

#include "absl/strings/str_cat.h"
#include "common/base/grpc_status.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "controller/auth/caller.h"

namespace dbdump {

namespace {

// An agent's certificate speaks only for the agent it was issued to.
absl::Status CheckSelf(const grpc::ServerContext& ctx, const std::string& name) {
  Caller caller = CallerOf(ctx, nullptr);
  if (caller.kind == Caller::kPlaintext || (caller.kind == Caller::kAgent && caller.name == name)) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "this certificate is for ", caller.actor(), "; it cannot act as agent \"", name, "\""));
}

}  // namespace

grpc::Status RegistryServiceImpl::RegisterAgent(grpc::ServerContext* ctx,
                                                const v1::RegisterAgentRequest* req,
                                                v1::RegisterAgentResponse* resp) {
  if (absl::Status s = CheckSelf(*ctx, req->name()); !s.ok()) {
    LogWarn("controller", "registration refused: ", s.message());
    return ToGrpc(s);
  }
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
  *agent.mutable_tool_versions() = req->capabilities().tool_versions();
  absl::Status st = store_->UpsertAgent(agent, clock_->Now());
  if (!st.ok()) return ToGrpc(st);
  LogInfo("controller", "agent ", req->name(), " registered at ", req->address());
  resp->set_heartbeat_interval_s(
      static_cast<uint32_t>(absl::ToInt64Seconds(heartbeat_interval_)));
  return grpc::Status::OK;
}

grpc::Status RegistryServiceImpl::Heartbeat(grpc::ServerContext* ctx,
                                            const v1::HeartbeatRequest* req,
                                            v1::HeartbeatResponse*) {
  if (absl::Status s = CheckSelf(*ctx, req->name()); !s.ok()) return ToGrpc(s);
  return ToGrpc(store_->TouchAgent(req->name(), clock_->Now()));
}

}  // namespace dbdump
