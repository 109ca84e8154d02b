#include "controller/store/store.h"

#include <sqlite3.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-store.XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/c.db";
    store_ = *Store::Open(path_);
    now_ = absl::FromUnixSeconds(1767225600);
    v1::Agent a;
    a.set_name("agent-1");
    a.set_address("127.0.0.1:1");
    a.add_engines(v1::ENGINE_POSTGRES);
    ASSERT_TRUE(store_->UpsertAgent(a, now_).ok());
    v1::StorageDestination s;
    s.set_name("local");
    s.set_kind(v1::STORAGE_KIND_LOCAL);
    s.set_path("/tmp/x");
    ASSERT_TRUE(store_->AddStorage(s, now_).ok());
    v1::Database d;
    d.mutable_target()->set_name("orders");
    d.mutable_target()->set_engine(v1::ENGINE_POSTGRES);
    d.mutable_target()->set_agent("agent-1");
    d.mutable_target()->set_password_ref("file:/etc/dbdump/orders.pass");
    d.set_storage("local");
    ASSERT_TRUE(store_->AddDatabase(d, now_).ok());
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  v1::Job NewJob(const std::string& id, v1::JobKind kind = v1::JOB_KIND_BACKUP) {
    v1::Job j;
    j.set_id(id);
    j.set_kind(kind);
    j.set_state(v1::JOB_STATE_QUEUED);
    j.set_database("orders");
    j.set_agent("agent-1");
    j.set_backup_id("b-" + id);
    j.set_created_at("2026-01-01T00:00:00Z");
    return j;
  }
  std::string dir_, path_;
  std::unique_ptr<Store> store_;
  absl::Time now_;
};

TEST_F(StoreTest, MigratesToLatestAndReopens) {
  EXPECT_EQ(store_->schema_version(), Store::latest_schema_version());
  store_.reset();
  auto again = Store::Open(path_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->schema_version(), Store::latest_schema_version());
  EXPECT_EQ((*again)->ListDatabases()->size(), 1u);  // data survives
}

TEST_F(StoreTest, RefusesAStoreFromTheFuture) {
  store_.reset();
  sqlite3* db = nullptr;
  sqlite3_open(path_.c_str(), &db);
  sqlite3_exec(db, "INSERT INTO schema_migrations VALUES (999, 'x')", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  auto again = Store::Open(path_);
  EXPECT_TRUE(absl::IsFailedPrecondition(again.status())) << again.status();
}

TEST_F(StoreTest, UsesWalAndForeignKeys) {
  store_.reset();
  sqlite3* db = nullptr;
  sqlite3_open(path_.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))), "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
  store_ = *Store::Open(path_);
  // A storage in use cannot be removed (foreign key).
  EXPECT_TRUE(absl::IsFailedPrecondition(store_->RemoveStorage("local")));
}

