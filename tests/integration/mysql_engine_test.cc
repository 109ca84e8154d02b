// Backs up and restores real MariaDB databases through MysqlEngine: the
// sessions it returns are driven directly (no JobRunner), and every result is
// checked against the server with the fixture's own client.
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
#include "tests/fixtures/mariadb_server.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;
using testing::MariadbServer;
using testing::SqlIdent;
using testing::SqlString;

std::string MakeDir(const std::string& stem) {
  std::string tmpl = absl::StrCat("/tmp/", stem, ".XXXXXX");
  return mkdtemp(tmpl.data()) ? tmpl : "";
}

std::string ReadProcFile(pid_t pid, const char* what) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/", what), std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The first line where two dumps differ, for readable failures.
std::string FirstDifference(const std::string& a, const std::string& b) {
  std::vector<std::string> la = absl::StrSplit(a, '\n');
  std::vector<std::string> lb = absl::StrSplit(b, '\n');
  for (size_t i = 0; i < std::max(la.size(), lb.size()); ++i) {
    std::string x = i < la.size() ? la[i] : "<end>";
    std::string y = i < lb.size() ? lb[i] : "<end>";
    if (x != y) {
      return absl::StrCat("line ", i + 1, ":\n  ", x.substr(0, 300), "\n  ", y.substr(0, 300));
    }
  }
  return "no difference";
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

class MysqlEngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto s = MariadbServer::Start();
    if (s.ok()) {
      server_ = s->release();
    } else {
      start_error_ = new std::string(s.status().ToString());
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete start_error_;
    start_error_ = nullptr;
  }

  void SetUp() override {
    // A server that did not start fails every test: never a skip.
    ASSERT_NE(server_, nullptr) << "the MariaDB fixture did not start: "
                                << (start_error_ ? *start_error_ : "");
    dir_ = MakeDir("dbdump-mysql-it");
    ASSERT_FALSE(dir_.empty());
    work_ = dir_ + "/work";
    fs::create_directories(work_);
    fs::create_directories(dir_ + "/private");
    MysqlEngineOptions o;
    o.runner = &runner_;
    o.private_dir = dir_ + "/private";
    engine_ = std::make_unique<MysqlEngine>(o);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  void Exec(const std::string& db, const std::string& sql) {
    auto r = server_->Query(db, sql);
    ASSERT_TRUE(r.ok()) << r.status() << "\nSQL: " << sql.substr(0, 500);
  }
  std::string Q(const std::string& db, const std::string& sql) {
    auto r = server_->Query(db, sql);
    return r.ok() ? *r : "ERROR: " + std::string(r.status().message());
  }
  std::string DumpOf(const std::string& db) {
    auto r = server_->Dump(db);
    return r.ok() ? *r : "ERROR: " + std::string(r.status().message());
  }
  void CreateDatabase(const std::string& db) {
    Exec("", absl::StrCat("DROP DATABASE IF EXISTS ", SqlIdent(db), "; CREATE DATABASE ",
                          SqlIdent(db), " CHARACTER SET utf8mb4;"));
  }
  void DropDatabase(const std::string& db) {
    Exec("", absl::StrCat("DROP DATABASE IF EXISTS ", SqlIdent(db), ";"));
  }

  // A backup through the engine: the dump's bytes and the manifest the agent
  // would write for them.
  struct Backup {
    std::string data;
    v1::Manifest manifest;
  };
  absl::StatusOr<Backup> BackUp(const v1::DatabaseTarget& target) {
    absl::StatusOr<std::unique_ptr<DumpSession>> s = engine_->StartDump(target, work_);
    if (!s.ok()) return s.status();
    Backup b;
    char buf[64 * 1024];
    while (true) {
      absl::StatusOr<size_t> n = (*s)->source()->Read(buf, sizeof buf);
      if (!n.ok()) return n.status();
      if (*n == 0) break;
      b.data.append(buf, *n);
    }
    absl::Status st = (*s)->Finish();
    if (!st.ok()) return st;
    b.manifest.set_engine(v1::ENGINE_MYSQL);
    b.manifest.set_server_version((*s)->server_version());
    b.manifest.set_tool_version((*s)->tool_version());
    b.manifest.set_dump_format((*s)->dump_format());
    *b.manifest.mutable_dump_options() = target.dump_options();
    for (const v1::TableInfo& t : (*s)->tables()) *b.manifest.add_tables() = t;
    EXPECT_EQ((*s)->extension(), "sql");
    EXPECT_EQ((*s)->dump_format(), "mysql sql");
    return b;
  }
  // Feeds `data` to a restore session in small pieces.
  absl::Status Feed(RestoreSession* s, const std::string& data) {
    for (size_t off = 0; off < data.size(); off += 100000) {
      absl::Status st = s->sink()->Write(data.data() + off, std::min<size_t>(100000, data.size() - off));
      if (!st.ok()) {
        (void)s->Finish();
        return st;
      }
    }
    absl::Status st = s->sink()->Finish();
    absl::Status fin = s->Finish();
    return fin.ok() ? st : fin;
  }
  absl::Status Restore(const v1::DatabaseTarget& target, const Backup& b,
                       const v1::RestoreOptions& options = {}) {
    absl::StatusOr<std::unique_ptr<RestoreSession>> s =
        engine_->StartRestore(target, b.manifest, options, work_);
    if (!s.ok()) return s.status();
    return Feed(s->get(), b.data);
  }
  std::vector<std::string> TableNames(const std::vector<v1::TableInfo>& tables) {
    std::vector<std::string> out;
    for (const auto& t : tables) out.push_back(t.name());
    return out;
  }
  std::vector<std::string> TableNames(const v1::Manifest& m) {
    return TableNames(std::vector<v1::TableInfo>(m.tables().begin(), m.tables().end()));
  }
  bool WorkDirEmpty() { return fs::is_empty(work_) && fs::is_empty(dir_ + "/private"); }

  // A database with awkward content: unicode and emoji, NULLs, a 2 MB blob
  // with NUL bytes, 2 MB of text, 30+ tables (some with odd names), a
  // foreign key, a view, a function, a procedure, a trigger and an event.
  void CreateAwkwardContent(const std::string& db) {
    CreateDatabase(db);
    Exec(db, R"sql(
CREATE TABLE items (
  id INT PRIMARY KEY AUTO_INCREMENT,
  name VARCHAR(200) NOT NULL,
  note TEXT NULL,
  price DECIMAL(10,2) NULL,
  seen DATETIME(6) NULL,
  flags SET('a','b','c') NULL,
  doc JSON NULL
) CHARACTER SET utf8mb4;
INSERT INTO items (name, note, price, seen, flags, doc) VALUES
  ('plain', 'nothing special', 1.50, '2026-01-15 02:00:00.123456', 'a,c', '{"k": [1, 2]}'),
  ('unicode ÄÖÜ ß 日本語 Ελληνικά', 'emoji 😀🎉👩‍👩‍👧 and 𝄞', 2.00, NULL, '', NULL),
  ('quotes '' " ` and \\ backslash', 'line1\nline2\r\n\ttab \Z ctrl-z', NULL, NULL, NULL, 'null'),
  ('nulls', NULL, NULL, NULL, NULL, NULL),
  ('-- not a comment; DROP TABLE items; /* */', '\\! echo not run', 99.99, '1970-01-01 00:00:01', 'b', '[]');
CREATE TABLE parts (
  id INT PRIMARY KEY,
  item_id INT NOT NULL,
  FOREIGN KEY (item_id) REFERENCES items (id)
);
INSERT INTO parts VALUES (1, 1), (2, 1), (3, 5);
CREATE TABLE blobs (k INT PRIMARY KEY, b LONGBLOB NULL, t LONGTEXT NULL) CHARACTER SET utf8mb4;
CREATE TABLE audit (id INT PRIMARY KEY AUTO_INCREMENT, what VARCHAR(50));
CREATE TABLE `we"ird name` (`odd col` INT PRIMARY KEY, `sel;ect` VARCHAR(10));
INSERT INTO `we"ird name` VALUES (1, 'x'), (2, NULL);
CREATE TABLE `back``tick` (a INT);
INSERT INTO `back``tick` VALUES (7);
CREATE TABLE `ÜnïcödeTäble` (a VARCHAR(10));
INSERT INTO `ÜnïcödeTäble` VALUES ('ü');
CREATE VIEW v_items AS SELECT id, name FROM items WHERE price > 1;
CREATE FUNCTION add_one(x INT) RETURNS INT DETERMINISTIC RETURN x + 1;
DELIMITER //
CREATE PROCEDURE bump(IN n INT)
BEGIN
  INSERT INTO audit (what) VALUES (CONCAT('bump ', n));
  SELECT COUNT(*) FROM audit;
END//
DELIMITER ;
CREATE TRIGGER parts_ai AFTER INSERT ON parts FOR EACH ROW INSERT INTO audit (what) VALUES (CONCAT('part ', NEW.id));
CREATE EVENT ev_cleanup ON SCHEDULE EVERY 1 DAY STARTS '2031-01-01 00:00:00'
  ON COMPLETION PRESERVE DISABLE DO DELETE FROM audit WHERE id < 0;
INSERT INTO parts VALUES (4, 2);
)sql");
    // 2 MB of pseudo-random bytes (NULs included) and 2 MB of multi-byte text.
    std::mt19937 gen(42);
    std::string hex;
    static const char kDigits[] = "0123456789abcdef";
    for (int i = 0; i < 2 * 1024 * 1024; ++i) {
      unsigned v = gen() & 0xff;
      if (i % 97 == 0) v = 0;
      hex.push_back(kDigits[v >> 4]);
      hex.push_back(kDigits[v & 15]);
    }
    Exec(db, absl::StrCat("INSERT INTO blobs VALUES (1, X'", hex, "', NULL);"));
    Exec(db, "INSERT INTO blobs VALUES (2, X'00', REPEAT('äö😀', 350000)), (3, '', ''), (4, NULL, NULL);");
    std::string many;
    for (int i = 0; i < 32; ++i) {
      std::string t = absl::StrCat("t", i < 10 ? "0" : "", i);
      absl::StrAppend(&many, "CREATE TABLE ", t, " (id INT PRIMARY KEY, v VARCHAR(20));\n");
      for (int r = 0; r < i; ++r) {
        absl::StrAppend(&many, "INSERT INTO ", t, " VALUES (", r, ", ",
                        r % 3 == 0 ? "NULL" : absl::StrCat("'v", r, "'"), ");\n");
      }
    }
    Exec(db, many);
  }

  static MariadbServer* server_;
  static std::string* start_error_;
  RecordingRunner runner_;
  std::unique_ptr<MysqlEngine> engine_;
  std::string dir_;
  std::string work_;
};

MariadbServer* MysqlEngineTest::server_ = nullptr;
std::string* MysqlEngineTest::start_error_ = nullptr;

TEST_F(MysqlEngineTest, ConnectionAndVersions) {
  auto v = engine_->TestConnection(server_->Target("t", ""));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(absl::StrContains(*v, "MariaDB")) << *v;
  EXPECT_EQ(*v, absl::StripAsciiWhitespace(Q("", "SELECT VERSION();")));
  std::string tool = engine_->ToolVersion();
  EXPECT_TRUE(absl::StartsWith(tool, "mariadb-dump 10.") || absl::StartsWith(tool, "mariadb-dump 11."))
      << tool;
  EXPECT_TRUE(WorkDirEmpty());
}

TEST_F(MysqlEngineTest, RoundTripKeepsEverything) {
  CreateAwkwardContent("rt_src");
  auto b = BackUp(server_->Target("rt", "rt_src"));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(WorkDirEmpty()) << "the option file must be gone after Finish()";
  EXPECT_GT(b->data.size(), 6u << 20);
  // Tables for the manifest: base tables only, no rows recorded.
  std::vector<std::string> names = TableNames(b->manifest);
  EXPECT_EQ(names.size(), 32u + 7u);
  EXPECT_NE(std::find(names.begin(), names.end(), "we\"ird name"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "back`tick"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "v_items"), names.end());
  for (const auto& t : b->manifest.tables()) EXPECT_EQ(t.rows(), -1);
  // Restores never drop what is there unless asked.
  EXPECT_FALSE(absl::StrContains(b->data, "\nDROP TABLE"));
  EXPECT_FALSE(absl::StrContains(b->data, "\nDROP DATABASE"));

  DropDatabase("rt_dst");
  absl::Status st = Restore(server_->Target("rt", "rt_dst"), *b);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_TRUE(WorkDirEmpty());
  std::string src = DumpOf("rt_src"), dst = DumpOf("rt_dst");
  ASSERT_FALSE(absl::StartsWith(src, "ERROR")) << src;
  EXPECT_TRUE(src == dst) << FirstDifference(src, dst);
  // The same content, asked for independently of any dump.
  for (const char* sql :
       {"SELECT MD5(b), LENGTH(b), MD5(t), CHAR_LENGTH(t) FROM blobs ORDER BY k;",
        "SELECT id, name, note, HEX(note) FROM items ORDER BY id;",
        "SELECT COUNT(*), GROUP_CONCAT(what ORDER BY id) FROM audit;",
        "SELECT add_one(41);", "SELECT COUNT(*) FROM v_items;",
        "SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE();",
        "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE();"}) {
    EXPECT_EQ(Q("rt_src", sql), Q("rt_dst", sql)) << sql;
  }
  EXPECT_EQ(Q("rt_dst", "SELECT add_one(41);"), "42\n");
  EXPECT_EQ(Q("rt_dst", "CALL bump(1);"), "2\n");  // the restore did not fire the trigger
  // The 2 MB blob with its NUL bytes arrived intact.
  EXPECT_EQ(Q("rt_dst", "SELECT LENGTH(b) FROM blobs WHERE k = 1;"), "2097152\n");
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

TEST_F(MysqlEngineTest, HostileNamesAreOnlyData) {
  const std::string file = "/tmp/dbdump-mysql-x";
  fs::remove(file);
  for (const std::string name :
       {"--file=/tmp/dbdump-mysql-x", "host=evil dbname=x", "a;b $(id)", "back`tick 'q' \"dq\""}) {
    SCOPED_TRACE(name);
    CreateDatabase(name);
    Exec(name, absl::StrCat("CREATE TABLE t (v VARCHAR(100)); INSERT INTO t VALUES (", SqlString(name), ");"));
    v1::DatabaseTarget t = server_->Target("hostile", name);
    auto v = engine_->TestConnection(t);
    EXPECT_TRUE(v.ok()) << v.status();
    auto b = BackUp(t);
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_TRUE(absl::StrContains(b->data, "Database: " + name)) << b->data.substr(0, 400);
    EXPECT_EQ(TableNames(b->manifest), std::vector<std::string>{"t"});
    std::string copy = name + "_copy";
    DropDatabase(copy);
    absl::Status st = Restore(server_->Target("hostile", copy), *b);
    ASSERT_TRUE(st.ok()) << st;
    EXPECT_EQ(Q(copy, "SELECT v FROM t;"), name + "\n");
    EXPECT_EQ(DumpOf(copy), DumpOf(name));
    auto tables = engine_->InspectTables(server_->Target("hostile", copy));
    ASSERT_TRUE(tables.ok()) << tables.status();
    ASSERT_EQ(tables->size(), 1u);
    EXPECT_EQ((*tables)[0].rows(), 1);
    // Several databases, the hostile one among them.
    v1::DatabaseTarget multi = server_->Target("hostile", "");
    multi.mutable_dump_options()->add_databases(name);
    auto mb = BackUp(multi);
    ASSERT_TRUE(mb.ok()) << mb.status();
    EXPECT_EQ(TableNames(mb->manifest), std::vector<std::string>{name + ".t"});
    EXPECT_FALSE(fs::exists(file));
  }
  EXPECT_FALSE(fs::exists(file));
  // Names MySQL cannot have are refused with a clear error before any tool runs.
  size_t runs = runner_.started().size();
  for (const std::string& bad : {std::string(""), std::string("a\0b", 3), std::string(65, 'x'),
                                std::string("trailing ")}) {
    v1::DatabaseTarget t = server_->Target("bad", bad);
    auto s = engine_->StartDump(t, work_);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << s.status();
    auto r = engine_->StartRestore(t, v1::Manifest(), {}, work_);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  }
  EXPECT_EQ(runner_.started().size(), runs);
}

TEST_F(MysqlEngineTest, ErrorsSayWhatIsWrong) {
  // A password the option file must quote and escape.
  const std::string odd = "q\"uo te#hash;semi'apos\\back=x\\";
  Exec("", absl::StrCat("CREATE USER IF NOT EXISTS 'odd'@'127.0.0.1' IDENTIFIED BY ", SqlString(odd),
                        "; GRANT ALL ON *.* TO 'odd'@'127.0.0.1';"));
  std::string odd_file = dir_ + "/odd-password";
  {
    std::ofstream f(odd_file);
    f << odd << "\n";
  }
  chmod(odd_file.c_str(), 0600);
  v1::DatabaseTarget t = server_->Target("odd", "");
  t.set_user("odd");
  t.set_password_ref("file:" + odd_file);
  auto v = engine_->TestConnection(t);
  EXPECT_TRUE(v.ok()) << v.status();

  // Wrong password: PermissionDenied, and no password in the message.
  const std::string wrong = "wrong-secret-1234";
  std::string wrong_file = dir_ + "/wrong-password";
  {
    std::ofstream f(wrong_file);
    f << wrong << "\n";
  }
  chmod(wrong_file.c_str(), 0600);
  t = server_->Target("wrong", "");
  t.set_password_ref("file:" + wrong_file);
  v = engine_->TestConnection(t);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kPermissionDenied) << v.status();
  EXPECT_TRUE(absl::StrContains(v.status().message(), "check the user and the password reference"))
      << v.status();
  EXPECT_FALSE(absl::StrContains(v.status().message(), wrong));
  EXPECT_FALSE(absl::StrContains(v.status().message(), server_->password()));
  t.set_database("mysql");
  auto d = engine_->StartDump(t, work_);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kPermissionDenied) << d.status();
  EXPECT_FALSE(absl::StrContains(d.status().message(), wrong));

  // Nothing listens on port 1.
  t = server_->Target("down", "");
  t.set_port(1);
  v = engine_->TestConnection(t);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kUnavailable) << v.status();
  EXPECT_TRUE(absl::StrContains(v.status().message(), "check host and port")) << v.status();

  // A database that is not there.
  v = engine_->TestConnection(server_->Target("missing", "no_such_db"));
  EXPECT_EQ(v.status().code(), absl::StatusCode::kNotFound) << v.status();
  auto m = engine_->StartDump(server_->Target("missing", "no_such_db"), work_);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kNotFound) << m.status();
  EXPECT_TRUE(absl::StrContains(m.status().message(), "no_such_db")) << m.status();
  EXPECT_TRUE(WorkDirEmpty());
}

