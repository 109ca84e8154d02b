// "backup run|list|show" against a scripted fake controller.
#include <string>

#include "gtest/gtest.h"
#include "tests/unit/controller/cli/cli_commands_fixture.h"

namespace dbdump {
namespace {

TEST_F(CliCommandsTest, BackupListAndShow) {
  v1::Backup* b = fake_.backups.add_backups();
  b->set_id("20260115T020000Z-0badc0de");
  b->set_database("orders");
  b->set_state(v1::BACKUP_STATE_COMPLETED);
  b->set_duration_s(12.34);
  b->set_created_at("2026-01-15T02:00:00Z");
  b->mutable_manifest()->set_raw_size_bytes(10 * 1024 * 1024);
  b->mutable_manifest()->set_stored_size_bytes(2 * 1024 * 1024);
  b->mutable_manifest()->set_compression(v1::COMPRESSION_ZSTD);
  b->mutable_manifest()->set_raw_sha256("aa11");
  b->mutable_manifest()->set_stored_sha256("bb22");
  ASSERT_EQ(Run({"backup", "list", "--database", "orders"}), 0) << err_.str();
  EXPECT_EQ(fake_.list_backups.database(), "orders");
  EXPECT_EQ(
      out_.str(),
      "ID                         DATABASE  STATE      SIZE     RAW       RATIO  COMPRESSION  "
      "DURATION  CREATED\n"
      "20260115T020000Z-0badc0de  orders    completed  2.0 MiB  10.0 MiB  5.00x  zstd         "
      "12.3s     2026-01-15T02:00:00Z\n");

  ASSERT_EQ(Run({"backup", "show", "20260115T020000Z-0badc0de"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("raw size:         10485760 bytes (10.0 MiB)\n"), std::string::npos)
      << out_.str();
  EXPECT_NE(out_.str().find("raw sha256:       aa11\n"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("stored sha256:    bb22\n"), std::string::npos) << out_.str();

  EXPECT_EQ(Run({"backup", "show", "20260115T020000Z-ffffffff"}), 1);
  EXPECT_EQ(err_.str(), "dbdumpctl: error: backup \"20260115T020000Z-ffffffff\" not found\n");
}

TEST_F(CliCommandsTest, BackupRunWaitSucceeds) {
  v1::Backup* b = fake_.backups.add_backups();
  b->set_id("20260115T020000Z-0badc0de");
  b->set_duration_s(3.0);
  b->mutable_manifest()->set_raw_size_bytes(4096);
  b->mutable_manifest()->set_stored_size_bytes(1024);
  fake_.stream = {MakeJob(v1::JOB_STATE_QUEUED, 0, 0, 0),
                  MakeJob(v1::JOB_STATE_RUNNING, 1024, 256, 1.0),
                  MakeJob(v1::JOB_STATE_RUNNING, 2048, 512, 2.0),
                  MakeJob(v1::JOB_STATE_SUCCEEDED, 4096, 1024, 3.0)};
  ASSERT_EQ(Run({"backup", "run", "orders", "--wait", "--compression", "gzip", "--level=9"}), 0)
      << err_.str();
  EXPECT_EQ(fake_.start_backup.database(), "orders");
  EXPECT_EQ(fake_.start_backup.compression(), v1::COMPRESSION_GZIP);
  EXPECT_EQ(fake_.start_backup.compression_level(), 9);
  EXPECT_EQ(fake_.followed, "job-1");
  EXPECT_EQ(out_.str(),
            "backup job job-1 queued for orders\n"
            "backup 20260115T020000Z-0badc0de completed: 4.0 KiB -> 1.0 KiB (4.00x) in 3.0s\n");
  // The size is estimated from the last completed backup of the database.
  EXPECT_EQ(fake_.list_backups.database(), "orders");
  EXPECT_EQ(fake_.list_backups.page_size(), 1u);
  EXPECT_EQ(fake_.list_backups.state(), v1::BACKUP_STATE_COMPLETED);
  // Not a terminal and the clock stands still: one line per state only, on
  // stderr; past the estimate the percentage goes.
  EXPECT_EQ(err_.str(),
            "queued ~0% 0 B / ~4.0 KiB\n"
            "running ~25% 1.0 KiB / ~4.0 KiB\n"
            "succeeded 4.0 KiB\n");
}

TEST_F(CliCommandsTest, BackupRunWithoutWaitDefaultsToZstd) {
  ASSERT_EQ(Run({"backup", "run", "orders"}), 0) << err_.str();
  EXPECT_EQ(fake_.start_backup.compression(), v1::COMPRESSION_ZSTD);
  EXPECT_EQ(fake_.followed, "");
  EXPECT_EQ(out_.str(), "backup job job-1 queued for orders\n");
}

}  // namespace
}  // namespace dbdump

namespace dbdump {
namespace {

TEST_F(CliCommandsTest, BackupDeleteAsksNothingAndSaysWhatWasRemoved) {
  ASSERT_EQ(Run({"backup", "delete", "20260115T020000Z-0badc0de"}), 0) << err_.str();
  EXPECT_EQ(fake_.delete_backup.id(), "20260115T020000Z-0badc0de");
  EXPECT_EQ(out_.str(),
            "backup 20260115T020000Z-0badc0de of orders deleted (2 objects removed from storage "
            "local); it stays in the catalogue as deleted\n");

  fake_.delete_backup_error = absl::FailedPreconditionError(
      "backup 20260115T020000Z-0badc0de was already deleted at 2026-01-16T00:00:00Z: nothing is "
      "left to delete");
  EXPECT_EQ(Run({"backup", "delete", "20260115T020000Z-0badc0de"}), 1);
  EXPECT_EQ(err_.str(),
            "dbdumpctl: error: backup 20260115T020000Z-0badc0de was already deleted at "
            "2026-01-16T00:00:00Z: nothing is left to delete\n");
  EXPECT_EQ(Run({"backup", "delete"}), 2) << "the backup id is required";
}

}  // namespace
}  // namespace dbdump
