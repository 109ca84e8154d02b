// Backs up and restores real PostgreSQL and SQLite databases through the
// agent's JobRunner and engines, with the local storage driver.
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
#include "common/engines/postgres/postgres_engine.h"
#include "common/engines/sqlite/sqlite_engine.h"
#include "common/storage/backup_layout.h"
#include "common/io/compression.h"
#include "common/storage/local_storage.h"
#include "common/base/names.h"
#include "gtest/gtest.h"
#include "tests/fakes/recording_runner.h"
#include "tests/fixtures/postgres_server.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;
using testing::MakeTempDir;
using testing::PostgresServer;

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
  v1::RestoreJob RestoreJobFor(const v1::BackupJob& b, const std::string& into) {
    v1::RestoreJob r;
    r.set_job_id(NewJobId(absl::Now()));
    r.set_backup_id(b.backup_id());
    r.set_source_database(b.target().name());
    *r.mutable_storage() = storage_;
    *r.mutable_target() = server_->Target(b.target().name(), into);
    return r;
  }
  absl::Status Restore(const v1::BackupJob& b, const std::string& into) {
    v1::RestoreJob r = RestoreJobFor(b, into);
    JobTracker t(r.job_id());
    return JobRunner(runner_opts_).Restore(r, engine_.get(), &t);
  }

 public:
  absl::StatusOr<v1::Manifest> RunBackup(const v1::BackupJob& job, JobTracker* t) {
    return JobRunner(runner_opts_).Backup(job, engine_.get(), t);
  }

 protected:
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
  for (const RecordingRunner::Started& started : runner_.started()) {
    const ProcessOptions& o = started.options;
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

// --- PostgreSQL formats, selective options and restore options -------------

// Runs a backup of `db` with `options`; the manifest or the error.
absl::StatusOr<v1::Manifest> BackupWith(PostgresBackupTest* t, v1::BackupJob job) {
  JobTracker tracker(job.job_id());
  return t->RunBackup(job, &tracker);
}

// A plain pg_dump of a database as text, for comparing two databases.
std::string PlainDump(PostgresServer* server, const std::string& db) {
  std::string out;
  std::string pw;
  std::ifstream f(server->dir() + "/cluster/password");
  std::getline(f, pw);
  std::string pass = server->dir() + "/cluster/plain.pgpass";
  {
    std::ofstream p(pass);
    p << "*:*:*:*:" << pw << "\n";
  }
  fs::permissions(pass, fs::perms::owner_read | fs::perms::owner_write);
  SubprocessRunner runner;
  PostgresEngine e(PostgresEngineOptions{&runner});
  auto tools = e.InstalledTools();
  if (tools.empty()) return "no pg_dump";
  auto text = RunAndCapture(
      &runner, {{tools.front().pg_dump, "--format=plain", "--no-owner",
                 "--dbname=" + QuotedDbnameConninfo(db)},
                {{"PATH", "/usr/bin:/bin"},
                 {"PGHOST", "127.0.0.1"},
                 {"PGPORT", absl::StrCat(server->port())},
                 {"PGUSER", "dbdump"},
                 {"PGPASSFILE", pass}}});
  if (!text.ok()) return "pg_dump failed: " + std::string(text.status().message());
  // pg_dump writes a random key into \restrict / \unrestrict lines of every
  // plain dump; everything else is the same for the same content.
  std::string out_text;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    if (absl::StartsWith(line, "\\restrict ") || absl::StartsWith(line, "\\unrestrict ")) continue;
    absl::StrAppend(&out_text, line, "\n");
  }
  return out_text;
}

// Equal dumps, without printing megabytes when they differ.
void ExpectSameDump(const std::string& a, const std::string& b) {
  EXPECT_GT(a.size(), 1000u) << a.substr(0, 200);
  if (a == b) return;
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  ADD_FAILURE() << "dumps differ at byte " << i << " of " << a.size() << "/" << b.size() << ": \""
                << a.substr(i, 120) << "\" vs \"" << b.substr(i, 120) << "\"";
}

