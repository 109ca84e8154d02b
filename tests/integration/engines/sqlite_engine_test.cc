// Backs up and restores real SQLite databases through the agent's JobRunner
// and SqliteEngine, with the local storage driver.
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <map>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/match.h"
#include "agent/job_tracker.h"
#include "common/engines/job_runner.h"
#include "common/engines/sqlite/sqlite_engine.h"
#include "common/storage/backup_layout.h"
#include "common/io/compression.h"
#include "common/storage/local_storage.h"
#include "common/base/names.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fixtures/postgres_server.h"  // MakeTempDir
#include "tests/fixtures/sqlite_backup_job.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;
using testing::MakeTempDir;

class SqliteBackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("dbdump-sqlite");
    fs::create_directories(dir_ + "/work");
    storage_.set_name("local");
    storage_.set_kind(v1::STORAGE_KIND_LOCAL);
    storage_.set_path(dir_ + "/store");
    opts_ = {"agent-test", dir_ + "/work", 64 << 10, 4, 1};
  }
  void TearDown() override { fs::remove_all(dir_); }
  static void Sql(sqlite3* db, const std::string& sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  }
  static int64_t Count(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
  }
  std::string dir_;
  v1::StorageDestination storage_;
  JobRunnerOptions opts_;
  SqliteEngine engine_;
};

TEST_F(SqliteBackupTest, ConsistentSnapshotWhileWritersContinue) {
  std::string path = dir_ + "/app.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  Sql(db, "PRAGMA journal_mode=WAL; CREATE TABLE a(id INTEGER PRIMARY KEY, v TEXT);"
          "CREATE TABLE b(id INTEGER PRIMARY KEY, v TEXT);");
  Sql(db, "BEGIN; WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 50000) "
          "INSERT INTO a(v) SELECT hex(randomblob(40)) FROM c; INSERT INTO b(v) SELECT v FROM a; COMMIT;");
  // A writer keeps adding to both tables in single transactions, so in any
  // consistent snapshot the two tables have the same row count.
  std::atomic<bool> stop{false};
  std::atomic<int> writes{0};
  std::thread writer([&] {
    sqlite3* w = nullptr;
    sqlite3_open(path.c_str(), &w);
    sqlite3_busy_timeout(w, 5000);
    while (!stop) {
      if (sqlite3_exec(w, "BEGIN; INSERT INTO a(v) VALUES ('w'); INSERT INTO b(v) VALUES ('w'); COMMIT;",
                       nullptr, nullptr, nullptr) == SQLITE_OK) {
        ++writes;
      }
    }
    sqlite3_close(w);
  });
  while (writes < 10) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  v1::BackupJob job = testing::SqliteBackupJob("app", path, storage_);
  JobTracker t(job.job_id());
  auto m = JobRunner(opts_).Backup(job, &engine_, &t);
  int writes_during = writes;
  stop = true;
  writer.join();
  sqlite3_close(db);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_GT(writes_during, 10);
  EXPECT_TRUE(fs::is_empty(dir_ + "/work")) << "snapshot left behind";

  v1::RestoreJob r;
  r.set_job_id(NewJobId(absl::Now()));
  r.set_backup_id(job.backup_id());
  r.set_source_database("app");
  *r.mutable_storage() = storage_;
  *r.mutable_target() = job.target();
  r.mutable_target()->set_path(dir_ + "/restored.db");
  JobTracker rt(r.job_id());
  absl::Status st = JobRunner(opts_).Restore(r, &engine_, &rt);
  ASSERT_TRUE(st.ok()) << st;
  int64_t a = Count(dir_ + "/restored.db", "SELECT count(*) FROM a");
  EXPECT_GE(a, 50000);
  EXPECT_EQ(a, Count(dir_ + "/restored.db", "SELECT count(*) FROM b"));

  // Restoring over an existing file is refused and the file is untouched.
  JobTracker rt2(r.job_id() + "x");
  absl::Status again = JobRunner(opts_).Restore(r, &engine_, &rt2);
  EXPECT_TRUE(absl::IsAlreadyExists(again)) << again;
  EXPECT_EQ(Count(dir_ + "/restored.db", "SELECT count(*) FROM a"), a);
  for (auto& e : fs::directory_iterator(dir_)) {
    EXPECT_EQ(e.path().string().find("partial"), std::string::npos) << e.path();
  }
}

