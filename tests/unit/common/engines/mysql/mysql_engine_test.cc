// The parts of MysqlEngine that need no server: names, quoting, option
// checks and the dry run (which reads a dump and touches nothing).
#include "common/engines/mysql/mysql_engine.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {

// Fails every start: these tests must never run a tool.
class NoProcesses : public ProcessRunner {
 public:
  absl::StatusOr<std::unique_ptr<Process>> Start(const ProcessOptions& o) override {
    ++starts;
    return absl::InternalError("no process expected: " + o.argv[0]);
  }
  int starts = 0;
};

TEST(MysqlEngineUnitTest, OptionFileValuesAreQuotedAndEscaped) {
  EXPECT_EQ(*QuoteOptionFileValue("plain"), "\"plain\"");
  EXPECT_EQ(*QuoteOptionFileValue(""), "\"\"");
  EXPECT_EQ(*QuoteOptionFileValue("a\"b\\c#d;e f'g"), "\"a\\\"b\\\\c#d;e f'g\"");
  EXPECT_EQ(*QuoteOptionFileValue("ends with \\"), "\"ends with \\\\\"");
  EXPECT_EQ(*QuoteOptionFileValue("two\nlines\r\tx"), "\"two\\nlines\\r\\tx\"");
  EXPECT_FALSE(QuoteOptionFileValue(std::string("nul\0x", 5)).ok());
}

TEST(MysqlEngineUnitTest, IdentifiersAreBacktickQuoted) {
  EXPECT_EQ(QuoteMysqlIdentifier("t"), "`t`");
  EXPECT_EQ(QuoteMysqlIdentifier("a`b``c"), "`a``b````c`");
  EXPECT_EQ(QuoteMysqlIdentifier("x; DROP DATABASE y"), "`x; DROP DATABASE y`");
}

TEST(MysqlEngineUnitTest, NamesMysqlCannotHaveAreRefused) {
  EXPECT_TRUE(ValidateMysqlName("database name", "shop").ok());
  EXPECT_TRUE(ValidateMysqlName("database name", "--file=/tmp/x").ok());  // passed after "--"
  EXPECT_TRUE(ValidateMysqlName("database name", std::string(64, 'x')).ok());
  // 64 characters, more bytes: the limit is in characters.
  std::string umlauts;
  for (int i = 0; i < 64; ++i) umlauts += "ä";
  EXPECT_TRUE(ValidateMysqlName("database name", umlauts).ok());
  for (const std::string& bad : {std::string(), std::string(65, 'x'), std::string("a\0b", 3),
                                std::string("space ")}) {
    absl::Status st = ValidateMysqlName("database name", bad);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(absl::StartsWith(st.message(), "database name")) << st;
  }
}

TEST(MysqlEngineUnitTest, DumpHeaders) {
  EXPECT_TRUE(IsMysqlDumpHeader("/*M!999999\\- enable the sandbox mode */ "));
  EXPECT_TRUE(IsMysqlDumpHeader("-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian"));
  EXPECT_TRUE(IsMysqlDumpHeader("-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)"));
  EXPECT_FALSE(IsMysqlDumpHeader(""));
  EXPECT_FALSE(IsMysqlDumpHeader("--"));
  EXPECT_FALSE(IsMysqlDumpHeader("PGDMP"));
  EXPECT_FALSE(IsMysqlDumpHeader("CREATE TABLE t (a int);"));
}

