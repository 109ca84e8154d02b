// LeftoverSweeper: what a job journaled is removed or kept by its outcome,
// and a job of a process that died gets its outcome from storage.
#include "agent/leftover_sweeper.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/synchronization/notification.h"
#include "common/storage/backup_layout.h"
#include "common/storage/journaled_storage.h"
#include "common/storage/local_storage.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

class LeftoverSweeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sweeper-test.XXXXXX";
    dir_ = mkdtemp(tmpl);
    journal_ = std::make_unique<WriteJournal>(dir_ + "/work/writes");
    ASSERT_TRUE(journal_->Init().ok());
    registry_ = std::make_unique<JobRegistry>(dir_ + "/work");
    ASSERT_TRUE(registry_->Init(absl::Hours(1)).ok());
    sweeper_ = std::make_unique<LeftoverSweeper>(journal_.get(), registry_.get());
    dest_.set_name("local");
    dest_.set_kind(v1::STORAGE_KIND_LOCAL);
    dest_.set_path(dir_ + "/store");
    dest_.set_prefix("backups");
    storage_ = LocalStorage::Open(dest_.path()).value();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Starts job `job`'s journal entry for backup `backup` of db1.
  void Begin(const std::string& job, const std::string& backup, const std::string& kind = "backup") {
    v1::WriteIntents w;
    w.set_job_id(job);
    w.set_kind(kind);
    *w.mutable_storage() = dest_;
    w.set_database("db1");
    w.set_backup_id(backup);
    ASSERT_TRUE(journal_->Begin(w).ok());
  }
  std::string Key(const std::string& backup, const std::string& name) {
    return BackupDir("backups", "db1", backup) + "/" + name;
  }
  // Writes an object through the journal, as a job does.
  void WriteThroughJournal(const std::string& job, const std::string& key, const std::string& data) {
    JournaledStorage js(LocalStorage::Open(dest_.path()).value(), journal_.get(), job);
    ASSERT_TRUE(WriteSmallObject(&js, key, data).ok());
  }
  // Leaves a partial file of `key`, as a writer killed mid-object does.
  void LeavePartial(const std::string& key) {
    fs::create_directories(fs::path(dest_.path() + "/" + key).parent_path());
    std::ofstream(dest_.path() + "/" + key + LocalStorage::kPartialMarker + "123") << "half";
  }
  bool Exists(const std::string& key) { return fs::exists(dest_.path() + "/" + key); }
  int Partials() { return static_cast<int>(storage_->ListIncomplete("").value().size()); }

  std::string dir_;
  std::unique_ptr<WriteJournal> journal_;
  std::unique_ptr<JobRegistry> registry_;
  std::unique_ptr<LeftoverSweeper> sweeper_;
  v1::StorageDestination dest_;
  std::unique_ptr<LocalStorage> storage_;
};

TEST_F(LeftoverSweeperTest, WritingAnObjectJournalsItsKeyFirst) {
  Begin("job-1", "b1");
  WriteThroughJournal("job-1", Key("b1", "dump.db.zst"), "data");
  auto w = journal_->Get("job-1");
  ASSERT_TRUE(w.has_value());
  ASSERT_EQ(w->keys_size(), 1);
  EXPECT_EQ(w->keys(0), Key("b1", "dump.db.zst"));
  // A job without an entry cannot write at all.
  JournaledStorage unjournaled(LocalStorage::Open(dest_.path()).value(), journal_.get(), "job-9");
  EXPECT_FALSE(unjournaled.NewWriter(Key("b9", "dump.db")).ok());
  EXPECT_FALSE(Exists(Key("b9", "dump.db")));
}

TEST_F(LeftoverSweeperTest, KilledBackupWithoutManifestIsRemovedAndFailed) {
  Begin("job-1", "b1");
  WriteThroughJournal("job-1", Key("b1", "globals.sql.zst"), "globals");
  WriteThroughJournal("job-1", Key("b1", "dump.db.zst"), "data");
  // Killed while the manifest was being written.
  ASSERT_TRUE(journal_->NoteObject("job-1", Key("b1", "manifest.json")).ok());
  LeavePartial(Key("b1", "manifest.json"));
  // Another backup's objects, not this job's: never touched.
  ASSERT_TRUE(WriteSmallObject(storage_.get(), Key("b2", "dump.db.zst"), "other").ok());
  LeavePartial(Key("b2", "dump.db.zst"));

  EXPECT_TRUE(sweeper_->Pending("job-1"));
  EXPECT_EQ(sweeper_->SweepOrphans(), 1);
  EXPECT_FALSE(Exists(Key("b1", "dump.db.zst")));
  EXPECT_FALSE(Exists(Key("b1", "globals.sql.zst")));
  EXPECT_EQ(Partials(), 1) << "only the other backup's partial file stays";
  EXPECT_TRUE(Exists(Key("b2", "dump.db.zst")));
  auto outcome = registry_->Journaled("job-1");
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->state(), v1::JOB_STATE_FAILED);
  EXPECT_NE(outcome->error().find("before the backup was committed"), std::string::npos);
  EXPECT_FALSE(journal_->Get("job-1").has_value());
  EXPECT_FALSE(sweeper_->Pending("job-1"));
}