TEST_F(PostgresBackupTest, PlainFormatRoundTripDumpsIdentically) {
  CreateContent("plainsrc");
  v1::BackupJob job = Job("plainsrc", "plainsrc", v1::COMPRESSION_ZSTD);
  job.mutable_target()->mutable_dump_options()->set_format("plain");
  auto m = BackupWith(this, job);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->dump_format(), "pg_dump plain");
  EXPECT_EQ(m->dump_object(), "dump.sql.zst");
  EXPECT_EQ(m->dump_options().format(), "plain");
  ASSERT_TRUE(Restore(job, "plaincopy").ok());
  std::string a = PlainDump(server_, "plainsrc"), b = PlainDump(server_, "plaincopy");
  EXPECT_NE(a.find("CREATE TABLE public.items"), std::string::npos) << a.substr(0, 300);
  ExpectSameDump(a, b);
  // The custom format too: restore, dump again, diff.
  v1::BackupJob custom = Job("plainsrc", "plainsrc", v1::COMPRESSION_GZIP);
  ASSERT_TRUE(BackupWith(this, custom).ok());
  ASSERT_TRUE(Restore(custom, "customcopy").ok());
  ExpectSameDump(PlainDump(server_, "customcopy"), a);
}

TEST_F(PostgresBackupTest, SelectiveOptionsChooseWhatTheBackupHolds) {
  Exec("postgres", "CREATE DATABASE sel");
  Exec("sel", R"sql(
    CREATE SCHEMA s2;
    CREATE TABLE keep (id int); INSERT INTO keep VALUES (1), (2);
    CREATE TABLE drop_me (id int); INSERT INTO drop_me VALUES (1);
    CREATE TABLE "a*b" (id int); INSERT INTO "a*b" VALUES (7);
    CREATE TABLE "aXb" (id int); INSERT INTO "aXb" VALUES (8);
    CREATE TABLE s2.other (id int); INSERT INTO s2.other VALUES (3);
  )sql");
  auto tables_of = [&](const std::string& db) {
    return Q(db, "SELECT string_agg(schemaname || '.' || tablename, ',' ORDER BY 1) FROM pg_tables "
                 "WHERE schemaname IN ('public', 's2')");
  };
  struct Case {
    std::function<void(v1::DumpOptions*)> set;
    std::string tables;
    std::string keep_rows;
  };
  std::vector<Case> cases = {
      // "a*b" is a name, not a pattern: "aXb" is not included.
      {[](v1::DumpOptions* o) { o->add_include_tables("a*b"); o->add_include_tables("public.keep"); },
       "public.a*b,public.keep\n", "2\n"},
      {[](v1::DumpOptions* o) { o->add_exclude_tables("drop_me"); o->add_exclude_schemas("s2"); },
       "public.a*b,public.aXb,public.keep\n", "2\n"},
      {[](v1::DumpOptions* o) { o->add_include_schemas("s2"); }, "s2.other\n", ""},
      {[](v1::DumpOptions* o) { o->set_schema_only(true); },
       "public.a*b,public.aXb,public.drop_me,public.keep,s2.other\n", "0\n"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    v1::BackupJob job = Job("sel", "sel", v1::COMPRESSION_ZSTD);
    cases[i].set(job.mutable_target()->mutable_dump_options());
    auto m = BackupWith(this, job);
    ASSERT_TRUE(m.ok()) << i << ": " << m.status();
    std::string into = absl::StrCat("sel_case", i);
    ASSERT_TRUE(Restore(job, into).ok()) << i;
    EXPECT_EQ(tables_of(into), cases[i].tables) << i;
    if (!cases[i].keep_rows.empty()) EXPECT_EQ(Q(into, "SELECT count(*) FROM keep"), cases[i].keep_rows) << i;
    // The manifest records exactly the tables the options selected.
    std::vector<std::string> names;
    for (const auto& t : m->tables()) names.push_back(t.name());
    EXPECT_EQ(absl::StrJoin(names, ",") + "\n", cases[i].tables) << i;
  }
  // An unqualified name is found in any schema (pg_dump alone would look
  // only in the search path) and goes to pg_dump qualified; an ambiguous or
  // unknown name is refused before anything runs.
  {
    v1::BackupJob other = Job("sel", "sel", v1::COMPRESSION_ZSTD);
    other.mutable_target()->mutable_dump_options()->add_include_tables("other");
    auto m = BackupWith(this, other);
    ASSERT_TRUE(m.ok()) << m.status();
    ASSERT_EQ(m->tables_size(), 1);
    EXPECT_EQ(m->tables(0).name(), "s2.other");
    bool qualified = false;
    const std::vector<RecordingRunner::Started> started = runner_.started();
    for (const auto& a : started.back().options.argv) qualified |= a == "--table=\"s2\".\"other\"";
    EXPECT_TRUE(qualified);
    Exec("sel", "CREATE TABLE s2.keep (id int)");
    v1::BackupJob ambiguous = Job("sel", "sel", v1::COMPRESSION_ZSTD);
    ambiguous.mutable_target()->mutable_dump_options()->add_include_tables("keep");
    auto a = BackupWith(this, ambiguous);
    EXPECT_TRUE(absl::IsInvalidArgument(a.status())) << a.status();
    EXPECT_NE(a.status().message().find("give it as schema.table"), std::string::npos) << a.status();
    v1::BackupJob missing = Job("sel", "sel", v1::COMPRESSION_ZSTD);
    missing.mutable_target()->mutable_dump_options()->add_include_tables("public.nosuch");
    EXPECT_TRUE(absl::IsNotFound(BackupWith(this, missing).status()));
    Exec("sel", "DROP TABLE s2.keep");
  }
  // Data only: restoring into a database that has the tables fills them.
  v1::BackupJob data = Job("sel", "sel", v1::COMPRESSION_ZSTD);
  data.mutable_target()->mutable_dump_options()->set_data_only(true);
  data.mutable_target()->mutable_dump_options()->add_include_tables("keep");
  ASSERT_TRUE(BackupWith(this, data).ok());
  ASSERT_TRUE(Restore(data, "sel_case3").ok());  // the schema-only copy
  EXPECT_EQ(Q("sel_case3", "SELECT count(*) FROM keep"), "2\n");
  EXPECT_EQ(Q("sel_case3", "SELECT count(*) FROM drop_me"), "0\n");
  // Options that contradict each other or belong to another engine.
  v1::BackupJob bad = Job("sel", "sel", v1::COMPRESSION_ZSTD);
  bad.mutable_target()->mutable_dump_options()->set_schema_only(true);
  bad.mutable_target()->mutable_dump_options()->set_data_only(true);
  EXPECT_TRUE(absl::IsInvalidArgument(BackupWith(this, bad).status()));
  bad = Job("sel", "sel", v1::COMPRESSION_ZSTD);
  bad.mutable_target()->mutable_dump_options()->set_format("directory");
  EXPECT_NE(BackupWith(this, bad).status().message().find("use custom (default) or plain"),
            std::string::npos);
  EXPECT_TRUE(WorkDirEmpty());
}

TEST_F(PostgresBackupTest, GlobalsAreASecondCheckedObject) {
  Exec("postgres", "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_reader') "
                   "THEN CREATE ROLE app_reader; END IF; END $$");
  CreateContent("withglobals");
  v1::BackupJob job = Job("withglobals", "withglobals", v1::COMPRESSION_ZSTD);
  job.mutable_target()->mutable_dump_options()->set_globals(true);
  auto m = BackupWith(this, job);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->extra_objects_size(), 1);
  const v1::StoredObject& g = m->extra_objects(0);
  EXPECT_EQ(g.role(), "globals");
  EXPECT_EQ(g.object(), "globals.sql.zst");
  EXPECT_EQ(g.dump_format(), "pg_dumpall globals");
  std::string path = absl::StrCat(storage_.path(), "/withglobals/", job.backup_id(), "/", g.object());
  ASSERT_TRUE(fs::exists(path));
  // Read it with the real zstd.
  SubprocessRunner runner;
  auto text = RunAndCapture(&runner, {{"zstd", "-dc", path}, {{"PATH", "/usr/bin:/bin"}}});
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_NE(text->find("CREATE ROLE app_reader"), std::string::npos);
  EXPECT_EQ(text->size(), g.raw_size_bytes());
  // A dry run checks it too: flip a byte and the dry run fails naming it.
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.put('\x5a');
  }
  v1::RestoreJob r = RestoreJobFor(job, "");
  r.mutable_options()->set_dry_run(true);
  JobTracker t(r.job_id());
  absl::Status st = JobRunner(runner_opts_).Restore(r, engine_.get(), &t);
  EXPECT_TRUE(absl::IsDataLoss(st)) << st;
  EXPECT_NE(st.message().find("globals of backup"), std::string::npos) << st;
}

