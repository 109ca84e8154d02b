#include "controller/api/token_service_impl.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "common/base/grpc_status.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "common/security/secret_token.h"
#include "controller/api/page_token.h"
#include "controller/auth/caller.h"

namespace dbdump {
namespace {

std::string Rfc3339(absl::Time t) {
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) return "";
  return absl::FormatTime(absl::RFC3339_sec, t, absl::UTCTimeZone());
}

v1::ApiToken ToProto(const ApiTokenRecord& r) {
  v1::ApiToken t;
  t.set_name(r.name);
  t.set_role(RoleFromName(r.role));
  t.set_created_at(Rfc3339(r.created_at));
  t.set_created_by(r.created_by);
  t.set_expires_at(Rfc3339(r.expires_at));
  t.set_revoked_at(Rfc3339(r.revoked_at));
  t.set_last_used_at(Rfc3339(r.last_used_at));
  return t;
}

}  // namespace

absl::StatusOr<std::string> CreateApiToken(Store* store, const std::string& name, v1::Role role,
                                           const std::string& created_by, absl::Time now,
                                           absl::Duration ttl) {
  RETURN_IF_ERROR(ValidateResourceName("token name", name));
  if (role != v1::ROLE_VIEWER && role != v1::ROLE_OPERATOR && role != v1::ROLE_ADMIN) {
    return absl::InvalidArgumentError("a token's role is viewer, operator or admin");
  }
  std::string secret = NewSecretToken("dbdt_");
  ApiTokenRecord record;
  record.name = name;
  record.token_hash = TokenHash(secret);
  record.role = RoleName(role);
  record.created_by = created_by;
  record.created_at = now;
  record.expires_at = ttl == absl::ZeroDuration() ? absl::InfiniteFuture() : now + ttl;
  RETURN_IF_ERROR(store->CreateApiToken(record));
  LogInfo("controller", "API token ", name, " (", record.role, ") created by ", created_by);
  return secret;
}

grpc::Status TokenServiceImpl::CreateToken(grpc::ServerContext* ctx,
                                           const v1::CreateTokenRequest* req,
                                           v1::CreateTokenResponse* resp) {
  absl::Time now = c_.clock->Now();
  absl::StatusOr<std::string> secret = CreateApiToken(
      c_.store, req->name(), req->role(), CallerOf(*ctx, c_.callers).actor(), now, absl::Hours(req->ttl_hours()));
  if (!secret.ok()) return ToGrpc(secret.status());
  absl::StatusOr<ApiTokenRecord> stored = c_.store->FindApiTokenByHash(TokenHash(*secret));
  if (!stored.ok()) return ToGrpc(stored.status());
  *resp->mutable_token() = ToProto(*stored);
  resp->set_secret(*secret);
  return grpc::Status::OK;
}

grpc::Status TokenServiceImpl::ListTokens(grpc::ServerContext*, const v1::ListTokensRequest* req,
                                          v1::ListTokensResponse* resp) {
  absl::StatusOr<std::vector<ApiTokenRecord>> tokens = c_.store->ListApiTokens();
  if (!tokens.ok()) return ToGrpc(tokens.status());
  absl::StatusOr<Page<ApiTokenRecord>> page =
      TakePage(*std::move(tokens), [](const ApiTokenRecord& t) { return t.name; },
               PageRequest{req->page_size(), req->page_token(), "tokens"});
  if (!page.ok()) return ToGrpc(page.status());
  for (const ApiTokenRecord& t : page->items) *resp->add_tokens() = ToProto(t);
  resp->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status TokenServiceImpl::RevokeToken(grpc::ServerContext* ctx,
                                           const v1::RevokeTokenRequest* req,
                                           v1::RevokeTokenResponse*) {
  absl::Status s = c_.store->RevokeApiToken(req->name(), c_.clock->Now());
  if (s.ok()) LogInfo("controller", "API token ", req->name(), " revoked by ", CallerOf(*ctx, c_.callers).actor());
  return ToGrpc(s);
}

grpc::Status TokenServiceImpl::GetSession(grpc::ServerContext* ctx, const v1::GetSessionRequest*,
                                          v1::GetSessionResponse* resp) {
  Caller caller = CallerOf(*ctx, c_.callers);
  resp->set_actor(caller.actor());
  resp->set_name(caller.name);
  resp->set_role(caller.role);
  return grpc::Status::OK;
}

}  // namespace dbdump
