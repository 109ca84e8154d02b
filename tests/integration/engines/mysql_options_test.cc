// MariaDB selective dump options, restore options (several databases, clean,
// dry run) and the test-restore helpers, against a real server through
// MysqlEngine.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/engines/job_runner.h"
#include "agent/job_tracker.h"
#include "common/engines/mysql/mysql_engine.h"
#include "common/base/names.h"
#include "gtest/gtest.h"
#include "tests/fakes/recording_runner.h"
#include "tests/fixtures/mysql_engine_fixture.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;
using testing::FirstDifference;
using testing::MakeDir;
using testing::MariadbServer;
using testing::MysqlEngineTest;
using testing::SqlIdent;
using testing::SqlString;

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

TEST_F(MysqlEngineTest, SelectiveOptions) {
  CreateDatabase("sel");
  Exec("sel",
       "CREATE TABLE s1 (id INT PRIMARY KEY); INSERT INTO s1 VALUES (1), (2);"
       "CREATE TABLE s2 (id INT PRIMARY KEY); INSERT INTO s2 VALUES (3);"
       "CREATE TABLE s3 (id INT PRIMARY KEY); INSERT INTO s3 VALUES (4), (5), (6);"
       "CREATE TABLE `--where=1` (id INT); INSERT INTO `--where=1` VALUES (9);");
  v1::DatabaseTarget t = server_->Target("sel", "sel");

  t.mutable_dump_options()->add_include_tables("s1");
  t.mutable_dump_options()->add_include_tables("--where=1");
  auto inc = BackUp(t);
  ASSERT_TRUE(inc.ok()) << inc.status();
  EXPECT_TRUE(absl::StrContains(inc->data, "CREATE TABLE `s1`"));
  EXPECT_TRUE(absl::StrContains(inc->data, "CREATE TABLE `--where=1`"));
  EXPECT_TRUE(absl::StrContains(inc->data, "INSERT INTO `--where=1` VALUES\n(9);"));
  EXPECT_FALSE(absl::StrContains(inc->data, "`s2`"));
  EXPECT_FALSE(absl::StrContains(inc->data, "`s3`"));
  EXPECT_EQ(TableNames(inc->manifest), (std::vector<std::string>{"--where=1", "s1"}));

  t.mutable_dump_options()->Clear();
  t.mutable_dump_options()->add_exclude_tables("s2");
  t.mutable_dump_options()->add_exclude_tables("sel.s3");
  auto exc = BackUp(t);
  ASSERT_TRUE(exc.ok()) << exc.status();
  EXPECT_TRUE(absl::StrContains(exc->data, "CREATE TABLE `s1`"));
  EXPECT_FALSE(absl::StrContains(exc->data, "`s2`"));
  EXPECT_FALSE(absl::StrContains(exc->data, "`s3`"));
  EXPECT_EQ(TableNames(exc->manifest), (std::vector<std::string>{"--where=1", "s1"}));

  t.mutable_dump_options()->Clear();
  t.mutable_dump_options()->set_schema_only(true);
  auto schema = BackUp(t);
  ASSERT_TRUE(schema.ok()) << schema.status();
  EXPECT_EQ(Count(schema->data, "CREATE TABLE"), 4u);
  EXPECT_FALSE(absl::StrContains(schema->data, "INSERT INTO"));

  t.mutable_dump_options()->Clear();
  t.mutable_dump_options()->set_data_only(true);
  auto data = BackUp(t);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_FALSE(absl::StrContains(data->data, "CREATE TABLE"));
  EXPECT_TRUE(absl::StrContains(data->data, "INSERT INTO `s3` VALUES\n(4),\n(5),\n(6);"));

  // The schema-only backup restores into tables without rows.
  DropDatabase("sel_schema");
  ASSERT_TRUE(Restore(server_->Target("x", "sel_schema"), *schema).ok());
  auto restored = engine_->InspectTables(server_->Target("x", "sel_schema"));
  ASSERT_TRUE(restored.ok()) << restored.status();
  ASSERT_EQ(restored->size(), 4u);
  for (const auto& r : *restored) EXPECT_EQ(r.rows(), 0) << r.name();

  // The data-only backup fills those tables: rows only, nothing dropped or
  // created, and all of it in one transaction.
  EXPECT_FALSE(absl::StrContains(data->data, "LOCK TABLES"));
  EXPECT_FALSE(absl::StrContains(data->data, "ALTER TABLE"));
  absl::Status st = Restore(server_->Target("x", "sel_schema"), *data);
  ASSERT_TRUE(st.ok()) << st;
  auto counted = engine_->InspectTables(server_->Target("x", "sel_schema"));
  ASSERT_TRUE(counted.ok()) << counted.status();
  std::vector<int64_t> rows;
  for (const auto& r : *counted) rows.push_back(r.rows());
  EXPECT_EQ(rows, (std::vector<int64_t>{1, 2, 1, 3}));  // --where=1, s1, s2, s3
  // Again: `--where=1` (no key) takes its row, then s1's duplicate key
  // fails the restore, and the transaction takes the first row back.
  st = Restore(server_->Target("x", "sel_schema"), *data);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "Duplicate entry")) << st;
  EXPECT_EQ(Q("sel_schema", "SELECT COUNT(*) FROM `--where=1`;"), "1\n");
  EXPECT_TRUE(server_->HasDatabase("sel_schema"));
  v1::RestoreOptions clean;
  clean.set_clean(true);
  st = Restore(server_->Target("x", "sel_schema"), *data, clean);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_EQ(Q("sel_schema", "SELECT COUNT(*) FROM s3;"), "3\n");
  DropDatabase("sel_nothing");
  st = Restore(server_->Target("x", "sel_nothing"), *data);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_FALSE(server_->HasDatabase("sel_nothing"));

  // A table that is not there is an error naming it, not an empty dump.
  t.mutable_dump_options()->Clear();
  t.mutable_dump_options()->add_include_tables("nope");
  auto missing = engine_->StartDump(t, work_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "nope")) << missing.status();
  EXPECT_TRUE(WorkDirEmpty());

  // The connection test when the database is added already says so, naming
  // every missing table; "db.table" and existing names pass.
  t.mutable_dump_options()->Clear();
  t.mutable_dump_options()->add_include_tables("s1");
  t.mutable_dump_options()->add_include_tables("sel.s2");
  auto found = engine_->TestConnection(t);
  EXPECT_TRUE(found.ok()) << found.status();
  t.mutable_dump_options()->add_include_tables("nope");
  t.mutable_dump_options()->add_include_tables("other.s3");
  auto test = engine_->TestConnection(t);
  EXPECT_EQ(test.status().code(), absl::StatusCode::kNotFound) << test.status();
  EXPECT_TRUE(
      absl::StrContains(test.status().message(), "no table or view \"nope\", \"other.s3\""))
      << test.status();
  EXPECT_TRUE(WorkDirEmpty());
}

