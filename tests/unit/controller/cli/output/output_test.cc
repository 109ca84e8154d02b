// The printers of dbdumpctl: progress lines, formatted values, tables. (MakeJob
// comes with the fake controller.)
#include <sstream>
#include <string>

#include "controller/cli/output/formatting.h"
#include "controller/cli/output/progress_printer.h"
#include "controller/cli/output/table_printer.h"
#include "gtest/gtest.h"
#include "tests/unit/controller/cli/cli_commands_fixture.h"

namespace dbdump {
namespace {

TEST(ProgressPrinterTest, ThrottlesUnchangedStateOffTerminal) {
  std::ostringstream out;
  absl::Time now = absl::UnixEpoch();
  ProgressPrinter printer({&out, false, [&] { return now; }, absl::Seconds(2)});
  printer.Update(MakeJob(v1::JOB_STATE_RUNNING, 1, 1, 0));
  now += absl::Seconds(1);
  printer.Update(MakeJob(v1::JOB_STATE_RUNNING, 2, 2, 1));  // too soon
  now += absl::Seconds(1);
  printer.Update(MakeJob(v1::JOB_STATE_RUNNING, 3, 3, 2));    // 2 s since the last line
  printer.Update(MakeJob(v1::JOB_STATE_SUCCEEDED, 4, 4, 2));  // state change
  printer.Finish();
  EXPECT_EQ(out.str(),
            "running in=1 B out=1 B 0.0s\n"
            "running in=3 B out=3 B 2.0s\n"
            "succeeded in=4 B out=4 B 2.0s\n");
}

TEST(ProgressPrinterTest, BlanksTheRestOfALongerLineOnTerminal) {
  std::ostringstream out;
  ProgressPrinter printer({&out, true, nullptr, absl::Seconds(2)});
  printer.Update(MakeJob(v1::JOB_STATE_RUNNING, 2048, 2048, 10));
  printer.Update(MakeJob(v1::JOB_STATE_RUNNING, 1, 1, 1));
  printer.Finish();
  EXPECT_EQ(out.str(),
            "\rrunning in=2.0 KiB out=2.0 KiB 10.0s"
            "\rrunning in=1 B out=1 B 1.0s         \n");
}

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
