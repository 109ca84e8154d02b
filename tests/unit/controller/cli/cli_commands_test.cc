// dbdumpctl against a scripted fake controller: what every verb shares (the
// global flags, controller errors, JSON output). The verbs themselves are
// tested per noun in commands/.
#include <string>

#include "gtest/gtest.h"
#include "tests/unit/controller/cli/cli_commands_fixture.h"

namespace dbdump {
namespace {

TEST_F(CliCommandsTest, GlobalFlagsReachTheClient) {
  ASSERT_EQ(Run({"--controller", "ctl:7300", "--timeout_s=5", "agents", "list"}), 0) << err_.str();
  EXPECT_EQ(address_, "ctl:7300");
  EXPECT_EQ(timeout_, absl::Seconds(5));
  ASSERT_EQ(Run({"agents", "list"}), 0);
  EXPECT_EQ(address_, "127.0.0.1:7300");
  EXPECT_EQ(timeout_, absl::Seconds(30));
  // After the verb too, in kebab-case with durations.
  ASSERT_EQ(Run({"agent", "list", "--controller=ctl:7301", "--timeout=1m"}), 0) << err_.str();
  EXPECT_EQ(address_, "ctl:7301");
  EXPECT_EQ(timeout_, absl::Minutes(1));
}

TEST_F(CliCommandsTest, FlagsTakeTheirSnakeCaseSpellingToo) {
  ASSERT_EQ(Run({"database", "add", "orders", "--engine=postgres", "--agent=a1", "--storage=s1",
                 "--host=db", "--password_ref=env:PGPASS", "--skip_connection_test",
                 "--exclude_table=logs"}),
            0)
      << err_.str();
  EXPECT_EQ(fake_.add_database.database().password_ref(), "env:PGPASS");
  EXPECT_TRUE(fake_.add_database.skip_connection_test());
  ASSERT_EQ(fake_.add_database.database().dump_options().exclude_tables_size(), 1);
  // Errors name the flag as the help spells it.
  EXPECT_EQ(Run({"database", "add", "orders", "--engine=postgres", "--agent=a1", "--storage=s1",
                 "--skip_connection_test", "--skip-connection-test"}),
            2);
  EXPECT_EQ(err_.str(), "dbdumpctl: error: flag --skip-connection-test is given twice\n");
}

TEST_F(CliCommandsTest, ControllerErrorsExitOneWithTheirMessage) {
  fake_.add_database_error = absl::FailedPreconditionError("agent \"a1\" is offline");
  EXPECT_EQ(Run({"database", "add", "app", "--engine=sqlite", "--agent=a1", "--storage=s1",
                 "--path=/var/lib/app.db"}),
            1);
  EXPECT_EQ(err_.str(), "dbdumpctl: error: agent \"a1\" is offline\n");
}

TEST_F(CliCommandsTest, JsonPrintsTheWholeListResponse) {
  fake_.databases.add_databases()->mutable_target()->set_name("orders");
  ASSERT_EQ(Run({"--output=json", "database", "list"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("\"databases\": ["), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("\"server_version\": \"\""), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("\"engine\": \"ENGINE_UNSPECIFIED\""), std::string::npos);
}

}  // namespace
}  // namespace dbdump
