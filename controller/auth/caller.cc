#include "controller/auth/caller.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/auth_context.h>
#include <grpcpp/server_context.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/security/identity.h"
#include "common/security/pki.h"
#include "common/security/secret_token.h"

namespace dbdump {
namespace {


std::string First(const grpc::AuthContext& context, const char* property) {
  std::vector<grpc::string_ref> values = context.FindPropertyValues(property);
  if (values.empty()) return "";
  return std::string(values.front().data(), values.front().size());
}

}  // namespace

std::string Caller::actor() const {
  switch (kind) {
    case kToken:
      return absl::StrCat("token:", name);
    case kAgent:
      return absl::StrCat("agent:", name);
    case kPlaintext:
      return "plaintext";
    case kAnonymous:
      break;
  }
  return "anonymous";
}

void CallerDirectory::Remember(absl::string_view authorization, const Caller& caller) {
  std::string key = TokenHash(authorization);
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = by_hash_.insert_or_assign(key, caller);
  if (!inserted) return;
  order_.push_back(key);
  if (order_.size() > 4096) {
    by_hash_.erase(order_.front());
    order_.pop_front();
  }
}

std::optional<Caller> CallerDirectory::Find(absl::string_view authorization) const {
  std::string key = TokenHash(authorization);
  absl::MutexLock lock(&mu_);
  auto it = by_hash_.find(key);
  if (it == by_hash_.end()) return std::nullopt;
  return it->second;
}

Caller CallerOf(const grpc::ServerContextBase& context, const CallerDirectory* callers) {
  Caller caller;
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (!auth || First(*auth, GRPC_TRANSPORT_SECURITY_TYPE_PROPERTY_NAME) != "tls") {
    // No TLS: the server is plaintext (a TLS server always says "tls").
    caller.kind = Caller::kPlaintext;
    caller.role = v1::ROLE_ADMIN;
    return caller;
  }
  const auto& metadata = context.client_metadata();
  auto header = metadata.find("authorization");
  if (header != metadata.end()) {
    if (callers == nullptr) return caller;
    std::optional<Caller> token =
        callers->Find(absl::string_view(header->second.data(), header->second.size()));
    return token ? *token : caller;
  }
  std::string pem = First(*auth, GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (pem.empty()) return caller;
  absl::StatusOr<CertificateInfo> cert = InspectCertificate(pem);
  if (!cert.ok()) return caller;
  for (const std::string& uri : cert->uris) {
    PeerIdentity peer = ParseIdentity(uri);
    if (peer.kind == PeerIdentity::kAgent) {
      caller.kind = Caller::kAgent;
      caller.name = peer.agent_name;
    }
  }
  return caller;
}

absl::Status RequireRole(const Caller& caller, v1::Role need, absl::string_view what) {
  if (caller.kind == Caller::kPlaintext) return absl::OkStatus();
  if (caller.kind == Caller::kToken && caller.role >= need) return absl::OkStatus();
  if (caller.kind != Caller::kToken) {
    return absl::PermissionDeniedError(
        absl::StrCat(what, " needs an API token with role ", RoleName(need)));
  }
  return absl::PermissionDeniedError(absl::StrCat("token ", caller.name, " has role ",
                                                  RoleName(caller.role), "; ", what,
                                                  " needs role ", RoleName(need)));
}

const char* RoleName(v1::Role role) {
  switch (role) {
    case v1::ROLE_VIEWER:
      return "viewer";
    case v1::ROLE_OPERATOR:
      return "operator";
    case v1::ROLE_ADMIN:
      return "admin";
    default:
      return "none";
  }
}

v1::Role RoleFromName(absl::string_view name) {
  std::string n = absl::AsciiStrToLower(name);
  if (n == "viewer") return v1::ROLE_VIEWER;
  if (n == "operator") return v1::ROLE_OPERATOR;
  if (n == "admin") return v1::ROLE_ADMIN;
  return v1::ROLE_UNSPECIFIED;
}

}  // namespace dbdump
