// The printers of dbdumpctl: formatted values and tables. (The progress bar
// has its own test.)
#include <sstream>
#include <string>

#include "controller/cli/output/formatting.h"
#include "controller/cli/output/table_printer.h"
#include "gtest/gtest.h"
#include "tests/unit/controller/cli/cli_commands_fixture.h"

namespace dbdump {
namespace {

TEST(FormattingTest, DurationsPrintAsTheFlagsTakeThem) {
  EXPECT_EQ(HumanDuration(0), "0s");
  EXPECT_EQ(HumanDuration(45), "45s");
  EXPECT_EQ(HumanDuration(300), "5m");
  EXPECT_EQ(HumanDuration(5400), "1h30m");
  EXPECT_EQ(HumanDuration(21600), "6h");
  EXPECT_EQ(HumanDuration(2592000), "30d");
  EXPECT_EQ(HumanDuration(90061), "1d1h1m1s");
  EXPECT_EQ(HumanSeconds(12.34), "12.3s");
  EXPECT_EQ(HumanSeconds(59.9), "59.9s");
  EXPECT_EQ(HumanSeconds(3725.4), "1h2m5s");
}

TEST(FormattingTest, HumanBytesAndEnumNames) {
  EXPECT_EQ(HumanBytes(0), "0 B");
  EXPECT_EQ(HumanBytes(1023), "1023 B");
  EXPECT_EQ(HumanBytes(1536), "1.5 KiB");
  EXPECT_EQ(HumanBytes(1048575), "1.0 MiB");
  EXPECT_EQ(HumanBytes(5ull << 30), "5.0 GiB");
  EXPECT_EQ(JobStateName(v1::JOB_STATE_SUCCEEDED), "succeeded");
  EXPECT_EQ(EngineName(v1::ENGINE_POSTGRES), "postgres");
  EXPECT_EQ(StorageKindName(v1::STORAGE_KIND_LOCAL), "local");
  EXPECT_EQ(FormatRatio(10, 0), "-");
}

TEST(FormattingTest, RestoreTargetComesFromTheJobsOptions) {
  v1::Job job;
  job.set_kind(v1::JOB_KIND_RESTORE);
  job.set_restore_target("orders_copy");
  EXPECT_EQ(RestoreTargetText(job), "orders_copy");
  job.clear_restore_target();
  job.mutable_restore_options()->set_test_restore(true);
  EXPECT_EQ(RestoreTargetText(job), "(scratch database)");
  job.mutable_restore_options()->set_test_restore(false);
  job.mutable_restore_options()->set_dry_run(true);
  EXPECT_EQ(RestoreTargetText(job), "(dry run)");
  v1::Job backup;
  backup.set_kind(v1::JOB_KIND_BACKUP);
  EXPECT_EQ(RestoreTargetText(backup), "");
}

TEST(TablePrinterTest, AlignsColumnsWithoutTrailingSpaces) {
  TablePrinter table({"A", "LONGER"});
  table.AddRow({"wide-cell", ""});
  table.AddRow({"x"});
  std::ostringstream out;
  table.Print(out);
  EXPECT_EQ(out.str(),
            "A          LONGER\n"
            "wide-cell  -\n"
            "x          -\n");
}

}  // namespace
}  // namespace dbdump