TEST(MysqlEngineUnitTest, OptionsItCannotHonourAreRefusedByName) {
  NoProcesses runner;
  MysqlEngine engine(MysqlEngineOptions{&runner});
  struct Case {
    std::function<void(v1::DumpOptions*)> set;
    std::string named;
  };
  std::vector<Case> cases = {
      {[](v1::DumpOptions* o) { o->set_format("custom"); }, "format"},
      {[](v1::DumpOptions* o) { o->add_include_schemas("public"); }, "include_schemas"},
      {[](v1::DumpOptions* o) { o->add_exclude_schemas("public"); }, "exclude_schemas"},
      {[](v1::DumpOptions* o) { o->set_globals(true); }, "globals"},
      {[](v1::DumpOptions* o) { o->add_include_namespaces("db.c"); }, "include_namespaces"},
      {[](v1::DumpOptions* o) { o->add_exclude_namespaces("db.c"); }, "exclude_namespaces"},
      {[](v1::DumpOptions* o) {
         o->set_schema_only(true);
         o->set_data_only(true);
       },
       "schema_only and data_only"},
      {[](v1::DumpOptions* o) {
         o->add_include_tables("t");
         o->add_databases("other");
       },
       "include_tables"},
      {[](v1::DumpOptions* o) {
         o->set_all_databases(true);
         o->add_databases("other");
       },
       "all_databases"},
      {[](v1::DumpOptions* o) { o->add_databases(std::string(65, 'd')); }, "databases"},
      {[](v1::DumpOptions* o) { o->add_exclude_tables(""); }, "table name"},
  };
  for (const Case& c : cases) {
    v1::DumpOptions o;
    c.set(&o);
    absl::Status st = engine.ValidateDumpOptions(o);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << c.named;
    EXPECT_TRUE(absl::StrContains(st.message(), c.named)) << st;
  }
  v1::DumpOptions fine;
  fine.set_format("sql");
  fine.set_schema_only(true);
  fine.add_include_tables("a");
  fine.add_exclude_tables("db.b");
  EXPECT_TRUE(engine.ValidateDumpOptions(fine).ok());
  EXPECT_EQ(runner.starts, 0);
}

TEST(MysqlEngineUnitTest, Capabilities) {
  NoProcesses runner;
  MysqlEngine engine(MysqlEngineOptions{&runner});
  EXPECT_EQ(engine.kind(), v1::ENGINE_MYSQL);
  v1::EngineCapabilities c = engine.Capabilities();
  EXPECT_EQ(std::vector<std::string>(c.formats().begin(), c.formats().end()),
            std::vector<std::string>{"sql"});
  EXPECT_EQ(std::vector<std::string>(c.selective_options().begin(), c.selective_options().end()),
            (std::vector<std::string>{"schema_only", "data_only", "include_tables", "exclude_tables",
                                      "databases", "all_databases"}));
  EXPECT_EQ(std::vector<std::string>(c.restore_options().begin(), c.restore_options().end()),
            (std::vector<std::string>{"clean", "dry_run", "test_restore", "no_create", "definers"}));
}

TEST(MysqlEngineUnitTest, DryRunReadsTheDumpOnly) {
  NoProcesses runner;
  MysqlEngine engine(MysqlEngineOptions{&runner});
  v1::RestoreOptions dry;
  dry.set_dry_run(true);
  v1::DatabaseTarget target;
  target.set_database("anything");
  const std::string dump =
      "/*M!999999\\- enable the sandbox mode */ \n"
      "-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB\n"
      "CREATE TABLE `a` (\n  `x` int\n);\n"
      "INSERT INTO `a` VALUES ('CREATE TABLE not counted');\n"
      "CREATE TABLE `b` (`y` int);\n";
  auto s = engine.StartRestore(target, v1::Manifest(), dry, "/nonexistent");
  ASSERT_TRUE(s.ok()) << s.status();
  // Fed in odd pieces: lines split across writes still count once.
  for (size_t i = 0; i < dump.size(); i += 7) {
    ASSERT_TRUE((*s)->sink()->Write(dump.data() + i, std::min<size_t>(7, dump.size() - i)).ok());
  }
  ASSERT_TRUE((*s)->sink()->Finish().ok());
  ASSERT_TRUE((*s)->Finish().ok());
  EXPECT_EQ((*s)->listed_entries(), 2u);
  EXPECT_EQ((*s)->summary(), "2 tables in the SQL dump");

  auto bad = engine.StartRestore(target, v1::Manifest(), dry, "/nonexistent");
  ASSERT_TRUE(bad.ok());
  const std::string pg = "PGDMP\x01\x0e\x00 binary";
  ASSERT_TRUE((*bad)->sink()->Write(pg.data(), pg.size()).ok());
  absl::Status st = (*bad)->Finish();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "not a mysql dump")) << st;
  EXPECT_EQ(runner.starts, 0);
}

}  // namespace
}  // namespace dbdump
