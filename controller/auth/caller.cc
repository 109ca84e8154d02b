#include "controller/auth/caller.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/auth_context.h>
#include <grpcpp/server_context.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace dbdump {
namespace {

constexpr char kKindProperty[] = "dbdump.caller_kind";
constexpr char kNameProperty[] = "dbdump.caller_name";
constexpr char kRoleProperty[] = "dbdump.caller_role";

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

void SetCaller(grpc::AuthContext* context, const Caller& caller) {
  context->AddProperty(kKindProperty, std::to_string(static_cast<int>(caller.kind)));
  context->AddProperty(kNameProperty, caller.name);
  context->AddProperty(kRoleProperty, std::to_string(static_cast<int>(caller.role)));
}

Caller CallerOf(const grpc::ServerContextBase& context) {
  Caller caller;
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (!auth) return caller;
  std::string kind = First(*auth, kKindProperty);
  if (kind.empty()) {
    // No processor ran: the server is plaintext (a TLS server always has one).
    if (First(*auth, GRPC_TRANSPORT_SECURITY_TYPE_PROPERTY_NAME) != "tls") {
      caller.kind = Caller::kPlaintext;
      caller.role = v1::ROLE_ADMIN;
    }
    return caller;
  }
  int k = std::atoi(kind.c_str());
  if (k == Caller::kToken || k == Caller::kAgent) caller.kind = static_cast<Caller::Kind>(k);
  caller.name = First(*auth, kNameProperty);
  int role = std::atoi(First(*auth, kRoleProperty).c_str());
  if (caller.kind == Caller::kToken && v1::Role_IsValid(role)) {
    caller.role = static_cast<v1::Role>(role);
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
