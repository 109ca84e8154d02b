// Caller: who is making the current call, as the auth processor found it
// (an API token with its role, an agent's certificate), read back by the
// services from the call's AuthContext.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "dbdump/v1/security_service.pb.h"

namespace grpc {
class AuthContext;
class ServerContextBase;
}  // namespace grpc

namespace dbdump {

struct Caller {
  enum Kind {
    kAnonymous,
    // An API token; `name` is the token's, `role` its role.
    kToken,
    // An enrolled agent's certificate; `name` is the agent's.
    kAgent,
    // The controller is served without TLS (--insecure_plaintext): nobody
    // is authenticated and everything is allowed.
    kPlaintext,
  };
  Kind kind = kAnonymous;
  std::string name;
  v1::Role role = v1::ROLE_UNSPECIFIED;

  // For the audit log and messages: "token:ops", "agent:db1", "anonymous",
  // "plaintext".
  std::string actor() const;
};

// Records `caller` in the call's AuthContext (the auth processor does this).
void SetCaller(grpc::AuthContext* context, const Caller& caller);

// The caller the auth processor recorded; kPlaintext on a plaintext server,
// kAnonymous when nothing was recorded.
Caller CallerOf(const grpc::ServerContextBase& context);

// OK when the caller is a token of role `need` or higher (or the server is
// plaintext); PermissionDenied naming the token, its role and `what` needs.
absl::Status RequireRole(const Caller& caller, v1::Role need, absl::string_view what);

const char* RoleName(v1::Role role);
// "viewer", "operator", "admin" (any case); ROLE_UNSPECIFIED otherwise.
v1::Role RoleFromName(absl::string_view name);

}  // namespace dbdump
