// Store: API tokens, join tokens, agent certificates and the audit chain.
#include <filesystem>

#include "controller/audit/audit_hash.h"
#include "controller/store/store.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

class SecurityStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-security.XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = *Store::Open(dir_ + "/c.db", &clock_);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  ApiTokenRecord Token(const std::string& name, const std::string& hash) {
    ApiTokenRecord t;
    t.name = name;
    t.token_hash = hash;
    t.role = "operator";
    t.created_by = "admin";
    t.created_at = clock_.Now();
    return t;
  }
  JoinTokenRecord Join(const std::string& hash, absl::Duration valid) {
    JoinTokenRecord t;
    t.token_hash = hash;
    t.agent_name = "agent-7";
    t.created_by = "admin";
    t.created_at = clock_.Now();
    t.expires_at = clock_.Now() + valid;
    return t;
  }
  FakeClock clock_{absl::FromUnixSeconds(1767225600)};
  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(SecurityStoreTest, CreatesAndFindsApiTokensByHash) {
  ApiTokenRecord t = Token("ci", "sha256:aa");
  t.expires_at = clock_.Now() + absl::Hours(24);
  ASSERT_TRUE(store_->CreateApiToken(t).ok());
  ASSERT_TRUE(store_->CreateApiToken(Token("ops", "sha256:bb")).ok());

  absl::StatusOr<ApiTokenRecord> found = store_->FindApiTokenByHash("sha256:aa");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->name, "ci");
  EXPECT_EQ(found->role, "operator");
  EXPECT_EQ(found->created_by, "admin");
  EXPECT_EQ(found->created_at, clock_.Now());
  EXPECT_EQ(found->expires_at, clock_.Now() + absl::Hours(24));
  EXPECT_FALSE(found->revoked());
  EXPECT_EQ(found->last_used_at, absl::InfinitePast());
  EXPECT_EQ(store_->FindApiTokenByHash("sha256:bb")->expires_at, absl::InfiniteFuture());

  EXPECT_TRUE(absl::IsNotFound(store_->FindApiTokenByHash("sha256:cc").status()));
}

TEST_F(SecurityStoreTest, RefusesADuplicateTokenName) {
  ASSERT_TRUE(store_->CreateApiToken(Token("ci", "sha256:aa")).ok());
  absl::Status st = store_->CreateApiToken(Token("ci", "sha256:bb"));
  EXPECT_TRUE(absl::IsAlreadyExists(st)) << st;
  EXPECT_EQ(st.message(), "a token named ci already exists");
  // The same hash under another name is refused too.
  EXPECT_TRUE(absl::IsAlreadyExists(store_->CreateApiToken(Token("other", "sha256:aa"))));
}

TEST_F(SecurityStoreTest, RevokesOnceAndKeepsTheFirstTime) {
  ASSERT_TRUE(store_->CreateApiToken(Token("ci", "sha256:aa")).ok());
  absl::Time first = clock_.Now() + absl::Minutes(1);
  ASSERT_TRUE(store_->RevokeApiToken("ci", first).ok());
  ASSERT_TRUE(store_->RevokeApiToken("ci", first + absl::Hours(1)).ok());
  ApiTokenRecord t = *store_->FindApiTokenByHash("sha256:aa");
  EXPECT_TRUE(t.revoked());
  EXPECT_EQ(t.revoked_at, first);
  EXPECT_TRUE(absl::IsNotFound(store_->RevokeApiToken("nobody", first)));
}

TEST_F(SecurityStoreTest, ListsTokensByNameAndRecordsUse) {
  ASSERT_TRUE(store_->CreateApiToken(Token("ops", "sha256:bb")).ok());
  ASSERT_TRUE(store_->CreateApiToken(Token("ci", "sha256:aa")).ok());
  absl::Time used = clock_.Now() + absl::Seconds(30);
  ASSERT_TRUE(store_->TouchApiToken("ops", used).ok());
  EXPECT_TRUE(absl::IsNotFound(store_->TouchApiToken("nobody", used)));

  absl::StatusOr<std::vector<ApiTokenRecord>> all = store_->ListApiTokens();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "ci");
  EXPECT_EQ((*all)[0].last_used_at, absl::InfinitePast());
  EXPECT_EQ((*all)[1].name, "ops");
  EXPECT_EQ((*all)[1].last_used_at, used);
}

TEST_F(SecurityStoreTest, RedeemsAJoinTokenOnce) {
  ASSERT_TRUE(store_->CreateJoinToken(Join("sha256:j1", absl::Hours(1))).ok());
  absl::StatusOr<std::string> agent = store_->RedeemJoinToken("sha256:j1", clock_.Now());
  ASSERT_TRUE(agent.ok()) << agent.status();
  EXPECT_EQ(*agent, "agent-7");

  agent = store_->RedeemJoinToken("sha256:j1", clock_.Now());
  EXPECT_TRUE(absl::IsFailedPrecondition(agent.status())) << agent.status();
  EXPECT_EQ(agent.status().message(), "join token already used");
}