TEST_F(PostgresBackupTest, CleanAndNoCreateOnlyWhenAsked) {
  CreateContent("cleansrc");
  v1::BackupJob job = Job("cleansrc", "cleansrc", v1::COMPRESSION_ZSTD);
  ASSERT_TRUE(BackupWith(this, job).ok());
  std::string before = Fingerprint("cleansrc");
  // Changes after the backup.
  Exec("cleansrc", "DELETE FROM items WHERE id > 100; CREATE TABLE extra (x int)");
  std::string changed = Fingerprint("cleansrc");
  // Without --clean the objects conflict: nothing changes.
  absl::Status st = Restore(job, "cleansrc");
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(Fingerprint("cleansrc"), changed);
  // With --clean the backup's objects are replaced; others stay.
  v1::RestoreJob r = RestoreJobFor(job, "cleansrc");
  r.mutable_options()->set_clean(true);
  JobTracker t(r.job_id());
  st = JobRunner(runner_opts_).Restore(r, engine_.get(), &t);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(Fingerprint("cleansrc"), before);
  EXPECT_EQ(Q("cleansrc", "SELECT count(*) FROM extra"), "0\n");
  // --no-create: a missing database is an error and is not created.
  v1::RestoreJob nc = RestoreJobFor(job, "never_created");
  nc.mutable_options()->set_no_create(true);
  JobTracker t2(nc.job_id());
  st = JobRunner(runner_opts_).Restore(nc, engine_.get(), &t2);
  EXPECT_TRUE(absl::IsNotFound(st)) << st;
  EXPECT_NE(st.message().find("--no-create"), std::string::npos) << st;
  EXPECT_FALSE(server_->HasDatabase("never_created"));
}

