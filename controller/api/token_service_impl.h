// TokenServiceImpl: API tokens with roles. The secret is generated here,
// returned once and stored only as its hash.
#pragma once

#include "controller/api/admin_context.h"
#include "dbdump/v1/security_service.grpc.pb.h"

namespace dbdump {

// Thread-safe.
class TokenServiceImpl final : public dbdump::v1::TokenService::Service {
 public:
  explicit TokenServiceImpl(AdminContext c) : c_(c) {}
  grpc::Status CreateToken(grpc::ServerContext*, const dbdump::v1::CreateTokenRequest*,
                           dbdump::v1::CreateTokenResponse*) override;
  grpc::Status ListTokens(grpc::ServerContext*, const dbdump::v1::ListTokensRequest*,
                          dbdump::v1::ListTokensResponse*) override;
  grpc::Status RevokeToken(grpc::ServerContext*, const dbdump::v1::RevokeTokenRequest*,
                           dbdump::v1::RevokeTokenResponse*) override;
  grpc::Status GetSession(grpc::ServerContext*, const dbdump::v1::GetSessionRequest*,
                          dbdump::v1::GetSessionResponse*) override;

 private:
  AdminContext c_;
};

// Creates a token in `store`; returns the secret (shown once). Used by the
// service and for the bootstrap admin token on first start.
absl::StatusOr<std::string> CreateApiToken(Store* store, const std::string& name, v1::Role role,
                                           const std::string& created_by, absl::Time now,
                                           absl::Duration ttl);

}  // namespace dbdump