TEST_F(MysqlEngineTest, SeveralDatabasesRestoreIntoTheirOwn) {
  CreateDatabase("multi_a");
  CreateDatabase("multi_b");
  Exec("multi_a", "CREATE TABLE a1 (id INT PRIMARY KEY, v TEXT); INSERT INTO a1 VALUES (1, 'x'), (2, NULL);"
                  "CREATE TABLE a2 (id INT); CREATE VIEW va AS SELECT * FROM a1;");
  Exec("multi_b", "CREATE TABLE b1 (id INT PRIMARY KEY); INSERT INTO b1 VALUES (5);"
                  "CREATE FUNCTION fb() RETURNS INT DETERMINISTIC RETURN 5;");
  v1::DatabaseTarget t = server_->Target("multi", "multi_a");
  t.mutable_dump_options()->add_databases("multi_b");
  auto b = BackUp(t);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(TableNames(b->manifest),
            (std::vector<std::string>{"multi_a.a1", "multi_a.a2", "multi_b.b1"}));
  std::string a = DumpOf("multi_a"), bb = DumpOf("multi_b");
  DropDatabase("multi_a");
  DropDatabase("multi_b");

  absl::Status st = Restore(t, *b);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_TRUE(a == DumpOf("multi_a")) << FirstDifference(a, DumpOf("multi_a"));
  EXPECT_TRUE(bb == DumpOf("multi_b")) << FirstDifference(bb, DumpOf("multi_b"));

  // Again: the databases now hold the tables, so only clean may replace them.
  Exec("multi_b", "INSERT INTO b1 VALUES (6);");
  st = Restore(t, *b);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "multi_a, multi_b")) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "--clean")) << st;
  EXPECT_EQ(Q("multi_b", "SELECT COUNT(*) FROM b1;"), "2\n");
  v1::RestoreOptions clean;
  clean.set_clean(true);
  st = Restore(t, *b, clean);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_TRUE(bb == DumpOf("multi_b")) << FirstDifference(bb, DumpOf("multi_b"));
  EXPECT_TRUE(a == DumpOf("multi_a"));

  // Every database: the user's, never the server's own schemas.
  v1::DatabaseTarget all = server_->Target("all", "");
  all.mutable_dump_options()->set_all_databases(true);
  auto everything = BackUp(all);
  ASSERT_TRUE(everything.ok()) << everything.status();
  EXPECT_TRUE(absl::StrContains(everything->data, "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `multi_b`"));
  EXPECT_FALSE(absl::StrContains(everything->data, "USE `mysql`"));
  std::vector<std::string> all_names = TableNames(everything->manifest);
  EXPECT_NE(std::find(all_names.begin(), all_names.end(), "multi_b.b1"), all_names.end());
  for (const std::string& n : all_names) EXPECT_FALSE(absl::StartsWith(n, "mysql.")) << n;
  st = Restore(all, *everything, clean);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  st = Restore(all, *everything);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_TRUE(WorkDirEmpty());
}