TEST_F(PostgresBackupTest, ToolEndingBeforeTheChecksumsUndoesTheRestore) {
  // A plain backup whose script ends psql early (\q) with megabytes still
  // to come: the tool exits 0 before the checksums could be checked.
  CreateContent("earlysrc");
  v1::BackupJob job = Job("earlysrc", "earlysrc", v1::COMPRESSION_NONE);
  job.mutable_target()->mutable_dump_options()->set_format("plain");
  auto m = BackupWith(this, job);
  ASSERT_TRUE(m.ok()) << m.status();
  std::string script = "CREATE TABLE early (x int);\n\\q\n";
  while (script.size() < (3u << 20)) script += "-- filler line that psql never reads\n";
  std::string dir = absl::StrCat(storage_.path(), "/earlysrc/", job.backup_id());
  std::ofstream(dir + "/" + m->dump_object(), std::ios::trunc | std::ios::binary) << script;
  SubprocessRunner runner;
  auto sum = RunAndCapture(&runner, {{"sha256sum", dir + "/" + m->dump_object()},
                                     {{"PATH", "/usr/bin:/bin"}}});
  ASSERT_TRUE(sum.ok()) << sum.status();
  v1::Manifest forged = *m;
  forged.set_raw_sha256(sum->substr(0, 64));
  forged.set_stored_sha256(sum->substr(0, 64));
  forged.set_raw_size_bytes(script.size());
  forged.set_stored_size_bytes(script.size());
  std::ofstream(dir + "/manifest.json", std::ios::trunc) << ManifestToJson(forged);
  absl::Status st = Restore(job, "early_db");
  EXPECT_TRUE(absl::IsDataLoss(st)) << st;
  EXPECT_NE(st.message().find("ended before the end of backup"), std::string::npos) << st;
  EXPECT_FALSE(server_->HasDatabase("early_db")) << "the created database was kept";
  EXPECT_TRUE(WorkDirEmpty());
}

