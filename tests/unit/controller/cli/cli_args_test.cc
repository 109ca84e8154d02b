// Command-line parsing and usage errors of dbdumpctl; no controller needed
// except the unreachable one, which must fail fast.
#include <sstream>
#include <string>
#include <vector>

#include "controller/cli/args/arg_parser.h"
#include "controller/cli/cli.h"
#include "controller/cli/args/cli_error.h"
#include "controller/cli/client/controller_client.h"
#include "controller/cli/args/parsed_args.h"
#include "controller/cli/args/s3_url.h"
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

TEST(ParsedArgsTest, ByteSizesTakeBinarySuffixes) {
  ParsedArgs args;
  args.SetFlag("plain", "8388608");
  args.SetFlag("kib", "64KiB");
  args.SetFlag("mib", "8MiB");
  args.SetFlag("gib", "5GiB");
  args.SetFlag("bad", "8MB");
  EXPECT_EQ(args.GetByteSize("plain", 0).value(), 8388608u);
  EXPECT_EQ(args.GetByteSize("kib", 0).value(), 65536u);
  EXPECT_EQ(args.GetByteSize("mib", 0).value(), 8388608u);
  EXPECT_EQ(args.GetByteSize("gib", 0).value(), uint64_t{5} << 30);
  EXPECT_EQ(args.GetByteSize("absent", 7).value(), 7u);
  EXPECT_TRUE(IsUsageError(args.GetByteSize("bad", 0).status()));
}

