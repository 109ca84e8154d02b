// AgentAdminServiceImpl: the registered agents with their online flag;
// join tokens for new agents; revoking an agent's certificates.
#pragma once

#include "controller/api/admin_context.h"
#include "dbdump/v1/controller_service.grpc.pb.h"

namespace dbdump {

// Thread-safe.
class AgentAdminServiceImpl final : public dbdump::v1::AgentAdminService::Service {
 public:
  explicit AgentAdminServiceImpl(AdminContext c) : c_(c) {}
  grpc::Status ListAgents(grpc::ServerContext*, const dbdump::v1::ListAgentsRequest*,
                          dbdump::v1::ListAgentsResponse*) override;
  grpc::Status CreateJoinToken(grpc::ServerContext*, const dbdump::v1::CreateJoinTokenRequest*,
                               dbdump::v1::CreateJoinTokenResponse*) override;
  grpc::Status RevokeAgent(grpc::ServerContext*, const dbdump::v1::RevokeAgentRequest*,
                           dbdump::v1::RevokeAgentResponse*) override;
  grpc::Status GetAgent(grpc::ServerContext*, const dbdump::v1::GetAgentRequest*,
                        dbdump::v1::GetAgentResponse*) override;
  grpc::Status DeleteAgent(grpc::ServerContext*, const dbdump::v1::DeleteAgentRequest*,
                           dbdump::v1::DeleteAgentResponse*) override;

 private:
  AdminContext c_;
};

}  // namespace dbdump
