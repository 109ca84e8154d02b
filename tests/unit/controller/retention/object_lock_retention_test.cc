// S3 Object Lock on the controller's side, against a real store and an
// in-process fake agent (the agent's storage is not involved): the catalogue
// records a backup's lock from its manifest; retention keeps a locked backup
// the rules would delete ("locked until ...") and deletes it once the date
// passed; DeleteBackup refuses a locked backup without asking the agent; the
// job factory dates the lock of "until retention" destinations from the
// database's rules.
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "common/base/names.h"
#include "controller/dispatch/job_factory.h"
#include "controller/retention/backup_maintainer.h"
#include "controller/retention/lock_horizon.h"
#include "controller/retention/retention_policy.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_agent_client.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fixtures/test_catalogue.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

constexpr char kOld[] = "20260301T000000Z-0000000a";
constexpr char kNew[] = "20260302T000000Z-0000000b";

class ObjectLockRetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-lockret.XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = *Store::Open(dir_ + "/c.db");
    ASSERT_TRUE(AddLocalStorage(store_.get(), dir_ + "/backups", clock_.Now()).ok());
    ASSERT_TRUE(AddInProcessAgent(store_.get(), "agent-1", clock_.Now()).ok());
    ASSERT_TRUE(AddSqliteDatabase(store_.get(), "orders", "agent-1", clock_.Now()).ok());
    agent_ = std::make_shared<FakeAgentClient>("agent-1", &tally_, &clock_);
    clients_.Add(agent_);
    maintainer_ = std::make_unique<BackupMaintainer>(store_.get(), &clients_, &clock_, nullptr);
  }
  void TearDown() override {
    maintainer_.reset();
    agent_->Stop();
    fs::remove_all(dir_);
  }
  // A completed backup created at `created` whose manifest records a
  // compliance lock until `locked_until` (empty: none).
  void Catalogue(const std::string& job_id, const std::string& backup_id,
                 const std::string& created, const std::string& locked_until) {
    v1::Job job;
    job.set_id(job_id);
    job.set_kind(v1::JOB_KIND_BACKUP);
    job.set_state(v1::JOB_STATE_QUEUED);
    job.set_database("orders");
    job.set_agent("agent-1");
    job.set_created_at(created);
    ASSERT_TRUE(store_->CreateJob(job, "req").ok());
    JobEnd end;
    end.job_id = job_id;
    end.state = v1::JOB_STATE_SUCCEEDED;
    end.now = TimeFromString(created);
    v1::Backup b;
    b.set_id(backup_id);
    b.set_database("orders");
    b.set_storage("local");
    b.set_state(v1::BACKUP_STATE_COMPLETED);
    b.set_created_at(created);
    b.mutable_manifest()->set_agent("agent-1");
    if (!locked_until.empty()) {
      b.mutable_manifest()->set_locked_until(locked_until);
      b.mutable_manifest()->set_lock_mode(v1::OBJECT_LOCK_MODE_COMPLIANCE);
    }
    end.backup = b;
    ASSERT_TRUE(store_->EndJob(end).ok());
  }
  void KeepLast(uint32_t n) {
    v1::SetDatabaseRetentionRequest req;
    req.set_database("orders");
    req.mutable_rules()->set_keep_last(n);
    req.set_time_zone("UTC");
    ASSERT_TRUE(maintainer_->SetDatabaseRules(req).ok());
  }

  std::string dir_;
  FakeClock clock_{TimeFromString("2026-03-03T00:00:00Z")};
  FakeAgentTally tally_;
  std::shared_ptr<FakeAgentClient> agent_;
  FakeAgentClients clients_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<BackupMaintainer> maintainer_;
};