TEST_F(PostgresBackupTest, ParallelRestoreSpoolsAndCleansUp) {
  CreateContent("parsrc");
  v1::BackupJob job = Job("parsrc", "parsrc", v1::COMPRESSION_ZSTD);
  ASSERT_TRUE(BackupWith(this, job).ok());
  v1::RestoreJob r = RestoreJobFor(job, "parcopy");
  r.mutable_options()->set_jobs(3);
  JobTracker t(r.job_id());
  absl::Status st = JobRunner(runner_opts_).Restore(r, engine_.get(), &t);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(Fingerprint("parcopy"), Fingerprint("parsrc"));
  EXPECT_TRUE(WorkDirEmpty()) << "spooled dump left behind";
  bool saw_jobs = false;
  for (const RecordingRunner::Started& started : runner_.started()) {
    for (const auto& a : started.options.argv) saw_jobs |= a == "--jobs=3";
  }
  EXPECT_TRUE(saw_jobs);
  // A corrupted backup never reaches pg_restore: the spool is checked first.
  std::string dump = absl::StrCat(storage_.path(), "/parsrc/", job.backup_id(), "/dump.pgdump.zst");
  {
    std::fstream f(dump, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(dump) / 2));
    f.put('\x11');
  }
  v1::RestoreJob bad = RestoreJobFor(job, "parbad");
  bad.mutable_options()->set_jobs(2);
  JobTracker t2(bad.job_id());
  st = JobRunner(runner_opts_).Restore(bad, engine_.get(), &t2);
  EXPECT_TRUE(absl::IsDataLoss(st)) << st;
  EXPECT_FALSE(server_->HasDatabase("parbad"));
  EXPECT_TRUE(WorkDirEmpty());
}

TEST_F(PostgresBackupTest, DryRunListsAndTouchesNothing) {
  CreateContent("drysrc");
  v1::BackupJob job = Job("drysrc", "drysrc", v1::COMPRESSION_ZSTD);
  ASSERT_TRUE(BackupWith(this, job).ok());
  std::string dbs_before = Q("postgres", "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database");
  v1::RestoreJob r = RestoreJobFor(job, "");
  r.mutable_options()->set_dry_run(true);
  r.mutable_target()->set_port(1);  // no connection is made at all
  JobTracker t(r.job_id());
  v1::RestoreReport report;
  absl::Status st = JobRunner(runner_opts_).Restore(r, engine_.get(), &t, &report);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_TRUE(report.dry_run());
  EXPECT_GE(report.listed_entries(), 6u);  // tables, data, view, function, constraints
  EXPECT_NE(report.summary().find("entries listed by pg_restore --list"), std::string::npos)
      << report.summary();
  EXPECT_EQ(Q("postgres", "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database"),
            dbs_before);
  EXPECT_TRUE(WorkDirEmpty());
  // A corrupted dump fails the dry run.
  std::string dump = absl::StrCat(storage_.path(), "/drysrc/", job.backup_id(), "/dump.pgdump.zst");
  {
    std::fstream f(dump, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(dump) - 10));
    f.put('\x11');
  }
  JobTracker t2(r.job_id() + "b");
  st = JobRunner(runner_opts_).Restore(r, engine_.get(), &t2);
  EXPECT_TRUE(absl::IsDataLoss(st)) << st;
}

TEST_F(PostgresBackupTest, TestRestoreChecksTablesAndAlwaysDropsTheScratchDatabase) {
  CreateContent("trsrc");
  v1::BackupJob job = Job("trsrc", "trsrc", v1::COMPRESSION_ZSTD);
  auto m = BackupWith(this, job);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->tables_size(), 2);  // public.blobs, public.items
  auto scratch_dbs = [&] {
    return Q("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'dbdump_scratch_%'");
  };
  v1::RestoreJob r = RestoreJobFor(job, "");
  r.mutable_options()->set_test_restore(true);
  JobTracker t(r.job_id());
  v1::RestoreReport report;
  absl::Status st = JobRunner(runner_opts_).Restore(r, engine_.get(), &t, &report);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_TRUE(report.test_restore());
  EXPECT_TRUE(report.scratch_dropped());
  EXPECT_EQ(report.scratch_database().rfind("dbdump_scratch_", 0), 0u) << report.scratch_database();
  ASSERT_EQ(report.tables_size(), 2);
  for (const auto& c : report.tables()) {
    EXPECT_TRUE(c.ok()) << c.name();
    if (c.name() == "public.items") EXPECT_EQ(c.restored_rows(), 20000);
    if (c.name() == "public.blobs") EXPECT_EQ(c.restored_rows(), 50);
  }
  EXPECT_EQ(scratch_dbs(), "0\n");

  // A table recorded at backup time but missing from the dump fails the
  // check; the scratch database still goes.
  std::string manifest = absl::StrCat(storage_.path(), "/trsrc/", job.backup_id(), "/manifest.json");
  v1::Manifest tampered = *m;
  tampered.add_tables()->set_name("public.ghost");
  tampered.mutable_tables()->rbegin()->set_rows(-1);
  {
    std::ofstream f(manifest, std::ios::trunc);
    f << ManifestToJson(tampered);
  }
  JobTracker t2(r.job_id() + "b");
  v1::RestoreReport report2;
  st = JobRunner(runner_opts_).Restore(r, engine_.get(), &t2, &report2);
  EXPECT_TRUE(absl::IsDataLoss(st)) << st;
  EXPECT_NE(st.message().find("table public.ghost is missing"), std::string::npos) << st;
  EXPECT_TRUE(report2.scratch_dropped());
  EXPECT_EQ(scratch_dbs(), "0\n");

  // A corrupted dump fails the restore itself; nothing is left either.
  std::string dump = absl::StrCat(storage_.path(), "/trsrc/", job.backup_id(), "/dump.pgdump.zst");
  {
    std::fstream f(dump, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(dump) / 3));
    f.put('\x11');
  }
  JobTracker t3(r.job_id() + "c");
  st = JobRunner(runner_opts_).Restore(r, engine_.get(), &t3);
  EXPECT_TRUE(absl::IsDataLoss(st)) << st;
  EXPECT_EQ(scratch_dbs(), "0\n");
  EXPECT_TRUE(WorkDirEmpty());
}

