// Backs up and restores real PostgreSQL and SQLite databases through the
// agent's JobRunner and engines, with the local storage driver.
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "agent/job_runner.h"
#include "agent/postgres_engine.h"
#include "agent/sqlite_engine.h"
#include "common/backup_layout.h"
#include "common/compression.h"
#include "common/local_storage.h"
#include "common/names.h"
#include "gtest/gtest.h"
#include "tests/fixtures/postgres_server.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;
using testing::MakeTempDir;
using testing::PostgresServer;

// Records every command it starts, then starts it for real.
class RecordingRunner : public ProcessRunner {
 public:
  absl::StatusOr<std::unique_ptr<Process>> Start(const ProcessOptions& o) override {
    started.push_back(o);
    return real_.Start(o);
  }
  std::vector<ProcessOptions> started;

 private:
  SubprocessRunner real_;
};

class PostgresBackupTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto s = PostgresServer::Start();
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = s->release();
  }
  static void TearDownTestSuite() { delete server_; }

  void SetUp() override {
    ASSERT_NE(server_, nullptr) << "the PostgreSQL fixture did not start";
    dir_ = MakeTempDir("dbdump-it");
    fs::create_directories(dir_ + "/work");
    storage_.set_name("local");
    storage_.set_kind(v1::STORAGE_KIND_LOCAL);
    storage_.set_path(dir_ + "/store");
    engine_ = std::make_unique<PostgresEngine>(PostgresEngineOptions{&runner_});
    runner_opts_ = {"agent-test", dir_ + "/work", 256 << 10, 4, 2};
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Exec(const std::string& db, const std::string& sql) {
    auto r = server_->Query(db, sql);
    ASSERT_TRUE(r.ok()) << r.status();
  }
  std::string Q(const std::string& db, const std::string& sql) {
    auto r = server_->Query(db, sql);
    return r.ok() ? *r : "ERROR: " + std::string(r.status().message());
  }
  // A fingerprint of the whole content of the test schema.
  std::string Fingerprint(const std::string& db) {
    return Q(db, "SELECT count(*), md5(string_agg(t::text, ',' ORDER BY id)) FROM items t") +
           Q(db, "SELECT md5(string_agg(b::text, ',' ORDER BY k)) FROM blobs b") +
           Q(db, "SELECT count(*) FROM v_items") + Q(db, "SELECT add_one(41)");
  }
  void CreateContent(const std::string& db) {
    std::string ident = "\"";
    for (char ch : db) ident += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    ident += "\"";
    Exec("postgres", "CREATE DATABASE " + ident);
    Exec(db, R"sql(
      CREATE TABLE items (id serial PRIMARY KEY, name text, price numeric(12,2), at timestamptz,
                          doc jsonb, note text);
      INSERT INTO items (name, price, at, doc, note)
        SELECT 'item ' || g || ' ünïcødé ✓', g * 1.25, '2026-01-01'::timestamptz + g * interval '1 minute',
               jsonb_build_object('k', g, 'tags', jsonb_build_array('a', 'b')),
               CASE WHEN g % 7 = 0 THEN NULL ELSE repeat('x', g % 100) END
        FROM generate_series(1, 20000) g;
      CREATE TABLE blobs (k int PRIMARY KEY, data bytea);
      INSERT INTO blobs SELECT g, decode(repeat(md5(g::text), 2000), 'hex') FROM generate_series(1, 50) g;
      CREATE VIEW v_items AS SELECT id, name FROM items WHERE note IS NULL;
      CREATE FUNCTION add_one(int) RETURNS int LANGUAGE sql AS 'SELECT $1 + 1';
    )sql");
  }
  v1::BackupJob Job(const std::string& name, const std::string& db, v1::Compression c) {
    v1::BackupJob j;
    j.set_job_id(NewJobId(absl::Now()));
    j.set_backup_id(NewBackupId(absl::Now()));
    *j.mutable_target() = server_->Target(name, db);
    *j.mutable_storage() = storage_;
    j.set_compression(c);
    return j;
  }
  absl::Status Restore(const v1::BackupJob& b, const std::string& into) {
    v1::RestoreJob r;
    r.set_job_id(NewJobId(absl::Now()));
    r.set_backup_id(b.backup_id());
    r.set_source_database(b.target().name());
    *r.mutable_storage() = storage_;
    *r.mutable_target() = server_->Target(b.target().name(), into);
    JobTracker t(r.job_id());
    return JobRunner(runner_opts_).Restore(r, engine_.get(), &t);
  }
  std::vector<std::string> StoreFiles() {
    std::vector<std::string> out;
    if (!fs::exists(storage_.path())) return out;
    for (auto& e : fs::recursive_directory_iterator(storage_.path())) {
      if (e.is_regular_file()) out.push_back(e.path().string());
    }
    return out;
  }
  bool WorkDirEmpty() {
    for (auto& e : fs::directory_iterator(dir_ + "/work")) {
      (void)e;
      return false;
    }
    return true;
  }

  static PostgresServer* server_;
  std::string dir_;
  v1::StorageDestination storage_;
  RecordingRunner runner_;
  std::unique_ptr<PostgresEngine> engine_;
  JobRunnerOptions runner_opts_;
};
PostgresServer* PostgresBackupTest::server_ = nullptr;