TEST_F(MysqlEngineTest, NoSecretInArgvOrEnvironment) {
  CreateDatabase("secret_src");
  // More than a pipe holds, so the dump waits for us while we look at it.
  Exec("secret_src", "CREATE TABLE big (id INT PRIMARY KEY, v LONGTEXT);"
                     "INSERT INTO big VALUES (1, REPEAT('x', 1000000)), (2, REPEAT('y', 1000000));");
  auto s = engine_->StartDump(server_->Target("s", "secret_src"), work_);
  ASSERT_TRUE(s.ok()) << s.status();
  auto started = runner_.started();
  ASSERT_FALSE(started.empty());
  const RecordingRunner::Started& dump = started.back();
  ASSERT_TRUE(absl::EndsWith(dump.options.argv[0], "mariadb-dump")) << dump.options.argv[0];
  // The parent may run on before the kernel has laid out the new image's
  // arguments: poll briefly (the dump waits on its full pipe meanwhile).
  std::string cmdline, environ;
  for (int i = 0; i < 200 && cmdline.empty(); ++i) {
    cmdline = ReadProcFile(dump.pid, "cmdline");
    environ = ReadProcFile(dump.pid, "environ");
    if (cmdline.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_FALSE(cmdline.empty()) << "the dump ended before it could be inspected: "
                                << ReadProcFile(dump.pid, "status");
  EXPECT_FALSE(absl::StrContains(cmdline, server_->password()));
  EXPECT_TRUE(absl::StrContains(cmdline, "--defaults-file=" + work_ + "/")) << cmdline;
  EXPECT_FALSE(absl::StrContains(environ, "MYSQL_PWD"));
  EXPECT_FALSE(absl::StrContains(environ, server_->password()));
  EXPECT_TRUE(absl::StrContains(environ, "HOME=/nonexistent"));
  // The option file exists while the dump runs, readable by its owner only.
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(work_)) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  struct stat st;
  ASSERT_EQ(stat(files[0].c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  std::string data;
  char buf[65536];
  while (true) {
    auto n = (*s)->source()->Read(buf, sizeof buf);
    ASSERT_TRUE(n.ok());
    if (*n == 0) break;
    data.append(buf, *n);
  }
  ASSERT_TRUE((*s)->Finish().ok());
  EXPECT_GT(data.size(), 2000000u);
  EXPECT_FALSE(absl::StrContains(data, server_->password()));
  EXPECT_TRUE(WorkDirEmpty()) << "the option file must be removed when the dump ends";

  // A restore and the catalog queries: no secret in any argv or environment.
  DropDatabase("secret_dst");
  Backup b{data, {}};
  ASSERT_TRUE(Restore(server_->Target("s", "secret_dst"), b).ok());
  ASSERT_TRUE(engine_->InspectTables(server_->Target("s", "secret_dst")).ok());
  for (const auto& p : runner_.started()) {
    for (const std::string& a : p.options.argv) {
      EXPECT_FALSE(absl::StrContains(a, server_->password())) << a;
    }
    EXPECT_EQ(p.options.env.count("MYSQL_PWD"), 0u);
    for (const auto& [k, val] : p.options.env) {
      EXPECT_FALSE(absl::StrContains(val, server_->password())) << k;
    }
    // Every tool run but the version probe reads the connection from the
    // option file and from nothing else.
    if (p.options.argv.size() == 2 && p.options.argv[1] == "--version") continue;
    EXPECT_EQ(p.options.argv[1].rfind("--defaults-file=", 0), 0u) << p.options.argv[1];
  }
  EXPECT_TRUE(WorkDirEmpty());
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

// The way the agent really uses the engine: JobRunner streams the dump
// through compression and checksums into storage and back.
TEST_F(MysqlEngineTest, JobRunnerBackupRestoreTestRestoreAndDryRun) {
  CreateAwkwardContent("jr_src");
  v1::StorageDestination storage;
  storage.set_name("local");
  storage.set_kind(v1::STORAGE_KIND_LOCAL);
  storage.set_path(dir_ + "/store");
  JobRunnerOptions ro{"agent-test", work_, 256 << 10, 4, 2};
  v1::BackupJob job;
  job.set_job_id(NewJobId(absl::Now()));
  job.set_backup_id(NewBackupId(absl::Now()));
  *job.mutable_target() = server_->Target("jr", "jr_src");
  *job.mutable_storage() = storage;
  job.set_compression(v1::COMPRESSION_ZSTD);
  JobTracker bt(job.job_id());
  auto m = JobRunner(ro).Backup(job, engine_.get(), &bt);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->engine(), v1::ENGINE_MYSQL);
  EXPECT_EQ(m->dump_format(), "mysql sql");
  EXPECT_TRUE(absl::EndsWith(m->dump_object(), ".sql.zst")) << m->dump_object();
  EXPECT_TRUE(absl::StartsWith(m->tool_version(), "mariadb-dump ")) << m->tool_version();
  EXPECT_TRUE(absl::StrContains(m->server_version(), "MariaDB")) << m->server_version();
  EXPECT_EQ(m->tables_size(), 39);
  EXPECT_TRUE(WorkDirEmpty());

  auto restore_job = [&](const std::string& into) {
    v1::RestoreJob r;
    r.set_job_id(NewJobId(absl::Now()));
    r.set_backup_id(job.backup_id());
    r.set_source_database("jr");
    *r.mutable_storage() = storage;
    *r.mutable_target() = server_->Target("jr", into);
    return r;
  };
  DropDatabase("jr_dst");
  v1::RestoreJob r = restore_job("jr_dst");
  JobTracker rt(r.job_id());
  absl::Status st = JobRunner(ro).Restore(r, engine_.get(), &rt);
  ASSERT_TRUE(st.ok()) << st;
  std::string src = DumpOf("jr_src"), dst = DumpOf("jr_dst");
  EXPECT_TRUE(src == dst) << FirstDifference(src, dst);

  v1::RestoreJob test = restore_job("jr_src");
  test.mutable_options()->set_test_restore(true);
  JobTracker tt(test.job_id());
  v1::RestoreReport report;
  st = JobRunner(ro).Restore(test, engine_.get(), &tt, &report);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_TRUE(absl::StartsWith(report.scratch_database(), "dbdump_scratch_")) << report.scratch_database();
  EXPECT_TRUE(report.scratch_dropped());
  EXPECT_EQ(report.tables_size(), 39);
  for (const auto& c : report.tables()) EXPECT_TRUE(c.ok()) << c.name();
  EXPECT_FALSE(server_->HasDatabase(report.scratch_database()));

  std::vector<std::string> before = server_->Databases();
  v1::RestoreJob dry = restore_job("jr_dry");
  dry.mutable_options()->set_dry_run(true);
  JobTracker dt(dry.job_id());
  v1::RestoreReport dry_report;
  st = JobRunner(ro).Restore(dry, engine_.get(), &dt, &dry_report);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(dry_report.listed_entries(), 39u);
  EXPECT_TRUE(absl::StrContains(dry_report.summary(), "39 tables in the SQL dump")) << dry_report.summary();
  EXPECT_EQ(server_->Databases(), before);

  // A corrupted backup: the client has run most of the dump by the time the
  // checksum fails, so the restore undoes itself.
  std::string stored = absl::StrCat(storage.path(), "/jr/", job.backup_id(), "/", m->dump_object());
  {
    std::fstream f(stored, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(m->stored_size_bytes() * 3 / 4));
    f.put('\x5a');
  }
  DropDatabase("jr_corrupt");
  v1::RestoreJob bad = restore_job("jr_corrupt");
  JobTracker xt(bad.job_id());
  st = JobRunner(ro).Restore(bad, engine_.get(), &xt);
  EXPECT_TRUE(absl::IsDataLoss(st)) << st;
  EXPECT_FALSE(server_->HasDatabase("jr_corrupt"));
  CreateDatabase("jr_corrupt_existing");
  v1::RestoreJob bad2 = restore_job("jr_corrupt_existing");
  JobTracker xt2(bad2.job_id());
  st = JobRunner(ro).Restore(bad2, engine_.get(), &xt2);
  EXPECT_TRUE(absl::IsDataLoss(st)) << st;
  EXPECT_EQ(Q("", "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'jr_corrupt_existing';"),
            "0\n");
  EXPECT_TRUE(WorkDirEmpty());
}

}  // namespace
}  // namespace dbdump