TEST_F(SecurityStoreTest, RefusesUnknownAndExpiredJoinTokensAndChangesNothing) {
  absl::StatusOr<std::string> agent = store_->RedeemJoinToken("sha256:none", clock_.Now());
  EXPECT_TRUE(absl::IsNotFound(agent.status())) << agent.status();
  EXPECT_EQ(agent.status().message(), "unknown join token");

  ASSERT_TRUE(store_->CreateJoinToken(Join("sha256:j2", absl::Hours(1))).ok());
  agent = store_->RedeemJoinToken("sha256:j2", clock_.Now() + absl::Hours(1));
  EXPECT_TRUE(absl::IsFailedPrecondition(agent.status())) << agent.status();
  EXPECT_NE(agent.status().message().find("join token expired at 2026-01-01T01:00:00Z"),
            absl::string_view::npos)
      << agent.status();

  // The failed redeem left the token unused: still redeemable in time.
  agent = store_->RedeemJoinToken("sha256:j2", clock_.Now() + absl::Minutes(59));
  EXPECT_TRUE(agent.ok()) << agent.status();
}

TEST_F(SecurityStoreTest, RecordsAndRevokesCertificates) {
  CertificateRecord c;
  c.serial = "01";
  c.agent_name = "agent-7";
  c.fingerprint = "sha256:ff";
  c.issued_at = clock_.Now();
  c.not_after = clock_.Now() + absl::Hours(24 * 90);
  ASSERT_TRUE(store_->RecordCertificate(c).ok());
  c.serial = "02";
  ASSERT_TRUE(store_->RecordCertificate(c).ok());
  c.serial = "03";
  c.agent_name = "agent-8";
  ASSERT_TRUE(store_->RecordCertificate(c).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(store_->RecordCertificate(c)));

  absl::StatusOr<CertificateRecord> got = store_->GetCertificate("01");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->agent_name, "agent-7");
  EXPECT_EQ(got->fingerprint, "sha256:ff");
  EXPECT_EQ(got->not_after, clock_.Now() + absl::Hours(24 * 90));
  EXPECT_FALSE(got->revoked);
  EXPECT_TRUE(absl::IsNotFound(store_->GetCertificate("99").status()));

  EXPECT_EQ(*store_->RevokeAgentCertificates("agent-7", clock_.Now()), 2);
  EXPECT_EQ(*store_->RevokeAgentCertificates("agent-7", clock_.Now()), 0);
  EXPECT_TRUE(store_->GetCertificate("02")->revoked);
  EXPECT_FALSE(store_->GetCertificate("03")->revoked);
}

TEST_F(SecurityStoreTest, ChainsAuditEntries) {
  AuditEntry e;
  e.at = clock_.Now() + absl::Microseconds(123456) + absl::Nanoseconds(789);
  e.actor = "token:ci";
  e.rpc = "CreateDatabase";
  e.target = "orders";
  e.outcome = "ok";
  absl::StatusOr<AuditEntry> first = store_->AppendAudit(e);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->seq, 1);
  EXPECT_EQ(first->prev_hash, "");
  EXPECT_EQ(first->hash, AuditEntryHash(*first));
  EXPECT_EQ(first->at, clock_.Now() + absl::Microseconds(123456));

  e.target = "billing";
  absl::StatusOr<AuditEntry> second = store_->AppendAudit(e);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->seq, 2);
  EXPECT_EQ(second->prev_hash, first->hash);

  // Read back exactly as hashed.
  std::vector<AuditEntry> chain = *store_->AuditChain(1, 10);
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_EQ(chain[0].at, first->at);
  EXPECT_EQ(AuditEntryHash(chain[0]), chain[0].hash);
  EXPECT_EQ(AuditEntryHash(chain[1]), chain[1].hash);
  EXPECT_EQ(store_->AuditChain(2, 10)->size(), 1u);
}

TEST_F(SecurityStoreTest, ListsAuditNewestFirstWithFilters) {
  for (int i = 1; i <= 6; ++i) {
    AuditEntry e;
    e.at = clock_.Now() + absl::Minutes(i);
    e.actor = i % 2 ? "alice" : "bob";
    e.rpc = i <= 3 ? "dbdump.v1.DatabaseService/CreateDatabase" : "dbdump.v1.JobService/Cancel";
    e.outcome = i == 5 ? "denied" : "ok";
    ASSERT_TRUE(store_->AppendAudit(e).ok());
  }
  std::vector<int64_t> seqs;
  auto list = [&](const AuditFilter& f) {
    seqs.clear();
    absl::StatusOr<std::vector<AuditEntry>> entries = store_->ListAudit(f);
    EXPECT_TRUE(entries.ok()) << entries.status();
    for (const AuditEntry& e : entries.value()) seqs.push_back(e.seq);
    return seqs;
  };
  AuditFilter f;
  EXPECT_EQ(list(f), (std::vector<int64_t>{6, 5, 4, 3, 2, 1}));
  f.limit = 2;
  EXPECT_EQ(list(f), (std::vector<int64_t>{6, 5}));
  f.before_seq = 5;
  EXPECT_EQ(list(f), (std::vector<int64_t>{4, 3}));
  f = AuditFilter();
  f.actor = "alice";
  EXPECT_EQ(list(f), (std::vector<int64_t>{5, 3, 1}));
  f = AuditFilter();
  f.rpc_contains = "Database";
  EXPECT_EQ(list(f), (std::vector<int64_t>{3, 2, 1}));
  f.rpc_contains = "%";  // a literal, not a wildcard
  EXPECT_EQ(list(f), (std::vector<int64_t>{}));
  f = AuditFilter();
  f.outcome = "denied";
  EXPECT_EQ(list(f), (std::vector<int64_t>{5}));
  f = AuditFilter();
  f.since = clock_.Now() + absl::Minutes(2);
  f.until = clock_.Now() + absl::Minutes(4);
  EXPECT_EQ(list(f), (std::vector<int64_t>{3, 2}));
}

}  // namespace
}  // namespace dbdump
