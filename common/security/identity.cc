#include "common/security/identity.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/base/names.h"

namespace dbdump {
namespace {

constexpr absl::string_view kControllerPath = "controller";
constexpr absl::string_view kAgentPath = "agent/";

}  // namespace

std::string ControllerIdentity() { return absl::StrCat(kIdentityPrefix, kControllerPath); }

std::string AgentIdentity(absl::string_view name) {
  return absl::StrCat(kIdentityPrefix, kAgentPath, name);
}

PeerIdentity ParseIdentity(absl::string_view uri) {
  PeerIdentity peer;
  // Exact, case-sensitive comparison: a URI SAN is compared byte for byte,
  // and an identity that needs normalising is not one we issued.
  if (!absl::ConsumePrefix(&uri, kIdentityPrefix)) return peer;
  if (uri == kControllerPath) {
    peer.kind = PeerIdentity::kController;
    return peer;
  }
  if (!absl::ConsumePrefix(&uri, kAgentPath)) return peer;
  // ValidateResourceName allows only [A-Za-z0-9._-] without "..", so '/',
  // '?', '#', '%' and NUL can never reach an agent name.
  std::string name(uri);
  if (!ValidateResourceName("agent name", name).ok()) return peer;
  peer.kind = PeerIdentity::kAgent;
  peer.agent_name = std::move(name);
  return peer;
}

}  // namespace dbdump
