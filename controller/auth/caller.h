// Caller: who is making the current call, as the auth processor found it
// (an API token with its role, an agent's certificate), read back by the
// services.
//
// gRPC shares one AuthContext between all the calls of a connection, so it
// cannot say who makes a given call when calls with different tokens share
// a connection (the HTTP gateway's does). A token caller is therefore found
// again from the call's own authorization header in the CallerDirectory the
// processor filled; an agent from the connection's certificate (which is
// the connection's).
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
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

// The token callers the auth processor admitted, by a hash of their
// authorization header (never the header itself). Bounded: the oldest of
// more than 4096 are forgotten (a call whose token was forgotten between
// admission and handler is anonymous to the handler, which fails closed).
// Thread-safe.
class CallerDirectory {
 public:
  void Remember(absl::string_view authorization, const Caller& caller);
  std::optional<Caller> Find(absl::string_view authorization) const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, Caller> by_hash_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);
};

// Who makes this call: the token of its authorization header as the
// processor admitted it (found in `callers`; null: tokens are not looked
// up), else the agent of the connection's certificate; kPlaintext on a
// plaintext server; kAnonymous otherwise.
Caller CallerOf(const grpc::ServerContextBase& context, const CallerDirectory* callers);

// OK when the caller is a token of role `need` or higher (or the server is
// plaintext); PermissionDenied naming the token, its role and `what` needs.
absl::Status RequireRole(const Caller& caller, v1::Role need, absl::string_view what);

const char* RoleName(v1::Role role);
// "viewer", "operator", "admin" (any case); ROLE_UNSPECIFIED otherwise.
v1::Role RoleFromName(absl::string_view name);

}  // namespace dbdump