TEST(S3UrlTest, SplitsBucketAndPrefix) {
  auto root = ParseS3Url("s3://backups");
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(root->bucket, "backups");
  EXPECT_EQ(root->prefix, "");
  auto slash = ParseS3Url("s3://backups/");
  ASSERT_TRUE(slash.ok()) << slash.status();
  EXPECT_EQ(slash->prefix, "");
  auto nested = ParseS3Url("s3://my.backups-1/prod/nightly/");
  ASSERT_TRUE(nested.ok()) << nested.status();
  EXPECT_EQ(nested->bucket, "my.backups-1");
  EXPECT_EQ(nested->prefix, "prod/nightly");
  EXPECT_FALSE(ParseS3Url("s3://backups/prod//").ok());
  EXPECT_FALSE(ParseS3Url("S3://backups").ok());
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
  options.make_client = [](const ControllerConnection&) {
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
  ExpectUsageError({"database"},
                   "\"database\" needs a subcommand: add, list, show, update, remove");
}

TEST(CliUsageTest, NoCommand) { ExpectUsageError({}, "no command given"); }

TEST(CliUsageTest, MissingEngine) {
  ExpectUsageError({"database", "add", "orders", "--agent=a1", "--storage=s1"},
                   "missing --engine=postgres|mysql|mongodb|sqlite for \"database add\"");
}

TEST(CliUsageTest, UnknownEngine) {
  ExpectUsageError({"database", "add", "orders", "--engine=oracle", "--agent=a1", "--storage=s1"},
                   "unknown engine \"oracle\": use --engine=postgres, mysql, mongodb or sqlite");
}

TEST(CliUsageTest, DumpOptionsDoNotApplyToSqlite) {
  ExpectUsageError({"database", "add", "app", "--engine=sqlite", "--agent=a1", "--storage=s1",
                    "--path=/data/app.db", "--table=users"},
                   "--table does not apply to sqlite databases");
}

TEST(CliUsageTest, RepeatableFlagsOnlyWhereDeclared) {
  ExpectUsageError({"database", "add", "app", "--engine=sqlite", "--agent=a1", "--agent=a2",
                    "--storage=s1", "--path=/data/app.db"},
                   "flag --agent is given twice");
}

TEST(CliUsageTest, RestoreOptionsAreChecked) {
  const std::string id = "20260115T020000Z-0badc0de";
  ExpectUsageError({"restore", id, "--dry-run", "--target=x"},
                   "--dry-run touches no database: drop the flags that say how to restore");
  ExpectUsageError({"restore", id, "--dry-run", "--globals"},
                   "--dry-run touches no database: drop the flags that say how to restore");
  ExpectUsageError({"restore", id, "--globals=all"},
                   "unknown --globals=all: use --globals (create missing roles");
  ExpectUsageError({"restore", id, "--definers=invoker"},
                   "unknown --definers=invoker: use keep");
  ExpectUsageError({"restore", id, "--owner="}, "flag --owner needs a value");
  ExpectUsageError({"restore", id, "--owner=" + std::string(64, 'r')},
                   "--owner: a PostgreSQL role name is 1-63 bytes");
  ExpectUsageError({"restore", id, "--jobs=0"}, "--jobs must be a whole number from 1 to 64");
  ExpectUsageError({"backup", "test-restore", id, "--target=x"},
                   "unknown flag --target for \"backup test-restore\"");
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
  ExpectUsageError({"storage", "add", "s1", "--kind=gcs", "--path=/x"},
                   "unknown storage kind \"gcs\": use --kind=local or --kind=s3");
  ExpectUsageError({"storage", "add", "s1", "--kind=local", "--path", "relative"},
                   "--path must be an absolute path");
  ExpectUsageError({"storage", "add", "s1", "--kind=local"}, "missing --path=/abs/dir");
  ExpectUsageError({"storage", "add", "s1", "--path=/x"}, "missing --kind=local|s3");
  ExpectUsageError({"storage", "add", "s1", "--kind=local", "--path=/x", "--prefix=a/../b"},
                   "--prefix \"a/../b\" must be relative");
}

TEST(CliUsageTest, StorageAddKeepsLocalAndS3FlagsApart) {
  for (std::string flag :
       {"--bucket=b-1", "--endpoint=http://minio:9000", "--region=eu-west-1", "--path-style",
        "--role-arn=arn:aws:iam::123456789012:role/backup", "--sse=AES256",
        "--credentials-ref=file:/etc/dbdump/aws", "--part-size=8MiB", "--ca-file=/etc/ca.pem",
        "--upload-concurrency=4", "--storage-class=STANDARD_IA"}) {
    std::string name = flag.substr(2, flag.find('=') - 2);
    ExpectUsageError({"storage", "add", "s1", "--kind=local", "--path=/x", flag},
                     "--" + name + " is for s3 storage: local storage takes --path=/abs/dir");
  }
  ExpectUsageError({"storage", "add", "s1", "--kind=s3", "--bucket=backups", "--path=/x"},
                   "--path is for local storage: s3 storage takes --bucket=B");
  ExpectUsageError({"storage", "add", "s1", "--kind=s3"}, "missing --bucket=B");
  ExpectUsageError(
      {"storage", "add", "s1", "--kind=s3", "--bucket=backups", "--probe-agent=a1", "--skip-probe"},
      "--probe-agent and --skip-probe contradict each other");
}

TEST(CliUsageTest, StorageAddChecksS3Values) {
  auto s3 = [](std::vector<std::string> more) {
    std::vector<std::string> args = {"storage", "add", "b", "--kind=s3", "--bucket=backups"};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  ExpectUsageError({"storage", "add", "b", "--kind=s3", "--bucket=Bad_Bucket"},
                   "--bucket: bucket name \"Bad_Bucket\" may only contain");
  ExpectUsageError(s3({"--sse=aes"}), "--sse must be AES256 or aws:kms, not \"aes\"");
  ExpectUsageError(s3({"--kms-key-id=k1"}), "--kms-key-id needs --sse=aws:kms");
  ExpectUsageError(s3({"--sse=AES256", "--kms-key-id=k1"}), "--kms-key-id needs --sse=aws:kms");
  ExpectUsageError(s3({"--external-id=x"}), "--external-id goes with the role");
  ExpectUsageError(s3({"--role-arn=admin"}), "--role-arn: ");
  ExpectUsageError(s3({"--endpoint=minio:9000"}),
                   "--endpoint must be http(s)://host[:port] without a path");
  ExpectUsageError(s3({"--sts-endpoint=https://sts/x"}), "--sts-endpoint must be http(s)://");
  Result r = RunOffline(s3({"--endpoint=https://AKIAEXAMPLE:wJalrXUtnFEMI@minio:9000"}));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--endpoint carries no credentials"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("wJalr"), std::string::npos) << r.err;
  ExpectUsageError(s3({"--region=EU West"}), "--region \"EU West\" is not a region name");
  ExpectUsageError(s3({"--ca-file=ca.pem"}), "--ca-file must be an absolute path");
  ExpectUsageError(s3({"--max-parts=5"}), "--max-parts");
  ExpectUsageError(s3({"--upload-concurrency=0"}),
                   "--upload-concurrency must be a whole number from 1 to 64");
  ExpectUsageError(s3({"--upload-concurrency=65"}),
                   "--upload-concurrency must be a whole number from 1 to 64");
  ExpectUsageError(s3({"--probe-agent=../a"}), "agent name \"../a\"");
  ExpectUsageError(s3({"--colour=red"}), "unknown flag --colour for \"storage add\"");
  ExpectUsageError(s3({"--skip-probe=yes"}), "flag --skip-probe takes no value");
  ExpectUsageError(s3({"--part-size"}), "flag --part-size needs a value: use --part-size=SIZE");
}

TEST(CliUsageTest, BadSizes) {
  for (std::string size : {"8MB", "8mib", "MiB", "8 MiB", "-1", "1.5MiB", "8TiB",
                           "99999999999999999999", "17179869184GiB"}) {
    ExpectUsageError({"storage", "add", "b", "--kind=s3", "--bucket=backups", "--part-size", size},
                     "--part-size must be a byte count such as 8388608 or 8MiB (suffixes KiB, "
                     "MiB, GiB), not \"" +
                         size + "\"");
  }
  ExpectUsageError({"storage", "add", "b", "--kind=s3", "--bucket=backups", "--part-size=1MiB"},
                   "--part-size must be from 5MiB to 5GiB (S3's part limits), not \"1MiB\"");
  ExpectUsageError({"storage", "add", "b", "--kind=s3", "--bucket=backups", "--part-size=6GiB"},
                   "--part-size must be from 5MiB to 5GiB");
}

TEST(CliUsageTest, KeysAreRefusedAndNotEchoed) {
  const std::vector<std::string> key_flags = {
      "access-key",    "secret-key",    "secret-access-key", "aws-secret-access-key",
      "session-token", "access-key-id", "aws-access-key-id"};
  const std::vector<std::vector<std::string>> commands = {
      {"storage", "add", "b", "--kind=s3", "--bucket=backups"},
      {"s3", "list", "s3://backups"},
      {"s3", "restore", "s3://backups", "20260115T020000Z-0badc0de", "--database=app",
       "--target=/tmp/app.db"},
      {}};
  for (const std::string& flag : key_flags) {
    for (const std::vector<std::string>& command : commands) {
      for (bool inline_value : {true, false}) {
        std::vector<std::string> args;
        if (command.empty()) {
          args = {"--" + flag, "AKIAwJalrXUtnFEMI7K", "agents", "list"};
        } else {
          args = command;
          if (inline_value) {
            args.push_back("--" + flag + "=AKIAwJalrXUtnFEMI7K");
          } else {
            args.push_back("--" + flag);
            args.push_back("AKIAwJalrXUtnFEMI7K");
          }
        }
        Result r = RunOffline(args);
        EXPECT_EQ(r.code, 2) << flag;
        EXPECT_NE(r.err.find("never pass S3 keys on the command line: use "
                             "--credentials-ref=file:/path"),
                  std::string::npos)
            << r.err;
        EXPECT_NE(r.err.find("AWS_SECRET_ACCESS_KEY"), std::string::npos) << r.err;
        EXPECT_EQ(r.err.find("AKIA"), std::string::npos) << r.err;
        EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
      }
    }
  }
}

TEST(CliUsageTest, CredentialsRefIsNotEchoed) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"storage", "add", "b", "--kind=s3", "--bucket=backups",
            "--credentials-ref=wJalrXUtnFEMIK7MDENG"},
           {"s3", "list", "s3://backups", "--credentials-ref=wJalrXUtnFEMIK7MDENG"}}) {
    Result r = RunOffline(args);
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("--credentials-ref must be file:/absolute/path"), std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("wJalr"), std::string::npos) << r.err;
  }
}

