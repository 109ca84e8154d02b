// BackupMaintainer::Delete against a real store and in-process fake agents:
// the agent removes the objects, the entry stays marked deleted; a second
// delete, and a delete while a restore job or a verification reads the
// backup, are refused without calling the agent; after the database moved to another agent, its
// local backups are verified and deleted by the agent that wrote them. A
// backup under S3 Object Lock: the catalogue records the lock of its
// manifest, retention keeps it ("locked until ...") and deletes it once the
// date passed, DeleteBackup refuses it without asking the agent.
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "common/base/names.h"
#include "controller/retention/backup_maintainer.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_agent_client.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fixtures/test_catalogue.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

constexpr char kBackup[] = "20260301T000000Z-0000000a";

class BackupDeleteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-delete.XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = *Store::Open(dir_ + "/c.db");
    ASSERT_TRUE(AddLocalStorage(store_.get(), dir_ + "/backups", clock_.Now()).ok());
    ASSERT_TRUE(AddInProcessAgent(store_.get(), "agent-1", clock_.Now()).ok());
    ASSERT_TRUE(AddSqliteDatabase(store_.get(), "orders", "agent-1", clock_.Now()).ok());
    agent_ = std::make_shared<FakeAgentClient>("agent-1", &tally_, &clock_);
    clients_.Add(agent_);
    ASSERT_TRUE(AddInProcessAgent(store_.get(), "agent-2", clock_.Now()).ok());
    other_ = std::make_shared<FakeAgentClient>("agent-2", &tally_, &clock_);
    clients_.Add(other_);
    Catalogue("job-1", kBackup);
    maintainer_ = std::make_unique<BackupMaintainer>(store_.get(), &clients_, &clock_, nullptr);
  }
  void TearDown() override {
    maintainer_.reset();
    agent_->Stop();
    other_->Stop();
    fs::remove_all(dir_);
  }
  // Created now, unless `created` says otherwise; `locked_until`: the
  // manifest's compliance lock (empty: none).
  void Catalogue(const std::string& job_id, const std::string& backup_id,
                 const std::string& created = "", const std::string& locked_until = "") {
    v1::Backup b;
    b.set_id(backup_id);
    b.set_database("orders");
    b.set_storage("local");
    b.set_state(v1::BACKUP_STATE_COMPLETED);
    b.set_created_at(created.empty() ? TimeToString(clock_.Now()) : created);
    b.mutable_manifest()->set_agent("agent-1");
    if (!locked_until.empty()) {
      b.mutable_manifest()->set_locked_until(locked_until);
      b.mutable_manifest()->set_lock_mode(v1::OBJECT_LOCK_MODE_COMPLIANCE);
    }
    ASSERT_TRUE(CatalogueBackup(store_.get(), job_id, b).ok());
  }

  std::string dir_;
  FakeClock clock_{TimeFromString("2026-03-01T00:30:00Z")};
  FakeAgentTally tally_;
  std::shared_ptr<FakeAgentClient> agent_;
  std::shared_ptr<FakeAgentClient> other_;
  FakeAgentClients clients_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<BackupMaintainer> maintainer_;
};

TEST_F(BackupDeleteTest, TheAgentRemovesTheObjectsAndTheEntryStaysMarkedDeleted) {
  // Even the newest (and only) backup: it was asked for by name.
  absl::StatusOr<v1::DeleteBackupResponse> r = maintainer_->Delete(kBackup);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(agent_->deleted(), std::vector<std::string>{kBackup});
  EXPECT_EQ(r->backup().state(), v1::BACKUP_STATE_DELETED);
  EXPECT_EQ(r->backup().deleted_at(), "2026-03-01T00:30:00Z");
  ASSERT_EQ(r->removed_keys_size(), 1);
  EXPECT_EQ(r->removed_keys(0), std::string("orders/") + kBackup + "/manifest.json");
  EXPECT_EQ(store_->GetBackup(kBackup)->state(), v1::BACKUP_STATE_DELETED);
}

