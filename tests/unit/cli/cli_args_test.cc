// Command-line parsing and usage errors of dbdumpctl; no controller needed
// except the unreachable one, which must fail fast.
#include <sstream>
#include <string>
#include <vector>

#include "controller/cli/arg_parser.h"
#include "controller/cli/cli.h"
#include "controller/cli/cli_error.h"
#include "controller/cli/controller_client.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {

ArgParser DatabaseAddParser() {
  return ArgParser({"database add",
                    "dbdumpctl database add NAME ...",
                    {{"engine", true, true, "postgres|sqlite"},
                     {"port", true, false, "P"},
                     {"skip-connection-test", false, false, ""}},
                    {"NAME"},
                    {{"password", "no passwords here"}}});
}

TEST(ArgParserTest, AcceptsBothFlagFormsAroundPositionals) {
  auto parsed = DatabaseAddParser().Parse(
      {"--engine", "postgres", "orders", "--port=5432", "--skip-connection-test"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->Get("engine"), "postgres");
  EXPECT_EQ(parsed->Get("port"), "5432");
  EXPECT_TRUE(parsed->Has("skip-connection-test"));
  EXPECT_EQ(parsed->positionals(), std::vector<std::string>{"orders"});
}

TEST(ArgParserTest, DoubleDashEndsFlags) {
  auto parsed = DatabaseAddParser().Parse({"--engine=sqlite", "--", "--odd"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->positionals(), std::vector<std::string>{"--odd"});
}

TEST(ArgParserTest, RejectsUnknownFlag) {
  auto parsed = DatabaseAddParser().Parse({"orders", "--engine=postgres", "--colour=red"});
  ASSERT_FALSE(parsed.ok());
  EXPECT_TRUE(IsUsageError(parsed.status()));
  EXPECT_NE(parsed.status().message().find("unknown flag --colour for \"database add\""),
            std::string::npos)
      << parsed.status();
}

TEST(ArgParserTest, RejectsMissingRequiredFlag) {
  auto parsed = DatabaseAddParser().Parse({"orders"});
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message(), "missing --engine=postgres|sqlite for \"database add\"");
}

TEST(ArgParserTest, RejectsMissingAndExtraPositionals) {
  auto missing = DatabaseAddParser().Parse({"--engine=postgres"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing NAME"), std::string::npos);
  auto extra = DatabaseAddParser().Parse({"orders", "more", "--engine=postgres"});
  ASSERT_FALSE(extra.ok());
  EXPECT_NE(extra.status().message().find("unexpected argument \"more\""), std::string::npos);
}

TEST(ArgParserTest, RejectsValueProblems) {
  auto no_value = DatabaseAddParser().Parse({"orders", "--engine"});
  ASSERT_FALSE(no_value.ok());
  EXPECT_EQ(no_value.status().message(),
            "flag --engine needs a value: use --engine=postgres|sqlite");

  auto next_is_flag = DatabaseAddParser().Parse({"orders", "--engine", "--port=1"});
  ASSERT_FALSE(next_is_flag.ok());
  EXPECT_NE(next_is_flag.status().message().find("needs a value"), std::string::npos);

  auto switch_value =
      DatabaseAddParser().Parse({"orders", "--engine=sqlite", "--skip-connection-test=yes"});
  ASSERT_FALSE(switch_value.ok());
  EXPECT_EQ(switch_value.status().message(), "flag --skip-connection-test takes no value");

  auto twice = DatabaseAddParser().Parse({"orders", "--engine=sqlite", "--engine=postgres"});
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().message(), "flag --engine is given twice");
}

TEST(ArgParserTest, RefusedFlagGetsItsOwnMessage) {
  auto parsed = DatabaseAddParser().Parse({"orders", "--engine=postgres", "--password=s3cret"});
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message(), "no passwords here");
}

TEST(ArgParserTest, ParseLeadingStopsAtFirstPositional) {
  ArgParser global({"", "", {{"output", true, false, "table|json"}}, {}, {}});
  size_t rest = 0;
  auto parsed = global.ParseLeading({"--output", "json", "agents", "list", "--x"}, &rest);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->Get("output"), "json");
  EXPECT_EQ(rest, 2u);
}