TEST_F(SqliteBackupTest, MissingFileAndBadPathsAreClearErrors) {
  v1::DatabaseTarget t;
  t.set_engine(v1::ENGINE_SQLITE);
  t.set_path(dir_ + "/nope.db");
  EXPECT_TRUE(absl::IsNotFound(engine_.TestConnection(t).status()));
  EXPECT_FALSE(fs::exists(dir_ + "/nope.db"));  // not created by the probe
  t.set_path("relative.db");
  EXPECT_TRUE(absl::IsInvalidArgument(engine_.TestConnection(t).status()));
  t.set_path(dir_ + "/../etc/passwd");
  EXPECT_TRUE(absl::IsInvalidArgument(engine_.TestConnection(t).status()));
  std::ofstream(dir_ + "/junk.db") << std::string(8192, 'j');
  t.set_path(dir_ + "/junk.db");
  EXPECT_FALSE(engine_.TestConnection(t).ok());
}

TEST_F(SqliteBackupTest, RecordsCountsDryRunTestRestoreAndCleanReplace) {
  std::string path = dir_ + "/shop.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  Sql(db, "CREATE TABLE \"odd \"\"name\" (id INTEGER PRIMARY KEY, v BLOB);"
          "CREATE TABLE t2 (x TEXT); CREATE VIEW v AS SELECT * FROM t2;"
          "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 321) "
          "INSERT INTO \"odd \"\"name\"(v) SELECT randomblob(100) FROM c;"
          "INSERT INTO t2 VALUES ('ünï'), (NULL);");
  sqlite3_close(db);
  v1::BackupJob job = testing::SqliteBackupJob("shop", path, storage_);
  JobTracker t(job.job_id());
  auto m = JobRunner(opts_).Backup(job, &engine_, &t);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->tables_size(), 2);
  EXPECT_EQ(m->tables(0).name(), "odd \"name");
  EXPECT_EQ(m->tables(0).rows(), 321);
  EXPECT_EQ(m->tables(1).name(), "t2");
  EXPECT_EQ(m->tables(1).rows(), 2);

  v1::RestoreJob r;
  r.set_job_id(NewJobId(absl::Now()));
  r.set_backup_id(job.backup_id());
  r.set_source_database("shop");
  *r.mutable_storage() = storage_;
  *r.mutable_target() = job.target();

  // Dry run: checked and listed in the work directory, nothing placed.
  v1::RestoreJob dry = r;
  dry.mutable_options()->set_dry_run(true);
  dry.mutable_target()->set_path(dir_ + "/never.db");
  JobTracker dt(dry.job_id());
  v1::RestoreReport report;
  absl::Status st = JobRunner(opts_).Restore(dry, &engine_, &dt, &report);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(report.listed_entries(), 2u);
  EXPECT_NE(report.summary().find("integrity_check ok, 2 tables"), std::string::npos) << report.summary();
  EXPECT_FALSE(fs::exists(dir_ + "/never.db"));
  EXPECT_TRUE(fs::is_empty(dir_ + "/work"));

  // Test restore: exact counts compared, the scratch copy removed.
  v1::RestoreJob tr = r;
  tr.set_job_id(r.job_id() + "t");
  tr.mutable_options()->set_test_restore(true);
  JobTracker tt(tr.job_id());
  v1::RestoreReport treport;
  st = JobRunner(opts_).Restore(tr, &engine_, &tt, &treport);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(treport.tables_size(), 2);
  EXPECT_TRUE(treport.tables(0).ok());
  EXPECT_EQ(treport.tables(0).restored_rows(), 321);
  EXPECT_TRUE(treport.scratch_dropped());
  EXPECT_TRUE(fs::is_empty(dir_ + "/work"));

  // Restoring over the original: refused without --clean, replaced with it.
  db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  Sql(db, "DELETE FROM t2");
  sqlite3_close(db);
  JobTracker rt(r.job_id() + "r");
  st = JobRunner(opts_).Restore(r, &engine_, &rt);
  EXPECT_TRUE(absl::IsAlreadyExists(st)) << st;
  EXPECT_NE(st.message().find("--clean"), std::string::npos) << st;
  EXPECT_EQ(Count(path, "SELECT count(*) FROM t2"), 0);
  r.mutable_options()->set_clean(true);
  {
    // An open database's write-ahead log would be applied to the new file.
    std::ofstream(path + "-wal") << "not empty";
    JobTracker wt(r.job_id() + "w");
    absl::Status busy = JobRunner(opts_).Restore(r, &engine_, &wt);
    EXPECT_TRUE(absl::IsFailedPrecondition(busy)) << busy;
    EXPECT_NE(busy.message().find("-wal exists"), std::string::npos) << busy;
    fs::remove(path + "-wal");
  }
  JobTracker rt2(r.job_id() + "c");
  st = JobRunner(opts_).Restore(r, &engine_, &rt2);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(Count(path, "SELECT count(*) FROM t2"), 2);
  // Options the engine does not have are refused by name.
  r.mutable_options()->set_jobs(4);
  JobTracker rt3(r.job_id() + "j");
  st = JobRunner(opts_).Restore(r, &engine_, &rt3);
  EXPECT_NE(st.message().find("restore option jobs is not supported for ENGINE_SQLITE"),
            std::string::npos)
      << st;
}