TEST_F(PostgresBackupTest, BackupAndRestoreRoundTripForEachCompression) {
  CreateContent("shop");
  std::string before = Fingerprint("shop");
  ASSERT_EQ(before.find("ERROR"), std::string::npos) << before;
  for (auto c : {v1::COMPRESSION_ZSTD, v1::COMPRESSION_GZIP}) {
    v1::BackupJob job = Job("shop", "shop", c);
    JobTracker t(job.job_id());
    auto m = JobRunner(runner_opts_).Backup(job, engine_.get(), &t);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->engine(), v1::ENGINE_POSTGRES);
    EXPECT_EQ(m->server_version().substr(0, 3), "15.");
    EXPECT_FALSE(m->tool_version().empty());
    EXPECT_GT(m->raw_size_bytes(), m->stored_size_bytes());
    EXPECT_EQ(m->raw_sha256().size(), 64u);
    EXPECT_EQ(t.Snapshot().progress().bytes_in(), m->raw_size_bytes());
    // The manifest in storage is the one returned.
    auto local = LocalStorage::Open(storage_.path());
    auto stored = ReadManifest(local->get(), "", "shop", job.backup_id());
    ASSERT_TRUE(stored.ok()) << stored.status();
    EXPECT_EQ(stored->stored_sha256(), m->stored_sha256());
    EXPECT_TRUE(WorkDirEmpty()) << "pgpass file left behind";

    std::string target = absl::StrCat("shop_restored_", CompressionSuffix(c));
    absl::Status r = Restore(job, target);
    ASSERT_TRUE(r.ok()) << r;
    EXPECT_EQ(Fingerprint(target), before);
  }
}

TEST_F(PostgresBackupTest, NoPasswordInArgvOrEnvironment) {
  CreateContent("secretive");
  std::ifstream pw(server_->dir() + "/cluster/password");
  std::string password;
  std::getline(pw, password);
  v1::BackupJob job = Job("secretive", "secretive", v1::COMPRESSION_ZSTD);
  JobTracker t(job.job_id());
  ASSERT_TRUE(JobRunner(runner_opts_).Backup(job, engine_.get(), &t).ok());
  ASSERT_TRUE(Restore(job, "secretive_copy").ok());
  int dumps = 0;
  for (const ProcessOptions& o : runner_.started) {
    for (const auto& a : o.argv) EXPECT_EQ(a.find(password), std::string::npos) << a;
    for (const auto& [k, v] : o.env) {
      EXPECT_EQ(v.find(password), std::string::npos) << k;
      EXPECT_NE(k, "PGPASSWORD");
    }
    if (o.argv[0].find("pg_dump") != std::string::npos && o.argv.size() > 2) {
      ++dumps;
      EXPECT_EQ(o.env.count("PGPASSFILE"), 1u);
    }
  }
  EXPECT_GE(dumps, 1);
}