TEST(CliUsageTest, S3ListChecksTheUrl) {
  ExpectUsageError({"s3", "list"}, "missing s3://BUCKET[/PREFIX] for \"s3 list\"");
  ExpectUsageError({"s3", "list", "gs://backups"},
                   "\"gs://backups\" is not an s3:// URL: use s3://BUCKET[/PREFIX]");
  ExpectUsageError({"s3", "list", "backups"}, "\"backups\" is not an s3:// URL");
  ExpectUsageError({"s3", "list", "s3://"}, "\"s3://\" names no bucket");
  ExpectUsageError({"s3", "list", "s3:///prefix"}, "names no bucket");
  ExpectUsageError({"s3", "list", "s3://Bad_Bucket/x"},
                   "bucket name \"Bad_Bucket\" may only contain lowercase letters");
  ExpectUsageError({"s3", "list", "s3://ab"}, "bucket name \"ab\" must be 3 to 63 characters");
  ExpectUsageError({"s3", "list", "s3://backups/a/../b"}, "bad prefix in \"s3://backups/a/../b\"");
  ExpectUsageError({"s3", "list", "s3://backups/.."}, "bad prefix");
  ExpectUsageError({"s3", "list", "s3://backups//x"}, "bad prefix");
  ExpectUsageError({"s3", "list", "s3://backups/x", "more"}, "unexpected argument \"more\"");
  ExpectUsageError({"s3", "list", "s3://backups", "--database=../x"}, "database name \"../x\"");
  ExpectUsageError({"s3", "list", "s3://backups", "--sse=AES256"},
                   "unknown flag --sse for \"s3 list\"");
  ExpectUsageError({"s3", "list", "s3://backups", "--endpoint=localhost:9000"},
                   "--endpoint must be http(s)://host[:port]");
  ExpectUsageError({"s3"}, "\"s3\" needs a subcommand: list, restore");
  ExpectUsageError({"s3", "sync"}, "unknown command \"s3 sync\"");

  Result r = RunOffline({"s3", "list", "s3://AKIAEXAMPLE:wJalrXUtnFEMI@backups/x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("s3:// URLs carry no credentials"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("wJalr"), std::string::npos) << r.err;
}

TEST(CliUsageTest, S3RestoreChecksItsArguments) {
  const std::string url = "s3://backups/nightly";
  const std::string id = "20260115T020000Z-0badc0de";
  ExpectUsageError({"s3", "restore", url, "--database=app", "--target=/tmp/a.db"},
                   "missing BACKUP_ID for \"s3 restore\"");
  ExpectUsageError({"s3", "restore", url, id, "--target=/tmp/a.db"},
                   "missing --database=NAME for \"s3 restore\"");
  ExpectUsageError({"s3", "restore", url, id, "--database=app"},
                   "missing --target=DBNAME_OR_PATH for \"s3 restore\"");
  ExpectUsageError({"s3", "restore", url, "a/../b", "--database=app", "--target=/tmp/a.db"},
                   "backup id \"a/../b\"");
  ExpectUsageError({"s3", "restore", "s3://x", id, "--database=app", "--target=/tmp/a.db"},
                   "bucket name \"x\"");
  ExpectUsageError({"s3", "restore", url, id, "--database=app", "--target=app", "--port=0"},
                   "--port must be a whole number from 1 to 65535");
  ExpectUsageError({"s3", "restore", url, id, "--database=app", "--target=app", "--via=app"},
                   "unknown flag --via for \"s3 restore\"");
  ExpectUsageError({"s3", "restore", url, id, "--database=app", "--target=app", "--wait"},
                   "unknown flag --wait");

  Result r = RunOffline(
      {"s3", "restore", url, id, "--database=app", "--target=app", "--password-ref=hunter2"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--password-ref must be file:"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("hunter2"), std::string::npos) << r.err;
  r = RunOffline(
      {"s3", "restore", url, id, "--database=app", "--target=app", "--password=hunter2"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.find("hunter2"), std::string::npos) << r.err;
}

TEST(CliUsageTest, UsageListsTheNewVerbsAndFlags) {
  Result r = RunOffline({"help"});
  for (const char* line :
       {"  storage add NAME --kind=local --path=/abs/dir [--prefix=P] [--probe-agent=AGENT] "
        "[--skip-probe]\n",
        "  storage add NAME --kind=s3 --bucket=B [--prefix=P] [--region=R] [--endpoint=URL] "
        "[--path-style]\n",
        "[--credentials-ref=file:/path] [--part-size=SIZE] [--upload-concurrency=N]\n",
        "  s3 list s3://BUCKET[/PREFIX] [--database=NAME] [S3 flags]\n",
        "  s3 restore s3://BUCKET[/PREFIX] BACKUP_ID --database=NAME --target=DBNAME_OR_PATH\n",
        "  [--role-arn=ARN] [--external-id=ID] [--sts-endpoint=URL] [--ca-file=/path]\n"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line;
  }
}

TEST(CliUsageTest, BackupRunChecksCompressionAndLevel) {
  ExpectUsageError({"backup", "run", "orders", "--compression=lz4"}, "unknown compression \"lz4\"");
  ExpectUsageError({"backup", "run", "orders", "--level", "high"},
                   "--level must be a whole number, not \"high\"");
}

TEST(CliUsageTest, JobListChecksLimit) {
  ExpectUsageError({"job", "list", "--limit=ten"}, "--limit must be a whole number");
  ExpectUsageError({"job", "list", "--limit=0"}, "--limit must be a whole number from 1 to 1000");
  ExpectUsageError({"job", "list", "--limit=1001"},
                   "--limit must be a whole number from 1 to 1000");
}

TEST(CliUsageTest, ExtraPositional) {
  ExpectUsageError({"agents", "list", "now"}, "unexpected argument \"now\" for \"agent list\"");
}

TEST(CliUsageTest, RestoreNeedsABackupId) {
  ExpectUsageError({"restore", "--target=x"}, "missing BACKUP_ID for \"restore\"");
}

TEST(CliUsageTest, GlobalFlagsGoBeforeOrAfterTheVerb) {
  ExpectUsageError({"--output=yaml", "database", "list"}, "unknown output format \"yaml\"");
  ExpectUsageError({"database", "list", "--output=yaml"}, "unknown output format \"yaml\"");
  ExpectUsageError({"--output=json", "database", "list", "--output=table"},
                   "flag --output is given twice");
  // The old snake_case name takes seconds, the new one any duration.
  ExpectUsageError({"--timeout_s=soon", "database", "list"}, "--timeout=soon is not a duration");
  ExpectUsageError({"database", "list", "--timeout=0"}, "--timeout must be at least 1s");
}

TEST(CliUsageTest, VersionNeedsNoController) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--version"}, {"version"}, {"--controller=127.0.0.1:1", "version"},
           {"database", "list", "--version"}}) {
    Result r = RunOffline(args);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "dbdumpctl 0.1.0\n");
    EXPECT_EQ(r.err, "");
  }
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
  const char* argv[] = {"dbdumpctl", "--controller=127.0.0.1:1", "--timeout_s=2",
                        "--insecure_plaintext", "agents", "list"};
  std::ostringstream out, err;
  absl::Time start = absl::Now();
  EXPECT_EQ(RunCli(6, const_cast<char**>(argv), out, err), 1);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(err.str().rfind("dbdumpctl: error: the controller at 127.0.0.1:1 is unreachable", 0),
            0u)
      << err.str();
  EXPECT_NE(err.str().find("--controller"), std::string::npos);
  EXPECT_EQ(out.str(), "");
}

TEST(CliUnreachableTest, WithoutTheControllersCaNothingIsSentAndTheErrorSaysWhatToDo) {
  const char* argv[] = {"dbdumpctl", "--controller=127.0.0.1:1", "--ca_file=/nonexistent/ca.pem",
                        "agents", "list"};
  std::ostringstream out, err;
  EXPECT_EQ(RunCli(5, const_cast<char**>(argv), out, err), 1);
  EXPECT_NE(err.str().find("no CA certificate to check the controller with at /nonexistent/ca.pem"),
            std::string::npos)
      << err.str();
  EXPECT_NE(err.str().find("DBDUMP_CA_FILE"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace dbdump