TEST_F(MysqlEngineTest, CleanOnlyWhenAsked) {
  CreateDatabase("clean_src");
  Exec("clean_src", "CREATE TABLE t (id INT PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'backup');");
  auto b = BackUp(server_->Target("c", "clean_src"));
  ASSERT_TRUE(b.ok()) << b.status();

  Exec("", "DROP DATABASE IF EXISTS clean_dst; CREATE DATABASE clean_dst CHARACTER SET latin1;");
  Exec("clean_dst", "CREATE TABLE t (id INT PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'mine'), (2, 'mine');"
                    "CREATE TABLE keep (k INT);");
  std::string before = DumpOf("clean_dst");
  absl::Status st = Restore(server_->Target("c", "clean_dst"), *b);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "already has 2 tables")) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "--clean")) << st;
  EXPECT_EQ(DumpOf("clean_dst"), before);

  v1::RestoreOptions clean;
  clean.set_clean(true);
  st = Restore(server_->Target("c", "clean_dst"), *b, clean);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(DumpOf("clean_dst"), DumpOf("clean_src"));
  EXPECT_EQ(Q("clean_dst", "SELECT v FROM t;"), "backup\n");
  // The database keeps its own character set.
  EXPECT_EQ(Q("", "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA "
                  "WHERE SCHEMA_NAME = 'clean_dst';"),
            "latin1\n");

  // no_create: a missing database is an error, and stays missing.
  DropDatabase("clean_none");
  v1::RestoreOptions no_create;
  no_create.set_no_create(true);
  st = Restore(server_->Target("c", "clean_none"), *b, no_create);
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound) << st;
  EXPECT_FALSE(server_->HasDatabase("clean_none"));

  // A restore that fails undoes itself: a database it created goes, one
  // that was empty is empty again.
  std::string broken = b->data.substr(0, b->data.find("CREATE TABLE")) +
                       "CREATE TABLE half (id INT);\nTHIS IS NOT SQL;\n";
  Backup bad{broken, b->manifest};
  DropDatabase("undo_new");
  st = Restore(server_->Target("c", "undo_new"), bad);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "ERROR 1064")) << st;
  EXPECT_FALSE(server_->HasDatabase("undo_new"));
  CreateDatabase("undo_empty");
  st = Restore(server_->Target("c", "undo_empty"), bad);
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(server_->HasDatabase("undo_empty"));
  EXPECT_EQ(Q("", "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'undo_empty';"),
            "0\n");
  // An abandoned restore (the session dropped before Finish) as well.
  DropDatabase("undo_abandoned");
  {
    auto s = engine_->StartRestore(server_->Target("c", "undo_abandoned"), b->manifest, {}, work_);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_TRUE(server_->HasDatabase("undo_abandoned"));
    ASSERT_TRUE((*s)->sink()->Write(b->data.data(), 1000).ok());
  }
  EXPECT_FALSE(server_->HasDatabase("undo_abandoned"));
  EXPECT_TRUE(WorkDirEmpty());
}

