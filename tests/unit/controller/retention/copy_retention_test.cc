// Retention per copy destination, against a real store (SQLite in a temp
// directory) and the in-process fake agent (nothing real can stand in for
// the agent's gRPC service inside a unit test; the e2e test copies.sh runs
// the real one): a destination's own rules delete its copies through the
// agent on that destination and mark them deleted, never its newest
// committed copy, never a copy locked into the future ("locked until ...");
// the primary's catalogue entries are left as they were. Storage removal is
// refused for a copy destination.
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "controller/retention/backup_maintainer.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_agent_client.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fixtures/test_catalogue.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

class CopyRetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-copyret.XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = *Store::Open(dir_ + "/c.db");
    ASSERT_TRUE(AddLocalStorage(store_.get(), dir_ + "/backups", clock_.Now()).ok());
    v1::StorageDestination remote;
    remote.set_name("remote");
    remote.set_kind(v1::STORAGE_KIND_LOCAL);
    remote.set_path(dir_ + "/remote");
    ASSERT_TRUE(store_->AddStorage(remote, clock_.Now()).ok());
    ASSERT_TRUE(AddInProcessAgent(store_.get(), "agent-1", clock_.Now()).ok());
    ASSERT_TRUE(AddSqliteDatabase(store_.get(), "orders", "agent-1", clock_.Now()).ok());
    v1::Database db = *store_->GetDatabase("orders");
    db.add_copies("remote");
    ASSERT_TRUE(store_->UpdateDatabase(db).ok());
    agent_ = std::make_shared<FakeAgentClient>("agent-1", &tally_, &clock_);
    clients_.Add(agent_);
    maintainer_ = std::make_unique<BackupMaintainer>(store_.get(), &clients_, &clock_, nullptr);
  }
  void TearDown() override {
    maintainer_.reset();
    agent_->Stop();
    fs::remove_all(dir_);
  }
  // A backup made at `at` by its own job, its copy in "remote" as given.
  void Catalogue(int n, const std::string& at, v1::BackupCopyState copy_state,
                 const std::string& locked_until = "") {
    std::string job_id = absl::StrCat("job-", n);
    std::string backup_id = absl::StrCat("20260301T0", n, "0000Z-0000000a");
    ids_.push_back(backup_id);
    v1::Backup b;
    b.set_id(backup_id);
    b.set_database("orders");
    b.set_storage("local");
    b.set_state(v1::BACKUP_STATE_COMPLETED);
    b.set_created_at(at);
    b.mutable_manifest()->set_agent("agent-1");
    v1::BackupCopy c;
    c.set_storage("remote");
    c.set_state(copy_state);
    c.set_updated_at(at);
    c.set_locked_until(locked_until);
    if (!locked_until.empty()) c.set_lock_mode(v1::OBJECT_LOCK_MODE_COMPLIANCE);
    ASSERT_TRUE(CatalogueBackup(store_.get(), job_id, b, {c}).ok());
  }
  // The plan of the "remote" destination under its own rules.
  v1::PlanRetentionResponse PlanRemote() {
    v1::PlanRetentionRequest plan;
    plan.set_database("orders");
    plan.set_storage("remote");
    absl::StatusOr<v1::PlanRetentionResponse> p = maintainer_->Plan(plan);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : v1::PlanRetentionResponse();
  }
  v1::BackupCopy CopyOf(const std::string& id) {
    v1::Backup b = *store_->GetBackup(id);
    EXPECT_EQ(b.copies_size(), 1);
    return b.copies_size() > 0 ? b.copies(0) : v1::BackupCopy();
  }
  void SetRemoteKeepLast(int n) {
    v1::SetDatabaseRetentionRequest req;
    req.set_database("orders");
    req.set_storage("remote");
    req.mutable_rules()->set_keep_last(n);
    ASSERT_TRUE(maintainer_->SetDatabaseRules(req).ok());
  }

  std::string dir_;
  FakeClock clock_{TimeFromString("2026-03-02T00:00:00Z")};
  FakeAgentTally tally_;
  std::shared_ptr<FakeAgentClient> agent_;
  FakeAgentClients clients_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<BackupMaintainer> maintainer_;
  std::vector<std::string> ids_;
};

TEST_F(CopyRetentionTest, CopiesAreRecordedWithTheBackup) {
  Catalogue(1, "2026-03-01T01:00:00Z", v1::BACKUP_COPY_STATE_PENDING);
  v1::BackupCopy c = CopyOf(ids_[0]);
  EXPECT_EQ(c.storage(), "remote");
  EXPECT_EQ(c.state(), v1::BACKUP_COPY_STATE_PENDING);
  EXPECT_EQ(c.attempts(), 1u);
  // A second write of the copy (a copy job) counts as a second attempt.
  c.set_state(v1::BACKUP_COPY_STATE_COMMITTED);
  ASSERT_TRUE(store_->RecordCopyAttempt(ids_[0], c).ok());
  EXPECT_EQ(CopyOf(ids_[0]).state(), v1::BACKUP_COPY_STATE_COMMITTED);
  EXPECT_EQ(CopyOf(ids_[0]).attempts(), 2u);
  EXPECT_TRUE(store_->PendingCopies()->empty());
}