TEST_F(StoreTest, JobStateMachine) {
  ASSERT_TRUE(store_->CreateJob(NewJob("j1"), "req").ok());
  EXPECT_FALSE(store_->TransitionJob("j1", v1::JOB_STATE_QUEUED, "", now_).ok());
  ASSERT_TRUE(store_->TransitionJob("j1", v1::JOB_STATE_RUNNING, "", now_).ok());
  ASSERT_TRUE(store_->TransitionJob("j1", v1::JOB_STATE_RUNNING, "", now_).ok());  // idempotent
  ASSERT_TRUE(store_->TransitionJob("j1", v1::JOB_STATE_FAILED, "pg_dump failed", now_).ok());
  // Terminal states are final.
  EXPECT_TRUE(absl::IsFailedPrecondition(
      store_->TransitionJob("j1", v1::JOB_STATE_SUCCEEDED, "", now_)));
  EXPECT_TRUE(absl::IsFailedPrecondition(store_->TransitionJob("j1", v1::JOB_STATE_RUNNING, "", now_)));
  auto j = store_->GetJob("j1");
  EXPECT_EQ(j->state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(j->error(), "pg_dump failed");
  EXPECT_FALSE(j->started_at().empty());
  EXPECT_FALSE(j->finished_at().empty());
  EXPECT_TRUE(absl::IsNotFound(store_->TransitionJob("nope", v1::JOB_STATE_RUNNING, "", now_)));
}

TEST_F(StoreTest, OneActiveBackupPerDatabase) {
  ASSERT_TRUE(store_->CreateJob(NewJob("j1"), "req").ok());
  EXPECT_TRUE(absl::IsAlreadyExists(store_->CreateJob(NewJob("j2"), "req")));
  // Restores don't count.
  EXPECT_TRUE(store_->CreateJob(NewJob("r1", v1::JOB_KIND_RESTORE), "req").ok());
  ASSERT_TRUE(store_->TransitionJob("j1", v1::JOB_STATE_CANCELLED, "cancelled", now_).ok());
  EXPECT_TRUE(store_->CreateJob(NewJob("j2"), "req").ok());
  auto active = store_->ActiveJobs();
  ASSERT_EQ(active->size(), 2u);
  EXPECT_EQ((*active)[0].request, "req");
  // A database with active jobs cannot be removed.
  EXPECT_TRUE(absl::IsFailedPrecondition(store_->RemoveDatabase("orders")));
}

TEST_F(StoreTest, OneActiveCopyJobPerBackupAndDestination) {
  auto copy = [&](const std::string& id, const std::string& storage) {
    v1::Job j = NewJob(id, v1::JOB_KIND_COPY);
    j.set_backup_id("20260101T000000Z-00000001");
    j.set_copy_storage(storage);
    return j;
  };
  ASSERT_TRUE(store_->CreateJob(copy("c1", "offsite"), "req").ok());
  absl::Status second = store_->CreateJob(copy("c2", "offsite"), "req");
  EXPECT_TRUE(absl::IsAlreadyExists(second)) << second;
  EXPECT_NE(second.message().find("a copy job of backup 20260101T000000Z-00000001 to \"offsite\""),
            std::string::npos)
      << second;
  // Another destination, and a backup of the database, are not held up.
  EXPECT_TRUE(store_->CreateJob(copy("c3", "elsewhere"), "req").ok());
  EXPECT_TRUE(store_->CreateJob(NewJob("j1"), "req").ok());
  ASSERT_TRUE(store_->TransitionJob("c1", v1::JOB_STATE_CANCELLED, "cancelled", now_).ok());
  EXPECT_TRUE(store_->CreateJob(copy("c2", "offsite"), "req").ok());
}

// Migration 13 on a store of schema 12 that holds several active copy jobs
// for the same copy: a queued one goes when the copy has a running job or an
// older queued one, a second running one is LOST with its outcome pending,
// and the unique index then holds.
TEST_F(StoreTest, Migration13SettlesDuplicateCopyJobsBeforeItsIndex) {
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  auto exec = [&](const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "") << " in " << sql;
    sqlite3_free(err);
  };
  // Back to schema 12.
  exec("DROP INDEX jobs_one_active_copy");
  exec("ALTER TABLE backup_copies DROP COLUMN verified_at");
  exec("ALTER TABLE backup_copies DROP COLUMN verify_error");
  exec("DELETE FROM schema_migrations WHERE version = 13");
  struct Row { const char* id; int state; const char* backup; const char* storage; };
  const Row rows[] = {
      {"q1", 1, "b1", "s"}, {"r1", 2, "b1", "s"}, {"q2", 1, "b1", "s"},  // a running one
      {"q3", 1, "b1", "t"}, {"q4", 1, "b1", "t"},                         // queued only
      {"r2", 2, "b2", "s"}, {"r3", 2, "b2", "s"},                         // two running
      {"q5", 1, "b3", "s"}};                                              // alone
  for (const Row& r : rows) {
    exec(absl::StrCat("INSERT INTO jobs(id, kind, state, database, agent, backup_id, request, "
                      "created_at, copy_storage) VALUES ('", r.id, "', 3, ", r.state,
                      ", 'orders', 'agent-1', '", r.backup, "', x'', '2026-01-01T00:00:00Z', '",
                      r.storage, "')"));
  }
  sqlite3_close(db);

  absl::StatusOr<std::unique_ptr<Store>> reopened = Store::Open(path_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  store_ = std::move(*reopened);
  auto state = [&](const std::string& id) { return store_->GetJob(id)->state(); };
  EXPECT_EQ(state("q1"), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(state("r1"), v1::JOB_STATE_RUNNING);
  EXPECT_EQ(state("q2"), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(state("q3"), v1::JOB_STATE_QUEUED);
  EXPECT_EQ(state("q4"), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(state("r2"), v1::JOB_STATE_RUNNING);
  EXPECT_EQ(state("r3"), v1::JOB_STATE_LOST);
  EXPECT_TRUE(store_->GetJob("r3")->outcome_pending());
  EXPECT_EQ(state("q5"), v1::JOB_STATE_QUEUED);
  EXPECT_NE(store_->GetJob("q1")->error().find("another copy job"), std::string::npos);
}

TEST_F(StoreTest, EndJobCataloguesAGoodBackupAtomically) {
  ASSERT_TRUE(store_->CreateJob(NewJob("j1"), "req").ok());
  v1::Backup b;
  b.set_id("20260101T000000Z-00000001");
  b.set_database("orders");
  b.set_storage("local");
  b.set_state(v1::BACKUP_STATE_COMPLETED);
  b.mutable_manifest()->set_raw_sha256(std::string(64, 'c'));
  b.mutable_manifest()->set_stored_size_bytes(42);
  v1::Progress p;
  p.set_bytes_in(100);
  p.set_bytes_out(42);
  JobEnd end;
  end.job_id = "j1";
  end.state = v1::JOB_STATE_SUCCEEDED;
  end.now = now_;
  end.progress = p;
  end.backup = b;
  ASSERT_TRUE(store_->EndJob(end).ok());
  EXPECT_EQ(store_->GetJob("j1")->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(store_->GetJob("j1")->progress().bytes_out(), 42u);
  auto got = store_->GetBackup(b.id());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->manifest().raw_sha256(), std::string(64, 'c'));
  // Completing again fails and adds nothing (the job is terminal).
  EXPECT_FALSE(store_->EndJob(end).ok());
  EXPECT_EQ(store_->ListBackups("orders")->size(), 1u);
}

TEST_F(StoreTest, ABackupWhoseObjectsWereRemovedIsDeletedEverywhere) {
  ASSERT_TRUE(store_->CreateJob(NewJob("j1"), "req").ok());
  v1::Backup b;
  b.set_id("20260101T000000Z-00000001");
  b.set_database("orders");
  b.set_storage("local");
  b.set_state(v1::BACKUP_STATE_COMPLETED);
  JobEnd end;
  end.job_id = "j1";
  end.state = v1::JOB_STATE_SUCCEEDED;
  end.now = now_;
  end.backup = b;
  ASSERT_TRUE(store_->EndJob(end).ok());
  EXPECT_EQ(store_->GetBackup(b.id())->state(), v1::BACKUP_STATE_COMPLETED);
  ASSERT_TRUE(store_->MarkBackupDeleted(b.id(), now_).ok());
  auto got = store_->GetBackup(b.id());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state(), v1::BACKUP_STATE_DELETED);
  EXPECT_FALSE(got->deleted_at().empty());
  EXPECT_EQ((*store_->ListBackups("orders"))[0].state(), v1::BACKUP_STATE_DELETED);
  EXPECT_EQ((*store_->ListBackupsByAge("orders"))[0].state(), v1::BACKUP_STATE_DELETED);
  EXPECT_TRUE(absl::IsNotFound(store_->MarkBackupDeleted(b.id(), now_)));
}

TEST_F(StoreTest, BackupTotalsSumTheGoodBackupsOfEachDatabaseInSql) {
  struct Row {
    const char* id;
    v1::BackupState state;
    uint64_t raw, stored;
    double duration;
    const char* created;
    bool deleted;
  };
  const Row rows[] = {
      {"20260101T000000Z-00000001", v1::BACKUP_STATE_COMPLETED, 1000, 100, 2.0, "2026-01-01T00:00:00Z", true},
      {"20260102T000000Z-00000002", v1::BACKUP_STATE_COMPLETED, 3000, 300, 4.0, "2026-01-02T00:00:00Z", false},
      {"20260103T000000Z-00000003", v1::BACKUP_STATE_FAILED, 9000, 900, 9.0, "2026-01-03T00:00:00Z", false},
  };
  int n = 0;
  for (const Row& r : rows) {
    std::string job = absl::StrCat("j", ++n);
    ASSERT_TRUE(store_->CreateJob(NewJob(job), "req").ok());
    v1::Backup b;
    b.set_id(r.id);
    b.set_database("orders");
    b.set_storage("local");
    b.set_state(r.state);
    b.set_duration_s(r.duration);
    b.set_created_at(r.created);
    b.mutable_manifest()->set_raw_size_bytes(r.raw);
    b.mutable_manifest()->set_stored_size_bytes(r.stored);
    JobEnd end;
    end.job_id = job;
    end.state = v1::JOB_STATE_SUCCEEDED;
    end.now = now_;
    end.backup = b;
    ASSERT_TRUE(store_->EndJob(end).ok());
    if (r.deleted) ASSERT_TRUE(store_->MarkBackupDeleted(r.id, now_).ok());
  }
  auto totals = store_->BackupTotalsByDatabase();
  ASSERT_TRUE(totals.ok()) << totals.status();
  ASSERT_EQ(totals->size(), 1u);
  const BackupTotals& t = totals->at("orders");
  EXPECT_EQ(t.good, 2);             // the failed one is not
  EXPECT_EQ(t.stored_now, 300u);    // the deleted one's objects are gone
  EXPECT_EQ(t.raw, 4000u);
  EXPECT_EQ(t.stored, 400u);
  EXPECT_DOUBLE_EQ(t.duration_sum_s, 6.0);
  EXPECT_EQ(t.last_good_at, "2026-01-02T00:00:00Z");
}

TEST_F(StoreTest, EndJobWritesNothingWhenAnyPartFails) {
  ASSERT_TRUE(store_->CreateJob(NewJob("j1"), "req").ok());
  ASSERT_TRUE(store_->TransitionJob("j1", v1::JOB_STATE_RUNNING, "", now_).ok());
  JobEnd end;
  end.job_id = "j1";
  end.state = v1::JOB_STATE_FAILED;
  end.error = "pg_dump: connection refused";
  end.now = now_;
  v1::Progress p;
  p.set_bytes_in(7);
  end.progress = p;
  // The retry collides (here: it reuses the job's id), so the whole end is
  // refused.
  end.retry = StoredJob{NewJob("j1"), "req"};
  EXPECT_FALSE(store_->EndJob(end).ok());
  absl::StatusOr<v1::Job> j1 = store_->GetJob("j1");
  ASSERT_TRUE(j1.ok());
  EXPECT_EQ(j1->state(), v1::JOB_STATE_RUNNING) << "the transition was rolled back";
  EXPECT_EQ(j1->progress().bytes_in(), 0u) << "the progress was rolled back";
  EXPECT_EQ(j1->error(), "");
  // Without the colliding retry the same end goes in.
  end.retry.reset();
  ASSERT_TRUE(store_->EndJob(end).ok());
  EXPECT_EQ(store_->GetJob("j1")->state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(store_->GetJob("j1")->progress().bytes_in(), 7u);
}

TEST_F(StoreTest, EndJobLinksABackupAlreadyCatalogued) {
  // Storage reconciliation may catalogue a backup from its manifest before
  // the job that made it reports (an outcome learned after lost contact).
  v1::Backup b;
  b.set_id("20260101T000000Z-00000001");
  b.set_database("orders");
  b.set_storage("local");
  b.set_state(v1::BACKUP_STATE_COMPLETED);
  ASSERT_TRUE(store_->CreateJob(NewJob("j0"), "req").ok());
  JobEnd first;
  first.job_id = "j0";
  first.state = v1::JOB_STATE_SUCCEEDED;
  first.now = now_;
  first.backup = b;
  ASSERT_TRUE(store_->EndJob(first).ok());
  ASSERT_TRUE(store_->CreateJob(NewJob("j1"), "req").ok());
  JobEnd end = first;
  end.job_id = "j1";
  // Another job's backup under the same id is a clash.
  EXPECT_TRUE(absl::IsAlreadyExists(store_->EndJob(end)));
  // As reconciliation adopts it: found in storage, no job reported it.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE backups SET found_at = '2026-01-01T00:00:10Z'", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  end.backup->set_duration_s(3.5);
  ASSERT_TRUE(store_->EndJob(end).ok());
  EXPECT_EQ(store_->GetJob("j1")->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(store_->ListBackups("orders")->size(), 1u);
  EXPECT_EQ(store_->GetBackup(b.id())->job_id(), "j1");
  EXPECT_DOUBLE_EQ(store_->GetBackup(b.id())->duration_s(), 3.5);
  // The same id for another database is a clash, not the same backup.
  ASSERT_TRUE(store_->CreateJob(NewJob("j2"), "req").ok());
  end.job_id = "j2";
  end.backup->set_database("other");
  EXPECT_TRUE(absl::IsAlreadyExists(store_->EndJob(end)));
  EXPECT_EQ(store_->GetJob("j2")->state(), v1::JOB_STATE_QUEUED);
}

TEST_F(StoreTest, ALostJobWithItsOutcomePendingIsReopenedOrSettled) {
  ASSERT_TRUE(store_->CreateJob(NewJob("j1"), "req").ok());
  ASSERT_TRUE(store_->TransitionJob("j1", v1::JOB_STATE_RUNNING, "", now_).ok());
  JobEnd end;
  end.job_id = "j1";
  end.state = v1::JOB_STATE_LOST;
  end.error = "agent offline";
  end.outcome_pending = true;
  end.now = now_ + absl::Seconds(20);
  ASSERT_TRUE(store_->EndJob(end).ok());
  v1::Job lost = *store_->GetJob("j1");
  EXPECT_EQ(lost.state(), v1::JOB_STATE_LOST);
  EXPECT_TRUE(lost.outcome_pending());
  EXPECT_EQ(lost.lost_at(), "2026-01-01T00:00:20Z");
  ASSERT_EQ(store_->PendingLostJobs()->size(), 1u);
  EXPECT_EQ((*store_->PendingLostJobs())[0].request, "req");

  // Another backup of the database is active: one at a time.
  ASSERT_TRUE(store_->CreateJob(NewJob("j2"), "req").ok());
  EXPECT_TRUE(absl::IsAlreadyExists(store_->ReopenLostJob("j1", "n")));
  EXPECT_TRUE(store_->GetJob("j1")->outcome_pending());
  ASSERT_TRUE(store_->TransitionJob("j2", v1::JOB_STATE_FAILED, "x", now_).ok());

  ASSERT_TRUE(store_->ReopenLostJob("j1", "following again").ok());
  v1::Job reopened = *store_->GetJob("j1");
  EXPECT_EQ(reopened.state(), v1::JOB_STATE_RUNNING);
  EXPECT_FALSE(reopened.outcome_pending());
  EXPECT_EQ(reopened.lost_at(), "2026-01-01T00:00:20Z");
  EXPECT_EQ(reopened.started_at(), lost.started_at());
  EXPECT_EQ(reopened.finished_at(), "");
  EXPECT_EQ(reopened.note(), "following again");
  EXPECT_TRUE(store_->PendingLostJobs()->empty());
  EXPECT_TRUE(absl::IsFailedPrecondition(store_->ReopenLostJob("j1", "n")));

  // Lost again, then ended for good.
  ASSERT_TRUE(store_->EndJob(end).ok());
  ASSERT_TRUE(store_->SettleLostJob("j1", "gone", "note").ok());
  v1::Job settled = *store_->GetJob("j1");
  EXPECT_FALSE(settled.outcome_pending());
  EXPECT_EQ(settled.error(), "gone");
  EXPECT_TRUE(absl::IsFailedPrecondition(store_->SettleLostJob("j1", "gone", "note")));
  // Lost for good at once: nothing pending, no lost_at.
  ASSERT_TRUE(store_->CreateJob(NewJob("j3"), "req").ok());
  end.job_id = "j3";
  end.outcome_pending = false;
  ASSERT_TRUE(store_->EndJob(end).ok());
  EXPECT_FALSE(store_->GetJob("j3")->outcome_pending());
  EXPECT_EQ(store_->GetJob("j3")->lost_at(), "");
}

TEST_F(StoreTest, ACopysVerificationIsItsOwnAndARewriteClearsIt) {
  ASSERT_TRUE(store_->CreateJob(NewJob("j1"), "req").ok());
  JobEnd end;
  end.job_id = "j1";
  end.state = v1::JOB_STATE_SUCCEEDED;
  end.now = now_;
  v1::Backup& b = end.backup.emplace();
  b.set_id("20260101T000000Z-00000001");
  b.set_database("orders");
  b.set_storage("local");
  b.set_state(v1::BACKUP_STATE_COMPLETED);
  end.copies_of = b.id();
  v1::BackupCopy c;
  c.set_storage("offsite");
  c.set_state(v1::BACKUP_COPY_STATE_COMMITTED);
  c.set_updated_at("2026-01-01T00:00:00Z");
  end.copies.push_back(c);
  ASSERT_TRUE(store_->EndJob(end).ok());

  ASSERT_TRUE(store_->RecordCopyVerification(b.id(), "offsite", "stored sha256 differs", now_).ok());
  v1::Backup got = *store_->GetBackup(b.id());
  ASSERT_EQ(got.copies_size(), 1);
  EXPECT_EQ(got.copies(0).verified_at(), "2026-01-01T00:00:00Z");
  EXPECT_EQ(got.copies(0).verify_error(), "stored sha256 differs");
  EXPECT_EQ(got.verified_at(), "") << "the primary's verification is its own";
  EXPECT_TRUE(absl::IsNotFound(store_->RecordCopyVerification(b.id(), "nowhere", "", now_)));

  // A copy that is not committed (here: written again and pending) takes
  // no verification result: it was not what was read.
  v1::BackupCopy pending = c;
  pending.set_state(v1::BACKUP_COPY_STATE_PENDING);
  ASSERT_TRUE(store_->RecordCopyAttempt(b.id(), pending).ok());
  EXPECT_TRUE(absl::IsNotFound(store_->RecordCopyVerification(b.id(), "offsite", "", now_)));
  // The copy is written again (a copy job): what was verified is gone.
  ASSERT_TRUE(store_->RecordCopyAttempt(b.id(), c).ok());
  ASSERT_TRUE(store_->RecordCopyVerification(b.id(), "offsite", "differs", now_).ok());
  c.set_updated_at("2026-01-02T00:00:00Z");
  ASSERT_TRUE(store_->RecordCopyAttempt(b.id(), c).ok());
  got = *store_->GetBackup(b.id());
  EXPECT_EQ(got.copies(0).verified_at(), "");
  EXPECT_EQ(got.copies(0).verify_error(), "");
  EXPECT_EQ(got.copies(0).attempts(), 4u);
}

TEST_F(StoreTest, HeartbeatOfUnknownAgentIsNotFound) {
  EXPECT_TRUE(store_->TouchAgent("agent-1", now_ + absl::Seconds(5)).ok());
  EXPECT_EQ(store_->GetAgent("agent-1")->last_heartbeat(), "2026-01-01T00:00:05Z");
  EXPECT_TRUE(absl::IsNotFound(store_->TouchAgent("ghost", now_)));
  EXPECT_TRUE(absl::IsNotFound(store_->GetAgent("ghost").status()));
}

TEST_F(StoreTest, AnAgentsToolVersionsAreKeptAndReplacedAtRegistration) {
  v1::Agent a;
  a.set_name("agent-2");
  a.set_address("127.0.0.1:2");
  a.add_engines(v1::ENGINE_MONGODB);
  a.add_engines(v1::ENGINE_SQLITE);
  (*a.mutable_tool_versions())[v1::ENGINE_MONGODB] = "mongodump version: 100.12.2";
  (*a.mutable_tool_versions())[v1::ENGINE_SQLITE] = "3.40.1";
  ASSERT_TRUE(store_->UpsertAgent(a, now_).ok());
  v1::Agent got = *store_->GetAgent("agent-2");
  ASSERT_EQ(got.tool_versions().size(), 2u);
  EXPECT_EQ(got.tool_versions().at(v1::ENGINE_MONGODB), "mongodump version: 100.12.2");
  EXPECT_EQ(got.tool_versions().at(v1::ENGINE_SQLITE), "3.40.1");
  // Registering again (tools upgraded or removed) replaces them.
  a.clear_tool_versions();
  (*a.mutable_tool_versions())[v1::ENGINE_SQLITE] = "3.46.0";
  ASSERT_TRUE(store_->UpsertAgent(a, now_ + absl::Seconds(1)).ok());
  got = *store_->GetAgent("agent-2");
  ASSERT_EQ(got.tool_versions().size(), 1u);
  EXPECT_EQ(got.tool_versions().at(v1::ENGINE_SQLITE), "3.46.0");
  // An agent registered before versions were reported has none.
  EXPECT_TRUE(store_->GetAgent("agent-1")->tool_versions().empty());
}

}  // namespace
}  // namespace dbdump
