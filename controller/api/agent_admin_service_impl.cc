#include "controller/api/agent_admin_service_impl.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "common/base/grpc_status.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"

namespace dbdump {

grpc::Status AgentAdminServiceImpl::ListAgents(grpc::ServerContext*, const v1::ListAgentsRequest*,
                                               v1::ListAgentsResponse* resp) {
  auto agents = c_.store->ListAgents();
  if (!agents.ok()) return ToGrpc(agents.status());
  absl::Time now = c_.clock->Now();
  for (v1::Agent& a : *agents) {
    a.set_online(c_.dispatcher->IsOnline(a, now));
    *resp->add_agents() = a;
  }
  return grpc::Status::OK;
}

}  // namespace dbdump