TEST_F(ObjectLockRetentionTest, TheCatalogueRecordsTheLockOfTheManifest) {
  Catalogue("job-1", kOld, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z");
  Catalogue("job-2", kNew, "2026-03-02T00:00:00Z", "");
  absl::StatusOr<v1::Backup> locked = store_->GetBackup(kOld);
  ASSERT_TRUE(locked.ok()) << locked.status();
  EXPECT_EQ(locked->locked_until(), "2026-04-01T00:00:00Z");
  EXPECT_EQ(locked->lock_mode(), v1::OBJECT_LOCK_MODE_COMPLIANCE);
  EXPECT_EQ(store_->GetBackup(kNew)->locked_until(), "");
  EXPECT_EQ(store_->GetBackup(kNew)->lock_mode(), v1::OBJECT_LOCK_MODE_UNSPECIFIED);
}

TEST_F(ObjectLockRetentionTest, RetentionKeepsALockedBackupUntilItsDateThenDeletesIt) {
  Catalogue("job-1", kOld, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z");
  Catalogue("job-2", kNew, "2026-03-02T00:00:00Z", "");
  KeepLast(1);

  v1::PlanRetentionRequest req;
  req.set_database("orders");
  absl::StatusOr<v1::PlanRetentionResponse> plan = maintainer_->Plan(req);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->verdicts_size(), 2);
  const v1::RetentionVerdict& old = plan->verdicts(1);
  EXPECT_EQ(old.backup_id(), kOld);
  EXPECT_TRUE(old.keep());
  EXPECT_EQ(old.locked_until(), "2026-04-01T00:00:00Z");
  EXPECT_EQ(old.reason().rfind("locked until 2026-04-01T00:00:00Z", 0), 0u) << old.reason();

  absl::StatusOr<v1::ApplyRetentionResponse> applied = maintainer_->Apply("orders");
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_TRUE(applied->deleted().empty());
  EXPECT_TRUE(applied->errors().empty());
  EXPECT_TRUE(agent_->deleted().empty()) << "the agent was asked to delete a locked backup";

  // Planned again once the lock has passed: now it goes.
  clock_.Advance(absl::Hours(24 * 30));
  applied = maintainer_->Apply("orders");
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(std::vector<std::string>(applied->deleted().begin(), applied->deleted().end()),
            std::vector<std::string>{kOld});
  EXPECT_EQ(agent_->deleted(), std::vector<std::string>{kOld});
}

TEST_F(ObjectLockRetentionTest, DeleteBackupRefusesALockedBackupWithoutAskingTheAgent) {
  Catalogue("job-1", kOld, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z");
  absl::StatusOr<v1::DeleteBackupResponse> r = maintainer_->Delete(kOld);
  EXPECT_TRUE(absl::IsFailedPrecondition(r.status())) << r.status();
  EXPECT_EQ(r.status().message(),
            std::string("backup ") + kOld +
                " is locked (compliance) until 2026-04-01T00:00:00Z by S3 Object Lock: it cannot "
                "be deleted before then");
  EXPECT_TRUE(agent_->deleted().empty());
  EXPECT_EQ(store_->GetBackup(kOld)->state(), v1::BACKUP_STATE_COMPLETED);
  clock_.Advance(absl::Hours(24 * 30));
  EXPECT_TRUE(maintainer_->Delete(kOld).ok());
  EXPECT_EQ(agent_->deleted(), std::vector<std::string>{kOld});
}

TEST(RetentionPolicyLockTest, OnlyWhatTheRulesWouldDeleteSaysLocked) {
  absl::Time now = TimeFromString("2026-03-03T00:00:00Z");
  RetentionRules rules;
  rules.keep_last = 1;
  std::vector<RetentionCandidate> c = {
      {"b-new", now - absl::Hours(1), true, 2, now + absl::Hours(5)},
      {"b-old", now - absl::Hours(30), true, 1, now + absl::Hours(5)},
      {"b-expired", now - absl::Hours(60), true, 0, now - absl::Seconds(1)}};
  std::vector<RetentionDecision> d = RetentionPolicy(rules, absl::UTCTimeZone()).Plan(c, now);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_TRUE(d[0].keep);
  EXPECT_EQ(d[0].locked_until, absl::InfinitePast()) << "kept by the rules, not by the lock";
  EXPECT_TRUE(d[1].keep);
  EXPECT_EQ(d[1].locked_until, now + absl::Hours(5));
  EXPECT_FALSE(d[2].keep) << "a lock that has passed keeps nothing";
}

TEST(LockHorizonTest, TheLongestTheRulesCanKeepABackup) {
  const absl::Duration day = absl::Hours(24);
  RetentionRules r;
  EXPECT_EQ(RetentionHorizon(r, day), absl::ZeroDuration()) << "no rules: no end";
  r.keep_within = absl::Hours(36);
  EXPECT_EQ(RetentionHorizon(r, day), absl::Hours(36));
  r.keep_daily = 7;
  EXPECT_EQ(RetentionHorizon(r, day), 7 * day);
  r.keep_weekly = 4;
  EXPECT_EQ(RetentionHorizon(r, day), 28 * day);
  r.keep_monthly = 12;
  EXPECT_EQ(RetentionHorizon(r, day), 372 * day);
  r.keep_yearly = 2;
  EXPECT_EQ(RetentionHorizon(r, day), 732 * day);
  RetentionRules last;
  last.keep_last = 10;
  EXPECT_EQ(RetentionHorizon(last, absl::Hours(6)), absl::Hours(60));
  EXPECT_EQ(RetentionHorizon(last, absl::ZeroDuration()), absl::ZeroDuration());

  absl::Time t0 = TimeFromString("2026-03-01T00:00:00Z");
  EXPECT_EQ(RecentBackupInterval({t0}, 3), absl::ZeroDuration());
  // The newest 3 + 1 backups count: the 50 h gap at the start is older.
  EXPECT_EQ(RecentBackupInterval({t0, t0 + absl::Hours(50), t0 + absl::Hours(51),
                                  t0 + absl::Hours(53), t0 + absl::Hours(54)},
                                 3),
            absl::Hours(2));
}

class JobFactoryLockTest : public ObjectLockRetentionTest {
 protected:
  // Storage "vault" (S3) locked with `lock`, the database backed up there.
  void UseVault(const v1::ObjectLock& lock) {
    v1::StorageDestination s;
    s.set_name("vault");
    s.set_kind(v1::STORAGE_KIND_S3);
    s.set_bucket("locked-bucket");
    *s.mutable_object_lock() = lock;
    ASSERT_TRUE(store_->AddStorage(s, clock_.Now()).ok());
    v1::Database d = *store_->GetDatabase("orders");
    d.set_storage("vault");
    ASSERT_TRUE(store_->UpdateDatabase(d).ok());
  }
  absl::StatusOr<v1::BackupJob> Prepare() {
    BackupSettings s;
    s.database = "orders";
    absl::StatusOr<StoredJob> j = JobFactory(store_.get(), &clock_).PrepareBackup(s);
    if (!j.ok()) return j.status();
    v1::BackupJob bj;
    bj.ParseFromString(j->request);
    return bj;
  }
};

TEST_F(JobFactoryLockTest, UntilRetentionDatesTheLockFromTheRules) {
  v1::ObjectLock lock;
  lock.set_mode(v1::OBJECT_LOCK_MODE_GOVERNANCE);
  lock.set_until_retention(true);
  UseVault(lock);
  v1::SetDatabaseRetentionRequest req;
  req.set_database("orders");
  req.mutable_rules()->set_keep_within_s(2 * 3600);
  req.mutable_rules()->set_keep_daily(3);
  req.set_time_zone("UTC");
  ASSERT_TRUE(maintainer_->SetDatabaseRules(req).ok());
  absl::StatusOr<v1::BackupJob> bj = Prepare();
  ASSERT_TRUE(bj.ok()) << bj.status();
  ASSERT_EQ(bj->lock_until().count("vault"), 1u);
  EXPECT_EQ(bj->lock_until().at("vault"), "2026-03-06T00:00:00Z") << "created + 3 days (daily 3)";
}

TEST_F(JobFactoryLockTest, KeepLastCountsTheGapsBetweenRecentBackups) {
  Catalogue("job-1", kOld, "2026-03-02T12:00:00Z", "");
  Catalogue("job-2", kNew, "2026-03-02T18:00:00Z", "");
  v1::ObjectLock lock;
  lock.set_mode(v1::OBJECT_LOCK_MODE_COMPLIANCE);
  lock.set_until_retention(true);
  lock.set_retain_s(3600);
  UseVault(lock);
  KeepLast(3);
  absl::StatusOr<v1::BackupJob> bj = Prepare();
  ASSERT_TRUE(bj.ok()) << bj.status();
  // Gaps 6 h and (to now) 6 h: three newer backups take 18 h.
  EXPECT_EQ(bj->lock_until().at("vault"), "2026-03-03T18:00:00Z");
}

TEST_F(JobFactoryLockTest, AFixedPeriodIsLeftToTheAgentAndNoEndIsRefused) {
  v1::ObjectLock lock;
  lock.set_mode(v1::OBJECT_LOCK_MODE_COMPLIANCE);
  lock.set_retain_s(86400);
  UseVault(lock);
  absl::StatusOr<v1::BackupJob> bj = Prepare();
  ASSERT_TRUE(bj.ok()) << bj.status();
  EXPECT_TRUE(bj->lock_until().empty()) << "the agent dates a fixed period at the job's start";

  lock.set_retain_s(0);
  lock.set_until_retention(true);
  v1::StorageDestination s = *store_->GetStorage("vault");
  *s.mutable_object_lock() = lock;
  ASSERT_TRUE(store_->UpdateStorage(s).ok());
  bj = Prepare();
  EXPECT_TRUE(absl::IsFailedPrecondition(bj.status())) << bj.status();
  EXPECT_NE(bj.status().message().find("sets no end"), std::string::npos) << bj.status();
}

}  // namespace
}  // namespace dbdump
