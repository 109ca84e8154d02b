// Identities of dbdump peers as written into certificates: a URI subject
// alternative name per certificate, SPIFFE-style ("spiffe://dbdump/...").
// The controller and the agents name each other by these, never by the
// certificate's common name. Stateless; every function is thread-safe.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace dbdump {

// Identities are URI SANs in certificates.
inline constexpr char kIdentityPrefix[] = "spiffe://dbdump/";

// "spiffe://dbdump/controller".
std::string ControllerIdentity();
// "spiffe://dbdump/agent/<name>". `name` is not checked here; ParseIdentity
// refuses a name that is not a valid resource name.
std::string AgentIdentity(absl::string_view name);

// What a peer's certificate says it is.
struct PeerIdentity {
  enum Kind { kUnknown, kController, kAgent } kind = kUnknown;
  std::string agent_name;  // set for kAgent only
};

// kController for exactly ControllerIdentity(); kAgent for
// "spiffe://dbdump/agent/<name>" with a name ValidateResourceName accepts
// (so "../x", "a/b", "" are not agents); kUnknown for anything else,
// including other prefixes, different case, query strings and fragments.
PeerIdentity ParseIdentity(absl::string_view uri);

}  // namespace dbdump
