// JobFactory's checks of a request before a job is made of it: the age
// identity is taken by reference only, an encrypted backup gets no restore
// job without one, and a copy asked for now goes only to a copy destination
// of the database that has no committed copy and no copy job at work.
#include "controller/dispatch/job_factory.h"

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
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

TEST_F(JobFactoryTest, ACopyAskedForGoesOnlyToADestinationOfTheDatabaseThatNeedsIt) {
  ASSERT_TRUE(AddLocalStorage(store_.get(), dir_ + "/backups", clock_.Now()).ok());
  for (const char* name : {"remote", "extra", "elsewhere"}) {
    v1::StorageDestination d;
    d.set_name(name);
    d.set_kind(v1::STORAGE_KIND_LOCAL);
    d.set_path(dir_ + "/" + name);
    ASSERT_TRUE(store_->AddStorage(d, clock_.Now()).ok());
  }
  ASSERT_TRUE(AddInProcessAgent(store_.get(), "agent-1", clock_.Now()).ok());
  ASSERT_TRUE(AddSqliteDatabase(store_.get(), "orders", "agent-1", clock_.Now()).ok());
  v1::Database db = *store_->GetDatabase("orders");
  db.add_copies("remote");
  db.add_copies("extra");
  ASSERT_TRUE(store_->UpdateDatabase(db).ok());
  // Two backups: the first's copy in remote committed, the second's pending
  // after two failed writes.
  const std::string b1 = "20260101T000000Z-0000000a", b2 = "20260102T000000Z-0000000b";
  for (const auto& [id, job_id, state] :
       {std::tuple{b1, "job-1", v1::BACKUP_COPY_STATE_COMMITTED},
        std::tuple{b2, "job-2", v1::BACKUP_COPY_STATE_PENDING}}) {
    v1::Backup b;
    b.set_id(id);
    b.set_database("orders");
    b.set_storage("local");
    b.set_state(v1::BACKUP_STATE_COMPLETED);
    b.set_created_at("2026-01-01T00:00:00Z");
    b.mutable_manifest()->set_agent("agent-1");
    v1::BackupCopy c;
    c.set_storage("remote");
    c.set_state(state);
    c.set_updated_at("2026-01-01T00:00:00Z");
    ASSERT_TRUE(CatalogueBackup(store_.get(), job_id, b, {c}).ok());
  }
  v1::BackupCopy again;
  again.set_storage("remote");
  again.set_state(v1::BACKUP_COPY_STATE_PENDING);
  again.set_error("connection refused");
  again.set_updated_at("2026-01-01T01:00:00Z");
  ASSERT_TRUE(store_->RecordCopyAttempt(b2, again).ok());

  JobFactory factory(store_.get(), &clock_);
  auto ask = [&](const std::string& backup, const std::string& storage) {
    v1::CopyBackupRequest req;
    req.set_backup_id(backup);
    req.set_storage(storage);
    return factory.PrepareRequestedCopy(req);
  };
  auto refused = [](const absl::StatusOr<StoredJob>& job, absl::string_view why) {
    EXPECT_FALSE(job.ok());
    EXPECT_NE(job.status().message().find(why), std::string::npos) << job.status();
  };
  refused(ask(b1, "elsewhere"), "is not a copy destination of database \"orders\"");
  refused(ask(b1, "remote"), "already has a committed copy in \"remote\"");
  refused(ask(b1, "local"), "is the primary storage");
  refused(ask(b1, ""), "name the copy destination");
  EXPECT_TRUE(absl::IsNotFound(ask("20260101T000000Z-0000000c", "remote").status()));

  // A destination added since the backup was made: a first attempt.
  absl::StatusOr<StoredJob> to_extra = ask(b1, "extra");
  ASSERT_TRUE(to_extra.ok()) << to_extra.status();
  EXPECT_EQ(to_extra->job.kind(), v1::JOB_KIND_COPY);
  EXPECT_EQ(to_extra->job.copy_storage(), "extra");
  EXPECT_EQ(to_extra->job.backup_id(), b1);
  EXPECT_EQ(to_extra->job.attempt(), 1u);
  // The pending copy: the third write.
  absl::StatusOr<StoredJob> to_remote = ask(b2, "remote");
  ASSERT_TRUE(to_remote.ok()) << to_remote.status();
  EXPECT_EQ(to_remote->job.attempt(), 3u);
  // Once its job is queued, a second one is refused.
  ASSERT_TRUE(store_->CreateJob(to_remote->job, to_remote->request).ok());
  refused(ask(b2, "remote"), absl::StrCat("copy job ", to_remote->job.id(), " already copies"));

  // A copy retention deleted is not written again (its rules would delete
  // it again), and a destination the database dropped gets no copy, even
  // where the backup has a copy entry.
  ASSERT_TRUE(store_->MarkCopyDeleted(b1, "remote", clock_.Now()).ok());
  refused(ask(b1, "remote"), "was deleted at");
  ASSERT_TRUE(store_->EndJob([&] {
    JobEnd end;
    end.job_id = to_remote->job.id();
    end.state = v1::JOB_STATE_CANCELLED;
    end.now = clock_.Now();
    return end;
  }()).ok());
  db = *store_->GetDatabase("orders");
  db.clear_copies();
  db.add_copies("extra");
  ASSERT_TRUE(store_->UpdateDatabase(db).ok());
  refused(ask(b2, "remote"), "is not a copy destination of database \"orders\"");
}

}  // namespace
}  // namespace dbdump