TEST(ParsedArgsTest, NumbersMustBePlainDigitsInRange) {
  ParsedArgs args;
  args.SetFlag("port", "54x");
  args.SetFlag("limit", "+5");
  args.SetFlag("level", "-3");
  args.SetFlag("big", "70000");
  EXPECT_EQ(args.GetUint32("port", 0, 1, 65535).status().message(),
            "--port must be a whole number from 1 to 65535, not \"54x\"");
  EXPECT_FALSE(args.GetUint32("limit", 0, 1, UINT32_MAX).ok());
  EXPECT_FALSE(args.GetUint32("big", 0, 1, 65535).ok());
  EXPECT_EQ(args.GetInt32("level", 0).value(), -3);
  EXPECT_EQ(args.GetUint32("absent", 7, 1, 10).value(), 7u);
}

// Runs dbdumpctl with a client factory that must not be reached: every
// command line here is wrong before any call is made.
struct Result {
  int code;
  std::string out;
  std::string err;
};

Result RunOffline(const std::vector<std::string>& args) {
  CliOptions options;
  options.make_client = [](const std::string&, absl::Duration) {
    ADD_FAILURE() << "a usage error must not reach the controller";
    return std::unique_ptr<ControllerClient>();
  };
  std::ostringstream out, err;
  int code = Cli(options).Run(args, out, err);
  return {code, out.str(), err.str()};
}

void ExpectUsageError(const std::vector<std::string>& args, const std::string& message_part) {
  Result r = RunOffline(args);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(r.err.rfind("dbdumpctl: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(message_part), std::string::npos) << r.err;
  // One line, nothing on stdout.
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(CliUsageTest, UnknownVerb) {
  ExpectUsageError({"frobnicate"}, "unknown command \"frobnicate\"");
}

TEST(CliUsageTest, UnknownSubcommandAndMissingSubcommand) {
  ExpectUsageError({"database", "drop", "x"}, "unknown command \"database drop\"");
  ExpectUsageError({"database"}, "\"database\" needs a subcommand: add, list, remove");
}

TEST(CliUsageTest, NoCommand) { ExpectUsageError({}, "no command given"); }

TEST(CliUsageTest, MissingEngine) {
  ExpectUsageError({"database", "add", "orders", "--agent=a1", "--storage=s1"},
                   "missing --engine=postgres|sqlite for \"database add\"");
}

TEST(CliUsageTest, UnknownEngine) {
  ExpectUsageError({"database", "add", "orders", "--engine=mysql", "--agent=a1", "--storage=s1"},
                   "unknown engine \"mysql\"");
}

TEST(CliUsageTest, PasswordIsRefusedAndNotEchoed) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"database", "add", "orders", "--engine=postgres", "--agent=a1", "--storage=s1",
            "--password=hunter2"},
           {"database", "add", "orders", "--password", "hunter2", "--engine=postgres"},
           {"--password=hunter2", "agents", "list"}}) {
    Result r = RunOffline(args);
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("use --password-ref=file:"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("hunter2"), std::string::npos) << r.err;
  }
}