TEST_F(PostgresBackupTest, HostileDatabaseNamesAreData) {
  // A legal but awkward name round-trips.
  CreateContent("a b'c");
  v1::BackupJob job = Job("awkward", "a b'c", v1::COMPRESSION_ZSTD);
  JobTracker t(job.job_id());
  ASSERT_TRUE(JobRunner(runner_opts_).Backup(job, engine_.get(), &t).ok());
  ASSERT_TRUE(Restore(job, "x\"y z").ok());
  EXPECT_EQ(Fingerprint("x\"y z"), Fingerprint("a b'c"));

  // Option- and conninfo-shaped names are looked up literally and fail cleanly.
  fs::remove("/tmp/dbdump-x");
  for (std::string name : {"--file=/tmp/dbdump-x", "host=evil dbname=postgres", "a;b $(id)"}) {
    v1::BackupJob bad = Job("hostile", name, v1::COMPRESSION_ZSTD);
    JobTracker bt(bad.job_id());
    auto m = JobRunner(runner_opts_).Backup(bad, engine_.get(), &bt);
    ASSERT_FALSE(m.ok()) << name;
    EXPECT_TRUE(absl::IsNotFound(m.status())) << m.status();
    EXPECT_NE(m.status().message().find("does not exist"), std::string::npos) << m.status();
  }
  EXPECT_FALSE(fs::exists("/tmp/dbdump-x"));
  for (const auto& f : StoreFiles()) EXPECT_EQ(f.find("hostile"), std::string::npos) << f;
}

TEST_F(PostgresBackupTest, WrongPasswordAndUnreachableServerFailCleanly) {
  std::string bad_pw = dir_ + "/bad.pass";
  {
    std::ofstream(bad_pw) << "not-the-password\n";
  }
  fs::permissions(bad_pw, fs::perms::owner_read | fs::perms::owner_write);
  v1::BackupJob job = Job("wrongpw", "postgres", v1::COMPRESSION_ZSTD);
  job.mutable_target()->set_password_ref("file:" + bad_pw);
  JobTracker t(job.job_id());
  auto m = JobRunner(runner_opts_).Backup(job, engine_.get(), &t);
  ASSERT_TRUE(absl::IsPermissionDenied(m.status())) << m.status();
  EXPECT_NE(m.status().message().find("authentication failed"), std::string::npos);
  EXPECT_EQ(m.status().message().find("not-the-password"), std::string::npos);

  v1::BackupJob down = Job("down", "postgres", v1::COMPRESSION_ZSTD);
  down.mutable_target()->set_port(1);
  JobTracker t2(down.job_id());
  auto m2 = JobRunner(runner_opts_).Backup(down, engine_.get(), &t2);
  EXPECT_TRUE(absl::IsUnavailable(m2.status())) << m2.status();
  EXPECT_TRUE(StoreFiles().empty());
  EXPECT_TRUE(WorkDirEmpty());
}

TEST_F(PostgresBackupTest, CorruptedBackupIsRefusedAndNothingRestored) {
  CreateContent("fragile");
  v1::BackupJob job = Job("fragile", "fragile", v1::COMPRESSION_ZSTD);
  JobTracker t(job.job_id());
  auto m = JobRunner(runner_opts_).Backup(job, engine_.get(), &t);
  ASSERT_TRUE(m.ok());
  std::string dump = storage_.path() + "/fragile/" + job.backup_id() + "/" + m->dump_object();
  {
    std::fstream f(dump, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(m->stored_size_bytes() / 2));
    f.put('\x5a');
  }
  absl::Status r = Restore(job, "fragile_copy");
  EXPECT_TRUE(absl::IsDataLoss(r)) << r;
  EXPECT_NE(r.message().find("nothing was restored"), std::string::npos) << r;
  EXPECT_FALSE(server_->HasDatabase("fragile_copy"));
}

