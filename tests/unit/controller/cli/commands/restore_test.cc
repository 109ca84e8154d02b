// "restore" and "backup test-restore" against a scripted fake controller.
#include <string>

#include "gtest/gtest.h"
#include "tests/unit/controller/cli/cli_commands_fixture.h"

namespace dbdump {
namespace {

TEST_F(CliCommandsTest, RestoreAndTestRestoreSendTheirOptions) {
  const std::string id = "20260115T020000Z-0badc0de";
  ASSERT_EQ(Run({"restore", id, "--clean", "--jobs=4", "--no-create"}), 0) << err_.str();
  EXPECT_EQ(fake_.start_restore.target(), "");  // the original database
  EXPECT_TRUE(fake_.start_restore.options().clean());
  EXPECT_TRUE(fake_.start_restore.options().no_create());
  EXPECT_EQ(fake_.start_restore.options().jobs(), 4u);
  EXPECT_FALSE(fake_.start_restore.options().dry_run());
  ASSERT_EQ(Run({"restore", id, "--dry-run"}), 0) << err_.str();
  EXPECT_TRUE(fake_.start_restore.options().dry_run());
  ASSERT_EQ(Run({"backup", "test-restore", id}), 0) << err_.str();
  EXPECT_TRUE(fake_.start_restore.options().test_restore());
  EXPECT_FALSE(fake_.start_restore.options().clean());
}

TEST_F(CliCommandsTest, RestoreWaitOnTerminalDrawsABarTowardsTheStoredSize) {
  v1::Backup* b = fake_.backups.add_backups();
  b->set_id("20260115T020000Z-0badc0de");
  b->mutable_manifest()->set_stored_size_bytes(200);
  v1::Job running = MakeJob(v1::JOB_STATE_RUNNING, 100, 0, 1);
  running.set_kind(v1::JOB_KIND_RESTORE);
  v1::Job done = MakeJob(v1::JOB_STATE_SUCCEEDED, 200, 0, 2);
  done.set_kind(v1::JOB_KIND_RESTORE);
  fake_.stream = {running, done};
  ASSERT_EQ(Run({"restore", "20260115T020000Z-0badc0de", "--wait", "--target", "orders_copy",
                 "--via=orders"},
                /*tty=*/true),
            0)
      << err_.str();
  EXPECT_EQ(fake_.start_restore.backup_id(), "20260115T020000Z-0badc0de");
  EXPECT_EQ(fake_.start_restore.target(), "orders_copy");
  EXPECT_EQ(fake_.start_restore.via_database(), "orders");
  EXPECT_EQ(out_.str(),
            "restore job job-2 queued: backup 20260115T020000Z-0badc0de into orders_copy\n"
            "restore completed into orders_copy\n");
  // On stderr, redrawn in place; the clock stands still, so no rate.
  EXPECT_EQ(err_.str(), "\rrunning 50% [" + std::string(20, '#') + std::string(20, '.') +
                            "] 100 B / 200 B"
                            "\rsucceeded 100% [" +
                            std::string(40, '#') + "] 200 B / 200 B\n");
}

}  // namespace
}  // namespace dbdump
