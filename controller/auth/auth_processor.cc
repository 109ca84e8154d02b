#include "controller/auth/auth_processor.h"

#include <grpc/grpc_security_constants.h>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/log.h"
#include "common/security/identity.h"
#include "common/security/pki.h"
#include "common/security/secret_token.h"
#include "controller/auth/rpc_access.h"
#include "controller/store/store.h"

namespace dbdump {
namespace {

constexpr char kTokenPrefix[] = "dbdt_";

std::string Str(grpc::string_ref s) { return std::string(s.data(), s.size()); }

std::string CodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

v1::Role RoleFor(Access access) {
  switch (access) {
    case Access::kViewer:
      return v1::ROLE_VIEWER;
    case Access::kOperator:
      return v1::ROLE_OPERATOR;
    case Access::kAdmin:
      return v1::ROLE_ADMIN;
    default:
      return v1::ROLE_UNSPECIFIED;
  }
}

}  // namespace

ControllerAuthProcessor::ControllerAuthProcessor(AuthProcessorOptions options)
    : options_(std::move(options)) {}

grpc::Status ControllerAuthProcessor::Refuse(const Caller& caller, const std::string& rpc,
                                             grpc::StatusCode code, const std::string& message) {
  if (options_.on_refusal) options_.on_refusal({caller.actor(), rpc, CodeName(code), message});
  return grpc::Status(code, message);
}

grpc::Status ControllerAuthProcessor::AgentFromCertificate(const grpc::AuthContext& context,
                                                           Caller* caller) {
  std::vector<grpc::string_ref> pem = context.FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (pem.empty()) return grpc::Status::OK;
  absl::StatusOr<CertificateInfo> cert = InspectCertificate(Str(pem.front()));
  if (!cert.ok()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "unreadable client certificate");
  }
  PeerIdentity peer;
  for (const std::string& uri : cert->uris) {
    PeerIdentity p = ParseIdentity(uri);
    if (p.kind != PeerIdentity::kUnknown) peer = p;
  }
  if (peer.kind != PeerIdentity::kAgent) return grpc::Status::OK;
  absl::StatusOr<CertificateRecord> record = options_.store->GetCertificate(cert->serial);
  if (record.ok() && record->agent_name != peer.agent_name) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "client certificate does not match what was issued");
  }
  if (record.ok() && record->revoked) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        absl::StrCat("the certificate of agent ", peer.agent_name,
                                     " was revoked; enroll the agent again"));
  }
  if (!record.ok()) {
    if (!absl::IsNotFound(record.status())) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "cannot check the client certificate");
    }
    if (!options_.admit_unrecorded_agent_certificates) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          absl::StrCat("agent certificate ", cert->serial,
                                       " was not issued by this controller"));
    }
  }
  caller->kind = Caller::kAgent;
  caller->name = peer.agent_name;
  return grpc::Status::OK;
}

grpc::Status ControllerAuthProcessor::CallerFromToken(absl::string_view header, Caller* caller) {
  constexpr absl::string_view kBearer = "Bearer ";
  if (!absl::StartsWithIgnoreCase(header, kBearer) ||
      !LooksLikeToken(header.substr(kBearer.size()), kTokenPrefix)) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "the authorization header is not \"Bearer <dbdump API token>\"");
  }
  absl::StatusOr<ApiTokenRecord> token =
      options_.store->FindApiTokenByHash(TokenHash(header.substr(kBearer.size())));
  if (!token.ok()) {
    if (absl::IsNotFound(token.status())) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "unknown API token");
    }
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "cannot check the API token");
  }
  absl::Time now = options_.clock->Now();
  if (token->revoked()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        absl::StrCat("API token ", token->name, " was revoked"));
  }
  if (token->expires_at <= now) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        absl::StrCat("API token ", token->name, " expired"));
  }
  caller->kind = Caller::kToken;
  caller->name = token->name;
  caller->role = RoleFromName(token->role);
  bool touch = false;
  {
    absl::MutexLock l(&mu_);
    absl::Time& last = touched_[token->name];
    if (now - last >= absl::Minutes(1)) {
      last = now;
      touch = true;
    }
  }
  if (touch) {
    if (absl::Status s = options_.store->TouchApiToken(token->name, now); !s.ok()) {
      LogWarn("auth", "cannot record the use of token ", token->name, ": ", s.message());
    }
  }
  return grpc::Status::OK;
}

grpc::Status ControllerAuthProcessor::Process(const InputMetadata& auth_metadata,
                                              grpc::AuthContext* context,
                                              OutputMetadata* consumed_auth_metadata,
                                              OutputMetadata* /*response_metadata*/) {
  std::string rpc;
  std::string authorization;
  bool has_authorization = false;
  for (const auto& [key, value] : auth_metadata) {
    if (key == ":path") rpc = Str(value);
    if (key == "authorization") {
      authorization = Str(value);
      has_authorization = true;
    }
  }
  // The header stays in the call's metadata: the handlers find the caller
  // again from it (CallerOf), and never log metadata.
  Caller caller;
  std::optional<RpcRule> rule = ControllerRpcRule(rpc);
  if (!rule) {
    return Refuse(caller, rpc, grpc::StatusCode::PERMISSION_DENIED,
                  absl::StrCat("unknown method ", rpc));
  }
  if (grpc::Status s = AgentFromCertificate(*context, &caller); !s.ok()) {
    return Refuse(caller, rpc, s.error_code(), s.error_message());
  }
  Caller agent = caller;
  if (has_authorization) {
    if (grpc::Status s = CallerFromToken(authorization, &caller); !s.ok()) {
      return Refuse(agent, rpc, s.error_code(), s.error_message());
    }
  }
  switch (rule->access) {
    case Access::kOpen:
      break;
    case Access::kAgent:
      if (agent.kind != Caller::kAgent) {
        return Refuse(caller, rpc, grpc::StatusCode::PERMISSION_DENIED,
                      absl::StrCat(rpc, " is for enrolled agents, with their certificate"));
      }
      caller = agent;
      break;
    default: {
      v1::Role need = RoleFor(rule->access);
      if (caller.kind == Caller::kAgent) {
        return Refuse(caller, rpc, grpc::StatusCode::PERMISSION_DENIED,
                      "agent certificates cannot call the admin API");
      }
      if (caller.kind != Caller::kToken) {
        return Refuse(caller, rpc, grpc::StatusCode::UNAUTHENTICATED,
                      absl::StrCat(rpc, " needs an API token (role ", RoleName(need),
                                   " or higher): set DBDUMP_TOKEN or write it to "
                                   "~/.config/dbdump/token (mode 0600)"));
      }
      if (caller.role < need) {
        return Refuse(caller, rpc, grpc::StatusCode::PERMISSION_DENIED,
                      absl::StrCat("token ", caller.name, " has role ", RoleName(caller.role),
                                   "; ", rpc, " needs role ", RoleName(need)));
      }
    }
  }
  if (caller.kind == Caller::kToken && options_.callers != nullptr) {
    options_.callers->Remember(authorization, caller);
  }
  return grpc::Status::OK;
}

}  // namespace dbdump