// The manifest's times come from the runner's clock, not the wall clock.
TEST_F(SqliteBackupTest, ManifestTimesComeFromTheRunnersClock) {
  std::string path = dir_ + "/clock.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  Sql(db, "CREATE TABLE t(v TEXT); INSERT INTO t VALUES ('x');");
  sqlite3_close(db);
  FakeClock clock(absl::FromUnixSeconds(1767225600));  // 2026-01-01T00:00:00Z
  JobRunnerOptions opts = opts_;
  opts.clock = &clock;
  v1::BackupJob job = testing::SqliteBackupJob("clock", path, storage_);
  JobTracker t(job.job_id());
  auto m = JobRunner(opts).Backup(job, &engine_, &t);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->started_at(), TimeToString(clock.Now()));
  EXPECT_EQ(m->finished_at(), TimeToString(clock.Now()));
}

// The manifest records the level the dump was compressed at: the codec's
// default when the job names none (zstd 3, gzip 6), else the one asked for.
TEST_F(SqliteBackupTest, ManifestRecordsTheCompressionLevelUsed) {
  std::string path = dir_ + "/levels.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  Sql(db, "CREATE TABLE t(v TEXT); INSERT INTO t VALUES ('x');");
  sqlite3_close(db);
  struct Case {
    v1::Compression codec;
    int asked;
    int recorded;
  };
  for (const Case& c : {Case{v1::COMPRESSION_UNSPECIFIED, 0, 3}, Case{v1::COMPRESSION_ZSTD, 0, 3},
                        Case{v1::COMPRESSION_ZSTD, 7, 7}, Case{v1::COMPRESSION_GZIP, 0, 6},
                        Case{v1::COMPRESSION_GZIP, 9, 9}, Case{v1::COMPRESSION_NONE, 0, 0}}) {
    v1::BackupJob job = testing::SqliteBackupJob("levels", path, storage_);
    job.set_compression(c.codec);
    job.set_compression_level(c.asked);
    JobTracker t(job.job_id());
    auto m = JobRunner(opts_).Backup(job, &engine_, &t);
    ASSERT_TRUE(m.ok()) << m.status();
    // The manifest as written to storage, not the runner's return value.
    std::ifstream in(absl::StrCat(dir_, "/store/levels/", job.backup_id(), "/manifest.json"));
    std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    absl::StatusOr<v1::Manifest> stored = ManifestFromJson(json);
    ASSERT_TRUE(stored.ok()) << stored.status() << json;
    EXPECT_EQ(stored->compression_level(), c.recorded)
        << v1::Compression_Name(c.codec) << " level " << c.asked << ": " << json;
  }
}

}  // namespace
}  // namespace dbdump