TEST_F(MysqlEngineTest, DryRunTouchesNothing) {
  CreateDatabase("dry_src");
  Exec("dry_src", "CREATE TABLE d1 (id INT); CREATE TABLE d2 (id INT); INSERT INTO d2 VALUES (1);"
                  "CREATE TABLE d3 (id INT); CREATE VIEW dv AS SELECT * FROM d1;");
  auto b = BackUp(server_->Target("d", "dry_src"));
  ASSERT_TRUE(b.ok()) << b.status();
  size_t runs = runner_.started().size();
  std::vector<std::string> before = server_->Databases();

  v1::RestoreOptions dry;
  dry.set_dry_run(true);
  // Even a database that exists and is full: nothing is checked or touched.
  for (const char* target : {"dry_never_created", "dry_src"}) {
    auto s = engine_->StartRestore(server_->Target("d", target), b->manifest, dry, work_);
    ASSERT_TRUE(s.ok()) << s.status();
    ASSERT_TRUE(Feed(s->get(), b->data).ok());
    EXPECT_EQ((*s)->listed_entries(), 3u);
    EXPECT_EQ((*s)->summary(), "3 tables in the SQL dump");
  }
  EXPECT_EQ(server_->Databases(), before);
  EXPECT_EQ(runner_.started().size(), runs) << "a dry run starts no tool";

  for (const std::string& garbage : {std::string("hello world\nCREATE TABLE x (a int);\n"),
                                    std::string(), std::string("\x28\xb5\x2f\xfd compressed?")}) {
    auto s = engine_->StartRestore(server_->Target("d", "dry_never_created"), b->manifest, dry, work_);
    ASSERT_TRUE(s.ok()) << s.status();
    absl::Status st = Feed(s->get(), garbage);
    EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
    EXPECT_TRUE(absl::StrContains(st.message(), "not a mysql dump")) << st;
  }
  EXPECT_EQ(server_->Databases(), before);
}

TEST_F(MysqlEngineTest, TestRestoreHelpers) {
  CreateDatabase("scr_src");
  Exec("scr_src", "CREATE TABLE empty_t (id INT); CREATE TABLE three (id INT); INSERT INTO three VALUES (1),(2),(3);"
                  "CREATE TABLE many (id INT PRIMARY KEY AUTO_INCREMENT, v INT);"
                  "INSERT INTO many (v) SELECT seq FROM seq_1_to_1000;"
                  "CREATE VIEW not_a_table AS SELECT * FROM three;");
  v1::DatabaseTarget src = server_->Target("scr", "scr_src");
  auto b = BackUp(src);
  ASSERT_TRUE(b.ok()) << b.status();
  auto scratch = engine_->ScratchTarget(src, "job-20260115T020000Z-ABCD1234", work_);
  ASSERT_TRUE(scratch.ok()) << scratch.status();
  EXPECT_EQ(scratch->database(), "dbdump_scratch_job_20260115t020000z_abcd1234");
  EXPECT_EQ(scratch->host(), src.host());
  EXPECT_EQ(scratch->port(), src.port());
  ASSERT_TRUE(engine_->DropScratch(*scratch).ok());  // nothing there yet: fine
  ASSERT_TRUE(Restore(*scratch, *b).ok());
  auto tables = engine_->InspectTables(*scratch);
  ASSERT_TRUE(tables.ok()) << tables.status();
  ASSERT_EQ(tables->size(), 3u);
  EXPECT_EQ((*tables)[0].name(), "empty_t");
  EXPECT_EQ((*tables)[0].rows(), 0);
  EXPECT_EQ((*tables)[1].name(), "many");
  EXPECT_EQ((*tables)[1].rows(), 1000);
  EXPECT_EQ((*tables)[2].name(), "three");
  EXPECT_EQ((*tables)[2].rows(), 3);
  EXPECT_EQ(TableNames(b->manifest), TableNames(*tables));
  ASSERT_TRUE(engine_->DropScratch(*scratch).ok());
  EXPECT_FALSE(server_->HasDatabase(scratch->database()));
  for (const std::string& d : server_->Databases()) {
    EXPECT_FALSE(absl::StartsWith(d, "dbdump_scratch_")) << d;
  }
  // Never a user's database.
  absl::Status st = engine_->DropScratch(src);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_TRUE(server_->HasDatabase("scr_src"));
  // A backup of several databases cannot go into a scratch database.
  v1::DatabaseTarget multi = src;
  multi.mutable_dump_options()->add_databases("sel");
  EXPECT_EQ(engine_->ScratchTarget(multi, "job-1", work_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  v1::Manifest mm = b->manifest;
  mm.mutable_dump_options()->add_databases("scr_src");
  auto r = engine_->StartRestore(*scratch, mm, {}, work_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
  EXPECT_TRUE(WorkDirEmpty());
}

}  // namespace
}  // namespace dbdump
