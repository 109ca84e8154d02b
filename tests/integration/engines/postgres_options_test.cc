// PostgreSQL backup formats, selective dump options and restore options,
// against a real server through the agent's JobRunner.
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
#include "common/storage/backup_layout.h"
#include "common/io/compression.h"
#include "common/storage/local_storage.h"
#include "common/base/names.h"
#include "common/process/subprocess_runner.h"
#include "gtest/gtest.h"
#include "tests/fixtures/postgres_engine_fixture.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;
using testing::BackupWith;
using testing::MakeTempDir;
using testing::PostgresBackupTest;
using testing::PostgresServer;

// --- PostgreSQL formats, selective options and restore options -------------


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
    if (!cases[i].keep_rows.empty()) {
      EXPECT_EQ(Q(into, "SELECT count(*) FROM keep"), cases[i].keep_rows) << i;
    }
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
  // The globals, and the database's own settings every backup has.
  ASSERT_EQ(m->extra_objects_size(), 2);
  const v1::StoredObject& g = m->extra_objects(0);
  EXPECT_EQ(m->extra_objects(1).role(), "settings");
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

// The connection test when a database is added: tables named with --table
// must exist (all missing ones named at once); unnamed tables are not looked
// at, and excluded ones may be missing.
TEST_F(PostgresBackupTest, ConnectionTestChecksTheNamedTablesExist) {
  Exec("postgres", "CREATE DATABASE conntest");
  Exec("conntest", "CREATE SCHEMA s2; CREATE TABLE keep (id int); CREATE TABLE s2.other (id int)");
  v1::DatabaseTarget t = Job("conntest", "conntest", v1::COMPRESSION_ZSTD).target();
  ASSERT_TRUE(engine_->TestConnection(t).ok());
  t.mutable_dump_options()->add_include_tables("keep");
  t.mutable_dump_options()->add_include_tables("s2.other");
  t.mutable_dump_options()->add_exclude_tables("not_there_either");
  auto ok = engine_->TestConnection(t);
  EXPECT_TRUE(ok.ok()) << ok.status();
  t.mutable_dump_options()->add_include_tables("nosuch");
  t.mutable_dump_options()->add_include_tables("s2.keep");
  auto missing = engine_->TestConnection(t);
  ASSERT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
  EXPECT_NE(missing.status().message().find("no table \"nosuch\", \"s2.keep\" in"),
            std::string::npos)
      << missing.status();
  EXPECT_NE(missing.status().message().find("check --table"), std::string::npos)
      << missing.status();
}

TEST_F(PostgresBackupTest, CleanAndNoCreateOnlyWhenAsked) {
  CreateContent("cleansrc");
  v1::BackupJob job = Job("cleansrc", "cleansrc", v1::COMPRESSION_ZSTD);
  ASSERT_TRUE(BackupWith(this, job).ok());
  std::string before = Fingerprint("cleansrc");
  // Changes after the backup.
  Exec("cleansrc", "DELETE FROM items WHERE id > 100; CREATE TABLE extra (x int)");
  std::string changed = Fingerprint("cleansrc");
  // Without --clean the objects conflict: nothing changes, and the error
  // says what to do.
  absl::Status st = Restore(job, "cleansrc");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("already exists"), std::string::npos) << st;
  EXPECT_NE(st.message().find("pass --clean to replace them or restore into another database"),
            std::string::npos)
      << st;
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

}  // namespace
}  // namespace dbdump