TEST(CliUsageTest, MalformedPasswordRefIsNotEchoed) {
  Result r = RunOffline({"database", "add", "orders", "--engine=postgres", "--agent=a1",
                         "--storage=s1", "--password-ref=hunter2"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--password-ref must be file:"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("hunter2"), std::string::npos) << r.err;
}

TEST(CliUsageTest, BadPort) {
  ExpectUsageError({"database", "add", "orders", "--engine", "postgres", "--agent", "a1",
                    "--storage", "s1", "--port", "fivefourthreetwo"},
                   "--port must be a whole number from 1 to 65535, not \"fivefourthreetwo\"");
  ExpectUsageError({"database", "add", "orders", "--engine=postgres", "--agent=a1", "--storage=s1",
                    "--port=70000"},
                   "--port must be a whole number from 1 to 65535");
}

TEST(CliUsageTest, SqliteNeedsAbsolutePath) {
  ExpectUsageError({"database", "add", "app", "--engine=sqlite", "--agent=a1", "--storage=s1"},
                   "missing --path=/abs/file.db");
  ExpectUsageError({"database", "add", "app", "--engine=sqlite", "--agent=a1", "--storage=s1",
                    "--path=rel/app.db"},
                   "--path must be an absolute path");
}

TEST(CliUsageTest, BadNames) {
  ExpectUsageError({"database", "remove", "../etc"}, "database name \"../etc\"");
  ExpectUsageError({"backup", "run", "-rf"}, "unknown flag -rf");
  ExpectUsageError({"job", "show", "job/../x"}, "job id \"job/../x\"");
}

TEST(CliUsageTest, StorageAddChecksKindAndPath) {
  ExpectUsageError({"storage", "add", "s1", "--kind=s3", "--path=/x"},
                   "unknown storage kind \"s3\": use --kind=local");
  ExpectUsageError({"storage", "add", "s1", "--kind=local", "--path", "relative"},
                   "--path must be an absolute path");
}

TEST(CliUsageTest, BackupRunChecksCompressionAndLevel) {
  ExpectUsageError({"backup", "run", "orders", "--compression=lz4"}, "unknown compression \"lz4\"");
  ExpectUsageError({"backup", "run", "orders", "--level", "high"},
                   "--level must be a whole number, not \"high\"");
}

TEST(CliUsageTest, JobListChecksLimit) {
  ExpectUsageError({"job", "list", "--limit=ten"}, "--limit must be a whole number");
  ExpectUsageError({"job", "list", "--limit=0"}, "--limit must be a whole number of at least 1");
}

TEST(CliUsageTest, ExtraPositional) {
  ExpectUsageError({"agents", "list", "now"}, "unexpected argument \"now\" for \"agents list\"");
}

TEST(CliUsageTest, RestoreNeedsTarget) {
  ExpectUsageError({"restore", "20260115T020000Z-0badc0de"},
                   "missing --target=DBNAME_OR_PATH for \"restore\"");
}

TEST(CliUsageTest, GlobalFlagsMustPrecedeTheVerb) {
  ExpectUsageError({"database", "list", "--output=json"},
                   "--output is a global flag: put it before the verb");
  ExpectUsageError({"--output=yaml", "database", "list"}, "unknown output format \"yaml\"");
  ExpectUsageError({"--timeout_s=soon", "database", "list"}, "--timeout_s must be a whole number");
}

TEST(CliUsageTest, HelpPrintsUsageToStdout) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"help"}, {"--help"}, {"database", "add", "--help"}}) {
    Result r = RunOffline(args);
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.out.rfind("usage: dbdumpctl [--controller=HOST:PORT]", 0), 0u) << r.out;
    EXPECT_EQ(r.err, "");
  }
}

TEST(CliUsageTest, RunCliTakesArgv) {
  const char* argv[] = {"dbdumpctl", "database", "add"};
  std::ostringstream out, err;
  EXPECT_EQ(RunCli(3, const_cast<char**>(argv), out, err), 2);
  EXPECT_NE(err.str().find("missing NAME for \"database add\""), std::string::npos) << err.str();
}

TEST(CliUnreachableTest, ControllerThatIsNotListeningFailsFast) {
  const char* argv[] = {"dbdumpctl", "--controller=127.0.0.1:1", "--timeout_s=2", "agents", "list"};
  std::ostringstream out, err;
  absl::Time start = absl::Now();
  EXPECT_EQ(RunCli(5, const_cast<char**>(argv), out, err), 1);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(err.str().rfind("dbdumpctl: error: the controller at 127.0.0.1:1 is unreachable", 0),
            0u)
      << err.str();
  EXPECT_NE(err.str().find("--controller"), std::string::npos);
  EXPECT_EQ(out.str(), "");
}

}  // namespace
}  // namespace dbdump
