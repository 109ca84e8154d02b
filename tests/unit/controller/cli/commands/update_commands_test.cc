// "database|storage|schedule update" and "database|storage show" against a
// scripted fake controller: each flag given becomes one path of the update
// mask and sets that field; no flag at all is a usage error.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/unit/controller/cli/cli_commands_fixture.h"

namespace dbdump {
namespace {

std::vector<std::string> Paths(const google::protobuf::FieldMask& mask) {
  return {mask.paths().begin(), mask.paths().end()};
}

TEST_F(CliCommandsTest, DatabaseUpdateMapsFlagsToMaskPaths) {
  ASSERT_EQ(Run({"database", "update", "orders", "--storage=s3-eu", "--agent=db2",
                 "--password-ref=file:/etc/dbdump/orders.pass"}),
            0)
      << err_.str();
  const v1::UpdateDatabaseRequest& req = fake_.update_database;
  EXPECT_EQ(req.name(), "orders");
  EXPECT_EQ(Paths(req.update_mask()),
            (std::vector<std::string>{"storage", "target.agent", "target.password_ref"}));
  EXPECT_EQ(req.database().storage(), "s3-eu");
  EXPECT_EQ(req.database().target().agent(), "db2");
  EXPECT_EQ(req.database().target().password_ref(), "file:/etc/dbdump/orders.pass");
  EXPECT_FALSE(req.skip_connection_test());
  EXPECT_EQ(out_.str(),
            "database \"orders\" updated: storage, target.agent, target.password_ref\n");

  ASSERT_EQ(Run({"database", "update", "orders", "--table=public.t", "--skip-connection-test"}), 0)
      << err_.str();
  EXPECT_EQ(Paths(fake_.update_database.update_mask()),
            (std::vector<std::string>{"target.dump_options"}));
  EXPECT_EQ(fake_.update_database.database().target().dump_options().include_tables(0), "public.t");
  EXPECT_TRUE(fake_.update_database.skip_connection_test());

  int calls = fake_.calls;
  EXPECT_EQ(Run({"database", "update", "orders"}), 2);
  EXPECT_NE(err_.str().find("nothing to update"), std::string::npos) << err_.str();
  EXPECT_EQ(Run({"database", "update", "orders", "--password-ref=hunter2"}), 2);
  EXPECT_EQ(fake_.calls, calls) << "usage errors reach no controller";
}

TEST_F(CliCommandsTest, StorageUpdateMapsFlagsToMaskPaths) {
  ASSERT_EQ(Run({"storage", "update", "s3-eu", "--region=eu-west-1", "--ca-file=/etc/ca.pem",
                 "--part-size=16MiB", "--skip-probe"}),
            0)
      << err_.str();
  const v1::UpdateStorageRequest& req = fake_.update_storage;
  EXPECT_EQ(req.name(), "s3-eu");
  EXPECT_EQ(Paths(req.update_mask()),
            (std::vector<std::string>{"region", "ca_file", "part_size_bytes"}));
  EXPECT_EQ(req.storage().region(), "eu-west-1");
  EXPECT_EQ(req.storage().part_size_bytes(), 16u << 20);
  EXPECT_TRUE(req.skip_probe());
  EXPECT_EQ(out_.str(),
            "storage \"s3-eu\" updated: region, ca_file, part_size_bytes (not probed)\n");
  EXPECT_EQ(Run({"storage", "update", "s3-eu", "--skip-probe"}), 2) << "nothing to update";
}

TEST_F(CliCommandsTest, ScheduleUpdateChangesOnlyTheRulesGiven) {
  ASSERT_EQ(Run({"schedule", "update", "nightly", "--cron", "45 4 * * *", "--keep-daily=14",
                 "--no-verify"}),
            0)
      << err_.str();
  const v1::UpdateScheduleRequest& req = fake_.update_schedule;
  EXPECT_EQ(req.name(), "nightly");
  EXPECT_EQ(Paths(req.update_mask()),
            (std::vector<std::string>{"cron", "retention.keep_daily", "verify_cron"}));
  EXPECT_EQ(req.schedule().cron(), "45 4 * * *");
  EXPECT_EQ(req.schedule().retention().keep_daily(), 14u);
  EXPECT_EQ(out_.str().rfind("schedule nightly updated\n", 0), 0u) << out_.str();
}

}  // namespace
}  // namespace dbdump

namespace dbdump {
namespace {

TEST_F(CliCommandsTest, AgentRemoveIsAnUnscriptedCallToTheController) {
  // The fake scripts no agent removal: the call reaches it and its error is shown.
  EXPECT_EQ(Run({"agent", "remove", "db1"}), 1);
  EXPECT_EQ(err_.str(), "dbdumpctl: error: DeleteAgent is not supported by this client\n");
  EXPECT_EQ(Run({"agent", "remove"}), 2) << "the agent name is required";
}

}  // namespace
}  // namespace dbdump
