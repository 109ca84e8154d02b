#include "controller/api/agent_admin_service_impl.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "common/base/grpc_status.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "common/security/secret_token.h"
#include "controller/api/page_token.h"
#include "controller/auth/caller.h"
#include "controller/pki/controller_pki.h"

namespace dbdump {

grpc::Status AgentAdminServiceImpl::ListAgents(grpc::ServerContext*,
                                               const v1::ListAgentsRequest* req,
                                               v1::ListAgentsResponse* resp) {
  auto agents = c_.store->ListAgents();
  if (!agents.ok()) return ToGrpc(agents.status());
  absl::StatusOr<Page<v1::Agent>> page =
      TakePage(*std::move(agents), [](const v1::Agent& a) { return a.name(); },
               PageRequest{req->page_size(), req->page_token(), "agents"});
  if (!page.ok()) return ToGrpc(page.status());
  absl::Time now = c_.clock->Now();
  for (v1::Agent& a : page->items) {
    a.set_online(c_.dispatcher->IsOnline(a, now));
    *resp->add_agents() = std::move(a);
  }
  resp->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status AgentAdminServiceImpl::CreateJoinToken(grpc::ServerContext* ctx,
                                                    const v1::CreateJoinTokenRequest* req,
                                                    v1::CreateJoinTokenResponse* resp) {
  if (absl::Status s = ValidateResourceName("agent name", req->agent_name()); !s.ok()) {
    return ToGrpc(s);
  }
  if (c_.pki == nullptr || !c_.pki->can_issue()) {
    return ToGrpc(absl::FailedPreconditionError(
        c_.pki == nullptr ? "this controller serves plaintext (--insecure_plaintext): agents "
                            "cannot enroll"
                          : "this controller has no CA key (bring-your-own PKI): issue the "
                            "agent's certificate with your CA instead of enrolling"));
  }
  constexpr uint32_t kMaxMinutes = 7 * 24 * 60;
  if (req->ttl_minutes() > kMaxMinutes) {
    return ToGrpc(absl::InvalidArgumentError("a join token lives at most 7 days (10080 minutes)"));
  }
  absl::Time now = c_.clock->Now();
  std::string token = NewSecretToken("dbdj_");
  JoinTokenRecord record;
  record.token_hash = TokenHash(token);
  record.agent_name = req->agent_name();
  record.created_by = CallerOf(*ctx, c_.callers).actor();
  record.created_at = now;
  record.expires_at = now + absl::Minutes(req->ttl_minutes() == 0 ? 60 : req->ttl_minutes());
  if (absl::Status s = c_.store->CreateJoinToken(record); !s.ok()) return ToGrpc(s);
  LogInfo("controller", "join token created for agent ", req->agent_name(), " by ",
          record.created_by);
  resp->set_join_token(token);
  resp->set_expires_at(absl::FormatTime(absl::RFC3339_sec, record.expires_at, absl::UTCTimeZone()));
  resp->set_ca_fingerprint(c_.pki->ca_fingerprint());
  return grpc::Status::OK;
}

grpc::Status AgentAdminServiceImpl::RevokeAgent(grpc::ServerContext*,
                                                const v1::RevokeAgentRequest* req,
                                                v1::RevokeAgentResponse* resp) {
  if (absl::Status s = ValidateResourceName("agent name", req->name()); !s.ok()) return ToGrpc(s);
  absl::StatusOr<int> revoked = c_.store->RevokeAgentCertificates(req->name(), c_.clock->Now());
  if (!revoked.ok()) return ToGrpc(revoked.status());
  if (*revoked == 0) {
    return ToGrpc(absl::NotFoundError(absl::StrCat(
        "agent ", req->name(), " has no certificate to revoke (unknown, or already revoked)")));
  }
  LogInfo("controller", "revoked ", *revoked, " certificate(s) of agent ", req->name());
  resp->set_certificates_revoked(*revoked);
  return grpc::Status::OK;
}

grpc::Status AgentAdminServiceImpl::GetAgent(grpc::ServerContext*, const v1::GetAgentRequest* req,
                                             v1::GetAgentResponse* resp) {
  if (absl::Status s = ValidateResourceName("agent name", req->name()); !s.ok()) return ToGrpc(s);
  absl::StatusOr<v1::Agent> agent = c_.store->GetAgent(req->name());
  if (!agent.ok()) return ToGrpc(agent.status());
  agent->set_online(c_.dispatcher->IsOnline(*agent, c_.clock->Now()));
  *resp->mutable_agent() = *std::move(agent);
  return grpc::Status::OK;
}

grpc::Status AgentAdminServiceImpl::DeleteAgent(grpc::ServerContext*,
                                                const v1::DeleteAgentRequest* req,
                                                v1::DeleteAgentResponse* resp) {
  if (absl::Status s = ValidateResourceName("agent name", req->name()); !s.ok()) return ToGrpc(s);
  absl::StatusOr<int> revoked = c_.store->DeleteAgent(req->name(), c_.clock->Now());
  if (!revoked.ok()) return ToGrpc(revoked.status());
  LogInfo("controller", "agent ", req->name(), " removed; ", *revoked, " certificate(s) revoked");
  resp->set_certificates_revoked(*revoked);
  return grpc::Status::OK;
}

}  // namespace dbdump