TEST_F(CopyRetentionTest, DestinationRulesDeleteItsCopiesOnly) {
  Catalogue(1, "2026-03-01T01:00:00Z", v1::BACKUP_COPY_STATE_COMMITTED);
  Catalogue(2, "2026-03-01T02:00:00Z", v1::BACKUP_COPY_STATE_COMMITTED);
  Catalogue(3, "2026-03-01T03:00:00Z", v1::BACKUP_COPY_STATE_COMMITTED);
  SetRemoteKeepLast(1);
  v1::PlanRetentionResponse p = PlanRemote();
  ASSERT_EQ(p.verdicts_size(), 3);
  absl::StatusOr<v1::ApplyRetentionResponse> applied = maintainer_->Apply("orders");
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(agent_->deleted_from(),
            (std::vector<std::string>{"remote:" + ids_[1], "remote:" + ids_[0]}));
  EXPECT_EQ(CopyOf(ids_[0]).state(), v1::BACKUP_COPY_STATE_DELETED);
  EXPECT_EQ(CopyOf(ids_[1]).state(), v1::BACKUP_COPY_STATE_DELETED);
  EXPECT_EQ(CopyOf(ids_[2]).state(), v1::BACKUP_COPY_STATE_COMMITTED);
  for (const std::string& id : ids_) {
    v1::Backup b = *store_->GetBackup(id);
    EXPECT_EQ(b.state(), v1::BACKUP_STATE_COMPLETED) << "the primary was touched";
    EXPECT_TRUE(b.deleted_at().empty());
  }
}

TEST_F(CopyRetentionTest, NewestCommittedCopyStaysWhateverTheRules) {
  Catalogue(1, "2026-03-01T01:00:00Z", v1::BACKUP_COPY_STATE_COMMITTED);
  Catalogue(2, "2026-03-01T02:00:00Z", v1::BACKUP_COPY_STATE_PENDING);
  v1::SetDatabaseRetentionRequest req;
  req.set_database("orders");
  req.set_storage("remote");
  req.mutable_rules()->set_keep_within_s(60);  // everything is older
  ASSERT_TRUE(maintainer_->SetDatabaseRules(req).ok());
  ASSERT_TRUE(maintainer_->Apply("orders").ok());
  EXPECT_TRUE(agent_->deleted_from().empty()) << "the destination's only good copy was deleted";
  EXPECT_EQ(CopyOf(ids_[0]).state(), v1::BACKUP_COPY_STATE_COMMITTED);
}

TEST_F(CopyRetentionTest, LockedCopyIsKeptUntilItsDate) {
  Catalogue(1, "2026-03-01T01:00:00Z", v1::BACKUP_COPY_STATE_COMMITTED, "2026-04-01T00:00:00Z");
  Catalogue(2, "2026-03-01T02:00:00Z", v1::BACKUP_COPY_STATE_COMMITTED);
  Catalogue(3, "2026-03-01T03:00:00Z", v1::BACKUP_COPY_STATE_COMMITTED);
  SetRemoteKeepLast(1);
  v1::PlanRetentionResponse p = PlanRemote();
  bool seen = false;
  for (const v1::RetentionVerdict& v : p.verdicts()) {
    if (v.backup_id() != ids_[0]) continue;
    seen = true;
    EXPECT_TRUE(v.keep());
    EXPECT_EQ(v.reason(), "locked until 2026-04-01T00:00:00Z");
    EXPECT_EQ(v.locked_until(), "2026-04-01T00:00:00Z");
  }
  EXPECT_TRUE(seen);
  ASSERT_TRUE(maintainer_->Apply("orders").ok());
  EXPECT_EQ(agent_->deleted_from(), (std::vector<std::string>{"remote:" + ids_[1]}));
  // Once the date has passed the rules decide again.
  clock_.Advance(absl::Hours(24 * 40));
  ASSERT_TRUE(maintainer_->Apply("orders").ok());
  EXPECT_EQ(agent_->deleted_from(),
            (std::vector<std::string>{"remote:" + ids_[1], "remote:" + ids_[0]}));
}

TEST_F(CopyRetentionTest, RulesForAStorageThatIsNoCopyDestinationAreRefused) {
  v1::StorageDestination other;
  other.set_name("other");
  other.set_kind(v1::STORAGE_KIND_LOCAL);
  other.set_path(dir_ + "/other");
  ASSERT_TRUE(store_->AddStorage(other, clock_.Now()).ok());
  v1::SetDatabaseRetentionRequest req;
  req.set_database("orders");
  req.set_storage("other");
  req.mutable_rules()->set_keep_last(1);
  absl::StatusOr<std::string> st = maintainer_->SetDatabaseRules(req);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("copy destinations (remote)"), std::string::npos)
      << st.status();
  EXPECT_TRUE(absl::IsNotFound(store_->GetCopyRetention("orders", "other").status()));
}

TEST_F(CopyRetentionTest, CopyDestinationCannotBeRemoved) {
  absl::Status st = store_->RemoveStorage("remote");
  EXPECT_TRUE(absl::IsFailedPrecondition(st)) << st;
  EXPECT_NE(st.message().find("copy destination of database \"orders\""), std::string::npos) << st;
  EXPECT_TRUE(store_->GetStorage("remote").ok());
}

}  // namespace
}  // namespace dbdump