TEST_F(LeftoverSweeperTest, KilledAfterTheManifestIsASuccessTakenFromIt) {
  Begin("job-1", "b1");
  WriteThroughJournal("job-1", Key("b1", "dump.db.zst"), "data");
  LeavePartial(Key("b1", "dump.db.zst"));  // e.g. a retried first attempt's
  v1::Manifest m;
  m.set_backup_id("b1");
  m.set_database("db1");
  m.set_job_id("job-1");
  m.set_dump_object("dump.db.zst");
  m.set_stored_sha256(std::string(64, 'a'));
  WriteThroughJournal("job-1", Key("b1", "manifest.json"), ManifestToJson(m));

  EXPECT_EQ(sweeper_->SweepOrphans(), 1);
  auto outcome = registry_->Journaled("job-1");
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(outcome->manifest().backup_id(), "b1");
  EXPECT_FALSE(outcome->note().empty());
  EXPECT_TRUE(Exists(Key("b1", "dump.db.zst")));
  EXPECT_TRUE(Exists(Key("b1", "manifest.json")));
  EXPECT_EQ(Partials(), 0);
}

TEST_F(LeftoverSweeperTest, AManifestOfAnotherJobIsNoSuccessOfThisOne) {
  Begin("job-1", "b1");
  WriteThroughJournal("job-1", Key("b1", "dump.db.zst"), "data");
  v1::Manifest m;
  m.set_backup_id("b1");
  m.set_database("db1");
  m.set_dump_object("dump.db.zst");
  m.set_stored_sha256(std::string(64, 'a'));
  m.set_job_id("job-0");
  ASSERT_TRUE(WriteSmallObject(storage_.get(), Key("b1", "manifest.json"), ManifestToJson(m)).ok());
  sweeper_->SweepOrphans();
  EXPECT_EQ(registry_->Journaled("job-1")->state(), v1::JOB_STATE_FAILED);
}

TEST_F(LeftoverSweeperTest, EndedJobsKeepOrLoseTheirObjectsByOutcome) {
  Begin("job-ok", "b1");
  WriteThroughJournal("job-ok", Key("b1", "dump.db.zst"), "data");
  WriteThroughJournal("job-ok", Key("b1", "manifest.json"), "{}");
  LeavePartial(Key("b1", "dump.db.zst"));
  v1::JobEvent ok;
  ok.set_job_id("job-ok");
  ok.set_state(v1::JOB_STATE_SUCCEEDED);
  sweeper_->JobEnded(ok);
  EXPECT_TRUE(Exists(Key("b1", "dump.db.zst")));
  EXPECT_TRUE(Exists(Key("b1", "manifest.json")));
  EXPECT_EQ(Partials(), 0);
  EXPECT_FALSE(journal_->Get("job-ok").has_value());

  // A manifest written although the job failed (its answer was lost) goes too.
  Begin("job-bad", "b2");
  WriteThroughJournal("job-bad", Key("b2", "dump.db.zst"), "data");
  WriteThroughJournal("job-bad", Key("b2", "manifest.json"), "{}");
  v1::JobEvent failed;
  failed.set_job_id("job-bad");
  failed.set_state(v1::JOB_STATE_FAILED);
  sweeper_->JobEnded(failed);
  EXPECT_FALSE(Exists(Key("b2", "manifest.json")));
  EXPECT_FALSE(Exists(Key("b2", "dump.db.zst")));
}

TEST_F(LeftoverSweeperTest, RestoreTemporaryFilesAreRemoved) {
  Begin("job-r", "b1", "restore");
  std::string tmp = dir_ + "/target.sqlite.dbdump-partial-b1";
  ASSERT_TRUE(journal_->NoteLocalFile("job-r", tmp).ok());
  std::ofstream(tmp) << "half a database";
  std::string target = dir_ + "/target.sqlite";
  std::ofstream(target) << "the user's database";
  EXPECT_EQ(sweeper_->SweepOrphans(), 1);
  EXPECT_FALSE(fs::exists(tmp));
  EXPECT_TRUE(fs::exists(target));
  EXPECT_EQ(registry_->Journaled("job-r")->state(), v1::JOB_STATE_FAILED);
}

TEST_F(LeftoverSweeperTest, UnreachableStorageKeepsTheEntryForTheNextPass) {
  Begin("job-1", "b1");
  ASSERT_TRUE(journal_->NoteObject("job-1", Key("b1", "dump.db.zst")).ok());
  // The store's root is now a file: it cannot be opened.
  fs::remove_all(dest_.path());
  std::ofstream(dest_.path()) << "not a directory";
  EXPECT_EQ(sweeper_->SweepOrphans(), 0);
  EXPECT_TRUE(journal_->Get("job-1").has_value());
  EXPECT_TRUE(sweeper_->Pending("job-1")) << "no outcome can be given yet";
  fs::remove(dest_.path());
  EXPECT_EQ(sweeper_->SweepOrphans(), 1);
  EXPECT_FALSE(sweeper_->Pending("job-1"));
}

TEST_F(LeftoverSweeperTest, ARunningJobIsLeftAlone) {
  absl::Notification release, done;
  registry_->Start("job-live", [&](JobTracker* t) {
    release.WaitForNotification();
    t->Finish(v1::JOB_STATE_SUCCEEDED, "", nullptr);
    done.Notify();
  });
  Begin("job-live", "b1");
  WriteThroughJournal("job-live", Key("b1", "dump.db.zst"), "data");
  EXPECT_EQ(sweeper_->SweepOrphans(), 0);
  EXPECT_TRUE(Exists(Key("b1", "dump.db.zst")));
  EXPECT_FALSE(sweeper_->Pending("job-live"));
  release.Notify();
  done.WaitForNotification();
  while (registry_->running() > 0) absl::SleepFor(absl::Milliseconds(5));
}

}  // namespace
}  // namespace dbdump
