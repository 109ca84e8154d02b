// ControllerPki: the CA and the controller's certificate made once and kept,
// private files, the controller's certificate renewed (same key) when a third
// of its life is left, agents' certificates issued with their identity, and
// bring-your-own files checked.
#include "controller/pki/controller_pki.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/security/identity.h"
#include "common/security/pki.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int Mode(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 0777) : -1;
}

class ControllerPkiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-pki.XXXXXX";
    dir_ = std::string(mkdtemp(tmpl)) + "/pki";
  }
  void TearDown() override { fs::remove_all(fs::path(dir_).parent_path()); }
  ControllerPkiOptions Options() {
    ControllerPkiOptions o;
    o.dir = dir_;
    o.clock = &clock_;
    o.controller_validity = absl::Hours(24 * 30);
    return o;
  }
  FakeClock clock_{absl::FromUnixSeconds(1800000000)};
  std::string dir_;
};

TEST_F(ControllerPkiTest, MadeOnFirstStartPrivateAndKeptAfter) {
  auto pki = ControllerPki::Open(Options());
  ASSERT_TRUE(pki.ok()) << pki.status();
  EXPECT_EQ(Mode(dir_), 0700);
  EXPECT_EQ(Mode(dir_ + "/ca.key"), 0600);
  EXPECT_EQ(Mode(dir_ + "/controller.key"), 0600);
  EXPECT_TRUE((*pki)->can_issue());
  auto own = InspectCertificate(Read(dir_ + "/controller.pem"));
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->uris, std::vector<std::string>{ControllerIdentity()});
  EXPECT_TRUE(VerifyIssuedBy(Read(dir_ + "/controller.pem"), (*pki)->ca_pem(), clock_.Now()).ok());
  std::string ca = (*pki)->ca_pem();
  std::string fingerprint = (*pki)->ca_fingerprint();
  pki->reset();
  auto again = ControllerPki::Open(Options());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->ca_pem(), ca);
  EXPECT_EQ((*again)->ca_fingerprint(), fingerprint);
}

TEST_F(ControllerPkiTest, OwnCertificateIsRenewedWithTheSameKeyWhenAThirdOfItsLifeIsLeft) {
  auto pki = ControllerPki::Open(Options());
  ASSERT_TRUE(pki.ok());
  std::string first = Read(dir_ + "/controller.pem");
  clock_.Advance(absl::Hours(24 * 19));  // 11 of 30 days left
  ASSERT_TRUE((*pki)->RenewOwnIfDue().ok());
  EXPECT_EQ(Read(dir_ + "/controller.pem"), first);
  clock_.Advance(absl::Hours(24 * 2));  // 9 of 30 days left
  ASSERT_TRUE((*pki)->RenewOwnIfDue().ok());
  std::string renewed = Read(dir_ + "/controller.pem");
  ASSERT_NE(renewed, first);
  auto a = InspectCertificate(first);
  auto b = InspectCertificate(renewed);
  EXPECT_NE(a->serial, b->serial);
  EXPECT_EQ(a->public_key_fingerprint, b->public_key_fingerprint);
  EXPECT_EQ(b->not_after, clock_.Now() + absl::Hours(24 * 30));
}

TEST_F(ControllerPkiTest, AgentCertificatesCarryTheAgentsIdentityAndTheirKey) {
  auto pki = ControllerPki::Open(Options());
  ASSERT_TRUE(pki.ok());
  std::string key = *GeneratePrivateKey();
  auto issued = (*pki)->IssueAgentCertificate("db1", *CreateCsr(key, "whatever the CSR says"));
  ASSERT_TRUE(issued.ok()) << issued.status();
  auto info = InspectCertificate(issued->pem);
  EXPECT_EQ(info->uris, std::vector<std::string>{AgentIdentity("db1")});
  EXPECT_EQ(info->public_key_fingerprint, *PrivateKeyPublicFingerprint(key));
  EXPECT_EQ(issued->serial, info->serial);
  EXPECT_FALSE((*pki)->IssueAgentCertificate("db1", "not a csr").ok());
}

TEST_F(ControllerPkiTest, BringYourOwnNeedsTheControllersIdentityAndItsKey) {
  auto made = ControllerPki::Open(Options());
  ASSERT_TRUE(made.ok());
  std::string key = *GeneratePrivateKey();
  auto agent = (*made)->IssueAgentCertificate("db1", *CreateCsr(key, "db1"));
  std::string other = fs::path(dir_).parent_path().string();
  std::ofstream(other + "/agent.pem") << agent->pem;
  std::ofstream(other + "/agent.key") << key;
  fs::permissions(other + "/agent.key", fs::perms::owner_read | fs::perms::owner_write);
  ControllerPkiOptions o = Options();
  o.ca_cert_file = dir_ + "/ca.pem";
  o.cert_file = other + "/agent.pem";
  o.key_file = other + "/agent.key";
  auto wrong = ControllerPki::Open(o);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("has no URI SAN spiffe://dbdump/controller"),
            std::string::npos)
      << wrong.status();
  o.cert_file = dir_ + "/controller.pem";
  auto mismatched = ControllerPki::Open(o);  // the agent's key with the controller's certificate
  ASSERT_FALSE(mismatched.ok());
  EXPECT_NE(mismatched.status().message().find("is not the key of"), std::string::npos);
  o.key_file = dir_ + "/controller.key";
  auto own = ControllerPki::Open(o);
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_FALSE((*own)->can_issue());
  EXPECT_FALSE((*own)->IssueAgentCertificate("db2", *CreateCsr(key, "db2")).ok());
}

}  // namespace
}  // namespace dbdump