TEST_F(PostgresBackupTest, ValidButSubstitutedDumpIsNeverCommitted) {
  // The same raw dump, compressed again: a perfectly valid stream that only
  // the stored checksum tells apart. pg_restore receives all of it but the
  // held-back tail, and is stopped before it can commit.
  CreateContent("swapped");
  v1::BackupJob job = Job("swapped", "swapped", v1::COMPRESSION_ZSTD);
  JobTracker t(job.job_id());
  auto m = JobRunner(runner_opts_).Backup(job, engine_.get(), &t);
  ASSERT_TRUE(m.ok());
  std::string dump = storage_.path() + "/swapped/" + job.backup_id() + "/" + m->dump_object();
  std::string cmd = absl::StrCat("zstd -dc < '", dump, "' | zstd -q -1 -c > '", dump, ".new' && mv '",
                                 dump, ".new' '", dump, "'");
  ASSERT_EQ(system(cmd.c_str()), 0);
  absl::Status r = Restore(job, "swapped_copy");
  EXPECT_TRUE(absl::IsDataLoss(r)) << r;
  EXPECT_NE(r.message().find("stored sha256"), std::string::npos) << r;
  EXPECT_NE(r.message().find("nothing was restored"), std::string::npos) << r;
  EXPECT_FALSE(server_->HasDatabase("swapped_copy"));
  // Into an existing database: rolled back, unchanged.
  Exec("postgres", "CREATE DATABASE swapped_existing");
  Exec("swapped_existing", "CREATE TABLE keep (x int); INSERT INTO keep VALUES (1)");
  EXPECT_TRUE(absl::IsDataLoss(Restore(job, "swapped_existing")));
  EXPECT_EQ(Q("swapped_existing", "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), "1\n");
}

TEST_F(PostgresBackupTest, FailedRestoreChangesNothing) {
  CreateContent("src_fail");
  Exec("postgres", "CREATE ROLE gone_owner");
  Exec("src_fail", "CREATE TABLE owned (x int); ALTER TABLE owned OWNER TO gone_owner");
  v1::BackupJob job = Job("src_fail", "src_fail", v1::COMPRESSION_ZSTD);
  JobTracker t(job.job_id());
  ASSERT_TRUE(JobRunner(runner_opts_).Backup(job, engine_.get(), &t).ok());
  // Restoring into a database that already holds the same objects fails in
  // one transaction and leaves it as it was.
  std::string before = Fingerprint("src_fail");
  absl::Status r = Restore(job, "src_fail");
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.message().find("already exists"), std::string::npos) << r;
  EXPECT_EQ(Fingerprint("src_fail"), before);
  // A restore that fails in a database it created drops that database again.
  Exec("src_fail", "DROP TABLE owned");
  Exec("postgres", "DROP ROLE gone_owner");
  absl::Status r2 = Restore(job, "fresh_fail");
  EXPECT_FALSE(r2.ok());
  EXPECT_NE(r2.message().find("gone_owner"), std::string::npos) << r2;
  EXPECT_FALSE(server_->HasDatabase("fresh_fail"));
}

TEST_F(PostgresBackupTest, CancelLeavesNoBackup) {
  Exec("postgres", "CREATE DATABASE big");
  Exec("big", "CREATE TABLE t AS SELECT g, md5(g::text) || repeat('y', 200) AS s FROM generate_series(1, 600000) g");
  v1::BackupJob job = Job("big", "big", v1::COMPRESSION_ZSTD);
  JobTracker t(job.job_id());
  std::thread canceller([&] {
    while (t.Snapshot().progress().bytes_in() < (1 << 20)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    t.Cancel();
  });
  auto m = JobRunner(runner_opts_).Backup(job, engine_.get(), &t);
  canceller.join();
  EXPECT_TRUE(absl::IsCancelled(m.status())) << m.status();
  EXPECT_TRUE(StoreFiles().empty());
  EXPECT_TRUE(WorkDirEmpty());
}

TEST_F(PostgresBackupTest, ToolsMustBeAtLeastTheServerVersion) {
  auto tools = engine_->InstalledTools();
  ASSERT_FALSE(tools.empty());
  EXPECT_TRUE(engine_->ToolsFor(tools.front().major).ok());
  auto none = engine_->ToolsFor(tools.front().major + 5);
  ASSERT_TRUE(absl::IsFailedPrecondition(none.status()));
  EXPECT_NE(none.status().message().find(absl::StrCat("postgresql-client-", tools.front().major + 5)),
            std::string::npos);
}

// --- SQLite -----------------------------------------------------------------

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
  v1::BackupJob job;
  job.set_job_id(NewJobId(absl::Now()));
  job.set_backup_id(NewBackupId(absl::Now()));
  job.mutable_target()->set_name("app");
  job.mutable_target()->set_engine(v1::ENGINE_SQLITE);
  job.mutable_target()->set_path(path);
  *job.mutable_storage() = storage_;
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

}  // namespace
}  // namespace dbdump