TEST_F(PostgresBackupTest, ScratchDatabasesOfAKilledAgentAreDroppedAtStart) {
  // What a test restore writes down before it creates its scratch database,
  // as a killed agent leaves it: the record and the database.
  v1::DatabaseTarget scratch = server_->Target("x", "dbdump_scratch_killed_job");
  Exec("postgres", "CREATE DATABASE dbdump_scratch_killed_job");
  fs::create_directories(dir_ + "/work/scratch");
  {
    std::ofstream f(dir_ + "/work/scratch/job-killed", std::ios::binary);
    ASSERT_TRUE(scratch.SerializeToOstream(&f));
  }
  std::map<v1::Engine, std::unique_ptr<Engine>> engines;
  engines[v1::ENGINE_POSTGRES] = std::make_unique<PostgresEngine>(PostgresEngineOptions{&runner_});
  EXPECT_EQ(JobRunner(runner_opts_).SweepScratch(engines), 1);
  EXPECT_FALSE(server_->HasDatabase("dbdump_scratch_killed_job"));
  EXPECT_FALSE(fs::exists(dir_ + "/work/scratch/job-killed"));
  // A finished test restore leaves no record behind.
  CreateContent("ledgersrc");
  v1::BackupJob job = Job("ledgersrc", "ledgersrc", v1::COMPRESSION_ZSTD);
  ASSERT_TRUE(BackupWith(this, job).ok());
  v1::RestoreJob r = RestoreJobFor(job, "");
  r.mutable_options()->set_test_restore(true);
  JobTracker t(r.job_id());
  ASSERT_TRUE(JobRunner(runner_opts_).Restore(r, engine_.get(), &t).ok());
  EXPECT_FALSE(fs::exists(dir_ + "/work/scratch"));
}

