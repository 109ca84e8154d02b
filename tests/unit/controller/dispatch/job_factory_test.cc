// JobFactory's checks of a restore request before a job is made of it: the
// age identity is taken by reference only, and an encrypted backup gets no
// restore job without one.
#include "controller/dispatch/job_factory.h"

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "controller/store/store.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fixtures/test_catalogue.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

class JobFactoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-factory.XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = *Store::Open(dir_ + "/c.db");
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  std::string dir_;
  FakeClock clock_{absl::FromUnixSeconds(1767225600)};
  std::unique_ptr<Store> store_;
};

TEST_F(JobFactoryTest, AnIdentityInPlaceOfItsReferenceIsRefusedWithoutRepeatingIt) {
  JobFactory factory(store_.get(), &clock_);
  v1::StartRestoreRequest req;
  req.set_backup_id("20260101T000000Z-abcdef12");
  const std::string secret =
      "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
  req.mutable_options()->set_identity_ref(secret);
  absl::StatusOr<StoredJob> job = factory.PrepareRestore(req);
  ASSERT_FALSE(job.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(job.status())) << job.status();
  EXPECT_NE(job.status().message().find("identity_ref must be"), std::string::npos);
  EXPECT_EQ(job.status().message().find("GFPYYSJZ"), std::string::npos) << job.status();
  // A reference passes this check (and the unknown backup is what fails).
  req.mutable_options()->set_identity_ref("file:/etc/dbdump/team.key");
  job = factory.PrepareRestore(req);
  EXPECT_TRUE(absl::IsNotFound(job.status())) << job.status();
}

TEST_F(JobFactoryTest, AnEncryptedBackupIsNotQueuedForARestoreWithoutAnIdentity) {
  ASSERT_TRUE(AddLocalStorage(store_.get(), dir_ + "/backups", clock_.Now()).ok());
  ASSERT_TRUE(AddInProcessAgent(store_.get(), "agent-1", clock_.Now()).ok());
  ASSERT_TRUE(AddSqliteDatabase(store_.get(), "orders", "agent-1", clock_.Now()).ok());
  v1::Backup b;
  b.set_id("20260101T000000Z-abcdef12");
  b.set_database("orders");
  b.set_storage("local");
  b.set_state(v1::BACKUP_STATE_COMPLETED);
  b.set_created_at("2026-01-01T00:00:00Z");
  b.mutable_manifest()->set_engine(v1::ENGINE_SQLITE);
  b.mutable_manifest()->mutable_encryption()->set_format("age-encryption.org/v1");
  b.mutable_manifest()->mutable_encryption()->add_recipients(
      "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p");
  b.mutable_manifest()->mutable_encryption()->add_recipients(
      "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj");
  ASSERT_TRUE(CatalogueBackup(store_.get(), "job-1", b).ok());

  JobFactory factory(store_.get(), &clock_);
  for (bool test_restore : {false, true}) {
    v1::StartRestoreRequest req;
    req.set_backup_id(b.id());
    req.set_target(dir_ + "/restored.db");
    if (test_restore) {
      req.clear_target();
      req.mutable_options()->set_test_restore(true);
    }
    absl::StatusOr<StoredJob> job = factory.PrepareRestore(req);
    ASSERT_FALSE(job.ok());
    EXPECT_TRUE(absl::IsFailedPrecondition(job.status())) << job.status();
    EXPECT_NE(job.status().message().find("is encrypted with age (2 recipients)"),
              std::string::npos)
        << job.status();
    EXPECT_NE(job.status().message().find("--identity"), std::string::npos) << job.status();
    // With a reference it is prepared (the agent reads what it names).
    req.mutable_options()->set_identity_ref("env:DBDUMP_AGE_IDENTITY");
    job = factory.PrepareRestore(req);
    EXPECT_TRUE(job.ok()) << job.status();
  }
}

}  // namespace
}  // namespace dbdump
