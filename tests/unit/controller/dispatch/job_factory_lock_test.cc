// JobFactory and S3 Object Lock, against a real store: a destination
// locked "until retention" gets its date from the database's rules in the
// backup job; a fixed period is left to the agent; rules that set no end
// with no period are refused with what to set.
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "common/base/names.h"
#include "controller/dispatch/job_factory.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fixtures/test_catalogue.h"

namespace dbdump {
namespace {

class JobFactoryLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-factory-lock.XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = *Store::Open(dir_ + "/c.db");
    ASSERT_TRUE(AddLocalStorage(store_.get(), dir_ + "/backups", clock_.Now()).ok());
    ASSERT_TRUE(AddInProcessAgent(store_.get(), "agent-1", clock_.Now()).ok());
    ASSERT_TRUE(AddSqliteDatabase(store_.get(), "orders", "agent-1", clock_.Now()).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Storage "vault" (S3) locked with `lock`; the database backs up there.
  void UseVault(const v1::ObjectLock& lock) {
    v1::StorageDestination s;
    s.set_name("vault");
    s.set_kind(v1::STORAGE_KIND_S3);
    s.set_bucket("locked-bucket");
    *s.mutable_object_lock() = lock;
    if (store_->GetStorage("vault").ok()) {
      ASSERT_TRUE(store_->UpdateStorage(s).ok());
      return;
    }
    ASSERT_TRUE(store_->AddStorage(s, clock_.Now()).ok());
    v1::Database d = *store_->GetDatabase("orders");
    d.set_storage("vault");
    ASSERT_TRUE(store_->UpdateDatabase(d).ok());
  }
  void Rules(const v1::RetentionRules& rules) {
    ASSERT_TRUE(store_->SetDatabaseRetention("orders", rules, "UTC", clock_.Now()).ok());
  }
  void Completed(const std::string& job_id, const std::string& id, const std::string& created) {
    v1::Backup b;
    b.set_id(id);
    b.set_database("orders");
    b.set_storage("vault");
    b.set_state(v1::BACKUP_STATE_COMPLETED);
    b.set_created_at(created);
    ASSERT_TRUE(CatalogueBackup(store_.get(), job_id, b).ok());
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

  std::string dir_;
  FakeClock clock_{TimeFromString("2026-03-03T00:00:00Z")};
  std::unique_ptr<Store> store_;
};

TEST_F(JobFactoryLockTest, UntilRetentionDatesTheLockFromTheRules) {
  v1::ObjectLock lock;
  lock.set_mode(v1::OBJECT_LOCK_MODE_GOVERNANCE);
  lock.set_until_retention(true);
  UseVault(lock);
  v1::RetentionRules rules;
  rules.set_keep_within_s(2 * 3600);
  rules.set_keep_daily(3);
  Rules(rules);
  absl::StatusOr<v1::BackupJob> bj = Prepare();
  ASSERT_TRUE(bj.ok()) << bj.status();
  ASSERT_EQ(bj->lock_until().count("vault"), 1u);
  EXPECT_EQ(bj->lock_until().at("vault"), "2026-03-06T00:00:00Z") << "created + 3 days (daily 3)";
}

TEST_F(JobFactoryLockTest, KeepLastCountsTheGapsBetweenRecentBackups) {
  Completed("job-1", "20260302T120000Z-0000000a", "2026-03-02T12:00:00Z");
  Completed("job-2", "20260302T180000Z-0000000b", "2026-03-02T18:00:00Z");
  v1::ObjectLock lock;
  lock.set_mode(v1::OBJECT_LOCK_MODE_COMPLIANCE);
  lock.set_until_retention(true);
  lock.set_retain_s(3600);
  UseVault(lock);
  v1::RetentionRules rules;
  rules.set_keep_last(3);
  Rules(rules);
  absl::StatusOr<v1::BackupJob> bj = Prepare();
  ASSERT_TRUE(bj.ok()) << bj.status();
  // Gaps of 6 h (the last one up to now): three newer backups take 18 h.
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
  UseVault(lock);
  bj = Prepare();
  EXPECT_TRUE(absl::IsFailedPrecondition(bj.status())) << bj.status();
  EXPECT_NE(bj.status().message().find("sets no end"), std::string::npos) << bj.status();
}

}  // namespace
}  // namespace dbdump