TEST_F(PostgresBackupTest, PasswordNeverInTheRunningChildsCmdlineOrEnviron) {
  Exec("postgres", "CREATE DATABASE procsrc");
  Exec("procsrc", "CREATE TABLE t AS SELECT g, repeat('z', 500) AS s FROM generate_series(1, 200000) g");
  std::ifstream pw(server_->dir() + "/cluster/password");
  std::string password;
  std::getline(pw, password);
  ASSERT_FALSE(password.empty());
  // Start the dump and, before reading a byte, look at the live child: it
  // is blocked writing into the pipe.
  v1::DatabaseTarget target = server_->Target("procsrc", "procsrc");
  auto dump = engine_->StartDump(target, dir_ + "/work");
  ASSERT_TRUE(dump.ok()) << dump.status();
  pid_t pid = 0;
  const std::vector<RecordingRunner::Started> started = runner_.started();
  ASSERT_FALSE(started.empty());
  pid = started.back().pid;
  auto read_proc = [](const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  // Right after the spawn the new image may not be readable yet.
  std::string cmdline;
  for (int i = 0; i < 200 && cmdline.empty(); ++i) {
    cmdline = read_proc(absl::StrCat("/proc/", pid, "/cmdline"));
    if (cmdline.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::string environ = read_proc(absl::StrCat("/proc/", pid, "/environ"));
  EXPECT_NE(cmdline.find("pg_dump"), std::string::npos)
      << "not the running pg_dump: pid " << pid << " cmdline \"" << cmdline << "\" argv0 "
      << started.back().options.argv[0] << " of " << started.size() << " status "
      << read_proc(absl::StrCat("/proc/", pid, "/status")).substr(0, 200);
  EXPECT_EQ(cmdline.find(password), std::string::npos);
  EXPECT_EQ(environ.find(password), std::string::npos);
  EXPECT_EQ(environ.find("PGPASSWORD"), std::string::npos);
  // The pgpass file exists only while the tool runs, and only for us.
  int private_files = 0;
  for (auto& e : fs::directory_iterator(dir_ + "/work")) {
    ++private_files;
    EXPECT_EQ(fs::status(e.path()).permissions() & (fs::perms::group_all | fs::perms::others_all),
              fs::perms::none);
  }
  EXPECT_EQ(private_files, 1);
  (*dump)->Cancel();
  (void)(*dump)->Finish();
  EXPECT_TRUE(WorkDirEmpty());
}

TEST(PostgresToolChoiceTest, PicksTheClosestToolAtLeastTheServerVersion) {
  // Fake installations: empty pg_dump/pg_restore files whose --version the
  // injected runner answers with a made-up version string.
  std::string dir = MakeTempDir("dbdump-pgtools");
  std::map<std::string, std::string> versions = {{dir + "/v13", "13.2"}, {dir + "/v16", "16.1"}};
  for (const auto& [d, v] : versions) {
    fs::create_directories(d);
    for (const char* tool : {"pg_dump", "pg_restore"}) {
      std::ofstream(d + "/" + tool) << "#!/bin/sh\n";
      fs::permissions(d + "/" + tool, fs::perms::owner_all);
    }
  }
  class FakeVersionRunner : public ProcessRunner {
   public:
    explicit FakeVersionRunner(std::map<std::string, std::string> v) : versions_(std::move(v)) {}
    absl::StatusOr<std::unique_ptr<Process>> Start(const ProcessOptions& o) override {
      std::string prog = o.argv[0];
      std::string d = prog.substr(0, prog.rfind('/'));
      ProcessOptions echo = o;
      auto it = versions_.find(d);
      std::string v = it != versions_.end() ? it->second : "";
      if (v.empty()) return real_.Start(o);  // a real installation
      echo.argv = {"/bin/echo", "pg_dump (PostgreSQL) " + v + " (fake)"};
      return real_.Start(echo);
    }

   private:
    std::map<std::string, std::string> versions_;
    SubprocessRunner real_;
  } runner(versions);
  PostgresEngineOptions o{&runner};
  o.search_path = dir + "/v13:" + dir + "/v16";
  PostgresEngine engine(o);
  auto tools = engine.InstalledTools();
  ASSERT_GE(tools.size(), 2u);
  EXPECT_EQ(engine.ToolsFor(13)->version, "13.2");
  EXPECT_EQ(engine.ToolsFor(16)->version, "16.1");
  EXPECT_EQ(engine.ToolsFor(16)->pg_dump, dir + "/v16/pg_dump");
  // 14 takes the closest newer one: the real 15 if installed, else 16.
  EXPECT_GT(engine.ToolsFor(14)->major, 13);
  auto none = engine.ToolsFor(17);
  ASSERT_TRUE(absl::IsFailedPrecondition(none.status())) << none.status();
  EXPECT_NE(none.status().message().find("the server runs PostgreSQL 17"), std::string::npos)
      << none.status();
  EXPECT_NE(none.status().message().find("newest pg_dump on the agent host is 16.1"),
            std::string::npos)
      << none.status();
  EXPECT_NE(none.status().message().find("install postgresql-client-17"), std::string::npos);
  fs::remove_all(dir);
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

namespace dbdump {
namespace {

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
  v1::BackupJob job;
  job.set_job_id(NewJobId(absl::Now()));
  job.set_backup_id(NewBackupId(absl::Now()));
  job.mutable_target()->set_name("shop");
  job.mutable_target()->set_engine(v1::ENGINE_SQLITE);
  job.mutable_target()->set_path(path);
  *job.mutable_storage() = storage_;
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

}  // namespace
}  // namespace dbdump
