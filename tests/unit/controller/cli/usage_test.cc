// The help text and the usage errors are written from the verb table: every
// verb and flag that dispatch accepts is shown, and the synopses quoted in
// usage errors read as they always have.
#include "controller/cli/usage.h"

#include <map>
#include <string>
#include <vector>

#include "controller/cli/commands/verb_table.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {

TEST(UsageTest, EveryFlagOfEveryVerbIsShownAndEveryShownFlagIsAccepted) {
  absl::Status status = CheckUsage(AllVerbs());
  EXPECT_TRUE(status.ok()) << status;
}

TEST(UsageTest, CheckFindsAFlagTheHelpDoesNotShow) {
  std::vector<VerbSpec> verbs = AllVerbs();
  verbs[0].flags.push_back(ValueFlag("hidden", "X"));
  verbs[0].forms = {"{typo}"};
  absl::Status status = CheckUsage(verbs);
  EXPECT_NE(status.message().find("\"agent list\" accepts --hidden but does not show it"),
            std::string::npos)
      << status;
  EXPECT_NE(status.message().find("\"agent list\" shows --typo, which it does not accept"),
            std::string::npos)
      << status;
}

TEST(UsageTest, CheckFindsAFlagNotInKebabCase) {
  std::vector<VerbSpec> verbs = AllVerbs();
  verbs[0].flags.push_back(ValueFlag("page_size", "N"));
  verbs[0].forms = {"{page_size}"};
  absl::Status status = CheckUsage(verbs);
  EXPECT_NE(status.message().find("\"agent list\" names --page_size, which is not kebab-case"),
            std::string::npos)
      << status;
}

TEST(UsageTest, HelpShowsKebabCaseOnlyAndSingularNouns) {
  std::string help = UsageText();
  EXPECT_EQ(help.find("--timeout_s"), std::string::npos);
  EXPECT_EQ(help.find("--ca_file"), std::string::npos);
  EXPECT_NE(help.find("[--timeout=DURATION]"), std::string::npos) << help;
  EXPECT_NE(help.find("\n  agent list [--limit=N] [--page-token=T]\n"), std::string::npos) << help;
  EXPECT_EQ(help.find("agents"), std::string::npos) << help;
  EXPECT_NE(help.find("\n  version | --version\n"), std::string::npos) << help;
}

TEST(UsageTest, CheckFindsRowsDispatchWouldHide) {
  std::vector<VerbSpec> verbs = AllVerbs();
  verbs.push_back(verbs[0]);
  VerbSpec restore_more;
  restore_more.noun = "restore";
  restore_more.verb = "more";
  restore_more.run = verbs[0].run;
  verbs.push_back(restore_more);
  absl::Status status = CheckUsage(verbs);
  EXPECT_NE(status.message().find("\"agent list\" is in the table twice"), std::string::npos)
      << status;
  EXPECT_NE(status.message().find("\"restore\" is both a command and a noun with verbs"),
            std::string::npos)
      << status;
}

TEST(UsageTest, EveryVerbHasALineInTheHelp) {
  std::string help = UsageText();
  for (const VerbSpec& verb : AllVerbs()) {
    EXPECT_NE(help.find("\n  " + verb.Command()), std::string::npos) << verb.Command();
  }
}

TEST(UsageTest, SynopsesOfUsageErrors) {
  std::map<std::string, std::string> expected = {
      {"agent list", "dbdumpctl agent list [--limit=N] [--page-token=T]"},
      {"database add",
       "dbdumpctl database add NAME --engine=postgres|mysql|mongodb|sqlite --agent=AGENT "
       "--storage=STORAGE [--copies=STORAGE,...] [...]"},
      {"storage add",
       "dbdumpctl storage add NAME --kind=local --path=/abs/dir | --kind=s3 --bucket=B [...]"},
      {"backup run",
       "dbdumpctl backup run DATABASE [--compression=zstd|gzip|none] [--level=N] [--wait]"},
      {"restore",
       "dbdumpctl restore BACKUP_ID [--target=DBNAME_OR_PATH] [--via=DATABASE] "
       "[--from-storage=STORAGE] [--clean] "
       "[--no-create] [--jobs=N] [--dry-run] [--identity=file:/path|env:NAME] [--wait] "
       "[--no-owner] [--no-privileges] "
       "[--owner=ROLE] [--globals[=replace]] [--no-database-settings] "
       "[--definers=keep|current-user]"},
      {"s3 list", "dbdumpctl s3 list s3://BUCKET[/PREFIX] [--database=NAME] [S3 flags]"},
      {"s3 restore",
       "dbdumpctl s3 restore s3://BUCKET[/PREFIX] BACKUP_ID --database=NAME "
       "--target=DBNAME_OR_PATH [...]"},
      {"schedule add", "dbdumpctl schedule add NAME --database=DB --cron=EXPR --tz=ZONE [...]"},
      {"schedule next", "dbdumpctl schedule next EXPR --tz=ZONE [--count=N]"},
      {"retention plan", "dbdumpctl retention plan DATABASE [--keep-last=N ...]"},
      {"retention set",
       "dbdumpctl retention set DATABASE [--tz=ZONE] [--storage=COPY_STORAGE] [--keep-last=N ...]"},
  };
  for (const VerbSpec& verb : AllVerbs()) {
    auto it = expected.find(verb.Command());
    if (it == expected.end()) continue;
    EXPECT_EQ(Synopsis(verb), it->second);
    expected.erase(it);
  }
  EXPECT_TRUE(expected.empty());
}

TEST(UsageTest, VerbLinesWrapUnderTheFirstArgument) {
  std::string help = UsageText();
  EXPECT_NE(help.find("  database add NAME --engine=postgres|mysql|mongodb|sqlite --agent=AGENT "
                      "--storage=STORAGE [--copies=STORAGE,...]\n"
                      "               [--host=H] [--port=P] [--user=U] [--dbname=DB] "
                      "[--password-ref=file:/path|env:NAME]\n"
                      "               [--path=/abs/file.db] [--skip-connection-test] "
                      "[dump options] [TLS flags] [encryption flags]\n"),
            std::string::npos)
      << help;
  EXPECT_NE(help.find("  restore BACKUP_ID --dry-run [--via=DATABASE] [--from-storage=STORAGE] "
                      "[--identity=file:/path|env:NAME] [--wait]\n"),
            std::string::npos);
}

TEST(UsageTest, HelpExplainsVia) {
  std::string help = UsageText();
  EXPECT_NE(help.find("--via=DATABASE restores through another database\n"
                      "of the same engine known to the controller: its agent and connection"),
            std::string::npos)
      << help;
  EXPECT_NE(help.find("a restore\nthrough --via needs --target"), std::string::npos) << help;
}

}  // namespace
}  // namespace dbdump