TEST_F(BackupDeleteTest, ASecondDeleteIsRefusedClearly) {
  ASSERT_TRUE(maintainer_->Delete(kBackup).ok());
  absl::StatusOr<v1::DeleteBackupResponse> again = maintainer_->Delete(kBackup);
  EXPECT_TRUE(absl::IsFailedPrecondition(again.status())) << again.status();
  EXPECT_EQ(again.status().message(),
            std::string("backup ") + kBackup +
                " was already deleted at 2026-03-01T00:30:00Z: nothing is left to delete");
  EXPECT_EQ(agent_->deleted().size(), 1u) << "the agent was not asked twice";
  EXPECT_TRUE(absl::IsNotFound(maintainer_->Delete("20260301T000000Z-ffffffff").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(maintainer_->Delete("../etc").status()));
}

TEST_F(BackupDeleteTest, ABackupARestoreReadsIsNotDeleted) {
  v1::Job restore;
  restore.set_id("job-r");
  restore.set_kind(v1::JOB_KIND_RESTORE);
  restore.set_state(v1::JOB_STATE_QUEUED);
  restore.set_database("orders");
  restore.set_agent("agent-1");
  restore.set_backup_id(kBackup);
  restore.set_created_at(TimeToString(clock_.Now()));
  ASSERT_TRUE(store_->CreateJob(restore, "req").ok());
  ASSERT_TRUE(store_->TransitionJob("job-r", v1::JOB_STATE_RUNNING, "", clock_.Now()).ok());

  absl::StatusOr<v1::DeleteBackupResponse> r = maintainer_->Delete(kBackup);
  EXPECT_TRUE(absl::IsFailedPrecondition(r.status())) << r.status();
  EXPECT_EQ(r.status().message(),
            std::string("backup ") + kBackup +
                " is being read by restore job job-r: wait for it to end (dbdumpctl job wait "
                "job-r) or cancel it first");
  EXPECT_TRUE(agent_->deleted().empty());
  EXPECT_EQ(store_->GetBackup(kBackup)->state(), v1::BACKUP_STATE_COMPLETED);

  // Once the restore ended the backup can go.
  ASSERT_TRUE(store_->TransitionJob("job-r", v1::JOB_STATE_SUCCEEDED, "", clock_.Now()).ok());
  EXPECT_TRUE(maintainer_->Delete(kBackup).ok());
}

TEST_F(BackupDeleteTest, ABackupBeingVerifiedIsNotDeleted) {
  agent_->HoldVerifications(true);
  absl::StatusOr<v1::Backup> verified;
  std::thread verify([&] { verified = maintainer_->Verify(kBackup); });
  ASSERT_TRUE(agent_->WaitVerifying(absl::Seconds(20)));
  absl::StatusOr<v1::DeleteBackupResponse> r = maintainer_->Delete(kBackup);
  EXPECT_TRUE(absl::IsFailedPrecondition(r.status())) << r.status();
  EXPECT_EQ(r.status().message(), std::string("backup ") + kBackup +
                                      " is being verified: delete it once the verification ended");
  agent_->HoldVerifications(false);
  verify.join();
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(agent_->deleted().empty());
  EXPECT_TRUE(maintainer_->Delete(kBackup).ok()) << "once verified it can go";
}

TEST_F(BackupDeleteTest, ALocalBackupIsReachedThroughTheAgentThatWroteIt) {
  absl::StatusOr<v1::Database> db = store_->GetDatabase("orders");
  ASSERT_TRUE(db.ok());
  db->mutable_target()->set_agent("agent-2");
  ASSERT_TRUE(store_->UpdateDatabase(*db).ok());

  ASSERT_TRUE(maintainer_->Verify(kBackup).ok());
  EXPECT_EQ(agent_->verified(), std::vector<std::string>{kBackup});
  EXPECT_TRUE(other_->verified().empty()) << "agent-2's host does not hold the directory";
  ASSERT_TRUE(maintainer_->Delete(kBackup).ok());
  EXPECT_EQ(agent_->deleted(), std::vector<std::string>{kBackup});
  EXPECT_TRUE(other_->deleted().empty());
}

constexpr char kLocked[] = "20260228T000000Z-0000000c";
constexpr char kLockedUntil[] = "2026-03-10T00:00:00Z";

TEST_F(BackupDeleteTest, TheCatalogueRecordsTheLockOfTheManifest) {
  Catalogue("job-l", kLocked, "2026-02-28T00:00:00Z", kLockedUntil);
  absl::StatusOr<v1::Backup> locked = store_->GetBackup(kLocked);
  ASSERT_TRUE(locked.ok()) << locked.status();
  EXPECT_EQ(locked->locked_until(), kLockedUntil);
  EXPECT_EQ(locked->lock_mode(), v1::OBJECT_LOCK_MODE_COMPLIANCE);
  EXPECT_EQ(store_->GetBackup(kBackup)->locked_until(), "");
  EXPECT_EQ(store_->GetBackup(kBackup)->lock_mode(), v1::OBJECT_LOCK_MODE_UNSPECIFIED);
}

TEST_F(BackupDeleteTest, RetentionKeepsALockedBackupUntilItsDateThenDeletesIt) {
  Catalogue("job-l", kLocked, "2026-02-28T00:00:00Z", kLockedUntil);
  v1::SetDatabaseRetentionRequest rules;
  rules.set_database("orders");
  rules.mutable_rules()->set_keep_last(1);
  rules.set_time_zone("UTC");
  ASSERT_TRUE(maintainer_->SetDatabaseRules(rules).ok());

  v1::PlanRetentionRequest req;
  req.set_database("orders");
  absl::StatusOr<v1::PlanRetentionResponse> plan = maintainer_->Plan(req);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->verdicts_size(), 2);
  const v1::RetentionVerdict& old = plan->verdicts(1);
  EXPECT_EQ(old.backup_id(), kLocked);
  EXPECT_TRUE(old.keep());
  EXPECT_EQ(old.locked_until(), kLockedUntil);
  EXPECT_EQ(old.reason().rfind(std::string("locked until ") + kLockedUntil, 0), 0u) << old.reason();
  EXPECT_EQ(plan->verdicts(0).locked_until(), "") << "kept by the rules, not by a lock";

  absl::StatusOr<v1::ApplyRetentionResponse> applied = maintainer_->Apply("orders");
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_TRUE(applied->deleted().empty());
  EXPECT_TRUE(applied->errors().empty());
  EXPECT_TRUE(agent_->deleted().empty()) << "the agent was asked to delete a locked backup";

  // Planned again once the lock has passed: now it goes.
  clock_.Advance(absl::Hours(24 * 10));
  applied = maintainer_->Apply("orders");
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(std::vector<std::string>(applied->deleted().begin(), applied->deleted().end()),
            std::vector<std::string>{kLocked});
  EXPECT_EQ(agent_->deleted(), std::vector<std::string>{kLocked});
}

TEST_F(BackupDeleteTest, ALockedBackupIsNotDeletedOnRequest) {
  Catalogue("job-l", kLocked, "2026-02-28T00:00:00Z", kLockedUntil);
  absl::StatusOr<v1::DeleteBackupResponse> r = maintainer_->Delete(kLocked);
  EXPECT_TRUE(absl::IsFailedPrecondition(r.status())) << r.status();
  EXPECT_EQ(r.status().message(),
            std::string("backup ") + kLocked + " is locked (compliance) until " + kLockedUntil +
                " by S3 Object Lock: it cannot be deleted before then");
  EXPECT_TRUE(agent_->deleted().empty());
  EXPECT_EQ(store_->GetBackup(kLocked)->state(), v1::BACKUP_STATE_COMPLETED);
  clock_.Advance(absl::Hours(24 * 10));
  EXPECT_TRUE(maintainer_->Delete(kLocked).ok());
  EXPECT_EQ(agent_->deleted(), std::vector<std::string>{kLocked});
}

}  // namespace
}  // namespace dbdump
