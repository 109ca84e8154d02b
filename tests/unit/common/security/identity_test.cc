#include "common/security/identity.h"

#include <string>

#include "gtest/gtest.h"

namespace dbdump {
namespace {

TEST(IdentityTest, MakesIdentities) {
  EXPECT_EQ(ControllerIdentity(), "spiffe://dbdump/controller");
  EXPECT_EQ(AgentIdentity("db1"), "spiffe://dbdump/agent/db1");
}

TEST(IdentityTest, ParsesController) {
  PeerIdentity peer = ParseIdentity(ControllerIdentity());
  EXPECT_EQ(peer.kind, PeerIdentity::kController);
  EXPECT_EQ(peer.agent_name, "");
}

TEST(IdentityTest, ParsesAgents) {
  const std::string longest(63, 'x');  // the most a resource name may have
  for (const std::string& name : {std::string("db1"), std::string("prod-mysql.eu_1"),
                                  std::string("A"), longest}) {
    PeerIdentity peer = ParseIdentity(AgentIdentity(name));
    EXPECT_EQ(peer.kind, PeerIdentity::kAgent) << name;
    EXPECT_EQ(peer.agent_name, name);
  }
}

TEST(IdentityTest, HostileOrForeignIdentitiesAreUnknown) {
  for (const char* uri : {
           "spiffe://dbdump/agent/../x", "spiffe://dbdump/agent/..", "spiffe://dbdump/agent/",
           "spiffe://dbdump/agent/a/b", "spiffe://dbdump/agent/-rf", "spiffe://dbdump/agent/.x",
           "spiffe://dbdump/agent/a%2fb", "spiffe://dbdump/agent/db1?x=1",
           "spiffe://dbdump/agent/db1#frag", "spiffe://dbdump/agent/db 1",
           "spiffe://dbdump/agent/a..b",
           // 64 characters: one more than a resource name may have.
           "spiffe://dbdump/agent/x234567890123456789012345678901234567890123456789012345678901234",
           "spiffe://dbdump/controller/", "spiffe://dbdump/controllerx",
           "spiffe://dbdump/Controller", "SPIFFE://dbdump/controller", "spiffe://dbdump/",
           "spiffe://dbdump/agents/db1", "spiffe://other/agent/db1",
           "spiffe://dbdump.evil/agent/db1",
           "https://dbdump/agent/db1", "spiffe://dbdump//agent/db1", "", "db1"}) {
    PeerIdentity peer = ParseIdentity(uri);
    EXPECT_EQ(peer.kind, PeerIdentity::kUnknown) << uri;
    EXPECT_EQ(peer.agent_name, "") << uri;
  }
  // An embedded NUL does not cut the name short.
  std::string with_nul = AgentIdentity("db1");
  with_nul.push_back('\0');
  with_nul += "x";
  EXPECT_EQ(ParseIdentity(with_nul).kind, PeerIdentity::kUnknown);
}

}  // namespace
}  // namespace dbdump
