// dbdumpctl schedule / retention / stats / health verbs against a fake
// controller: the requests they send, what they print, and usage errors.
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "controller/cli/cli.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_controller_client.h"

namespace dbdump {
namespace {

class ScheduleCommandsTest : public ::testing::Test {
 protected:
  int Run(const std::vector<std::string>& args) {
    CliOptions options;
    options.make_client = [this](const ControllerConnection& connection) {
      call_timeout_ = connection.timeout;
      return std::make_unique<FakeControllerClient>(&fake_);
    };
    out_.str("");
    err_.str("");
    return Cli(options).Run(args, out_, err_);
  }
  FakeController fake_;
  absl::Duration call_timeout_;
  std::ostringstream out_, err_;
};

TEST_F(ScheduleCommandsTest, AddSendsTheScheduleAndShowsNextRunsInItsZone) {
  ASSERT_EQ(Run({"schedule", "add", "nightly", "--database=orders", "--cron=30 2 * * *",
                 "--tz=Europe/Berlin", "--keep-last=7", "--keep-within=30d", "--keep-daily=7",
                 "--keep-weekly=4", "--keep-monthly=12", "--keep-yearly=3", "--max-attempts=3",
                 "--retry-backoff=5m", "--timeout=2h", "--compression=gzip"}),
            0)
      << err_.str();
  const v1::Schedule& s = fake_.create_schedule.schedule();
  EXPECT_EQ(s.name(), "nightly");
  EXPECT_EQ(s.database(), "orders");
  EXPECT_EQ(s.cron(), "30 2 * * *");
  EXPECT_EQ(s.time_zone(), "Europe/Berlin");
  EXPECT_EQ(s.retention().keep_last(), 7u);
  EXPECT_EQ(s.retention().keep_within_s(), 30u * 86400);
  EXPECT_EQ(s.retention().keep_daily(), 7u);
  EXPECT_EQ(s.retention().keep_weekly(), 4u);
  EXPECT_EQ(s.retention().keep_monthly(), 12u);
  EXPECT_EQ(s.retention().keep_yearly(), 3u);
  EXPECT_EQ(s.max_attempts(), 3u);
  EXPECT_EQ(s.retry_backoff_s(), 300u);
  EXPECT_EQ(s.timeout_s(), 7200u);
  EXPECT_EQ(s.compression(), v1::COMPRESSION_GZIP);
  EXPECT_FALSE(fake_.create_schedule.start_disabled());
  std::string out = out_.str();
  EXPECT_NE(out.find("schedule nightly created"), std::string::npos) << out;
  // --timeout after "schedule add" is the schedule's, not the call's.
  EXPECT_EQ(call_timeout_, absl::Seconds(30));
  // Durations as the flags take them, and the retry backoff.
  EXPECT_NE(out.find("retention:     last 7, within 30d, daily 7, weekly 4, monthly 12, yearly 3\n"
                     "attempts:      3\n"
                     "retry backoff: 5m, doubled for each further retry\n"
                     "timeout:       2h\n"),
            std::string::npos)
      << out;
  // The DST night: 03:00 CEST, then 02:30 CEST.
  EXPECT_NE(out.find("next runs:\n  2026-03-28 02:30 CET  (2026-03-28T01:30:00Z)\n"
                     "  2026-03-29 03:00 CEST  (2026-03-29T01:00:00Z)\n"
                     "  2026-03-30 02:30 CEST  (2026-03-30T00:30:00Z)\n"),
            std::string::npos)
      << out;
}

TEST_F(ScheduleCommandsTest, AddWithoutZoneOrWithABadDurationIsAUsageError) {
  EXPECT_EQ(Run({"schedule", "add", "n", "--database=orders", "--cron=@daily"}), 2);
  EXPECT_NE(err_.str().find("--tz"), std::string::npos) << err_.str();
  EXPECT_EQ(Run({"schedule", "add", "n", "--database=orders", "--cron=@daily", "--tz=UTC",
                 "--keep-within=30x"}),
            2);
  EXPECT_NE(err_.str().find("--keep-within=30x is not a duration"), std::string::npos)
      << err_.str();
  // Parts largest first, each unit once.
  EXPECT_EQ(Run({"schedule", "add", "n", "--database=orders", "--cron=@daily", "--tz=UTC",
                 "--timeout=30m1h"}),
            2);
  EXPECT_NE(err_.str().find("--timeout=30m1h is not a duration"), std::string::npos) << err_.str();
  EXPECT_EQ(Run({"schedule", "add", "n", "--database=orders", "--cron=@daily", "--tz=UTC",
                 "--retry-backoff=1m1m"}),
            2);
  EXPECT_EQ(Run({"schedule", "add", "../x", "--database=orders", "--cron=@daily", "--tz=UTC"}), 2);
  EXPECT_EQ(fake_.calls, 0) << "nothing reaches the controller from a wrong command line";
}

// What "schedule show" prints is what "schedule add" takes back.
TEST_F(ScheduleCommandsTest, CompoundDurationsRoundTrip) {
  ASSERT_EQ(Run({"schedule", "add", "n", "--database=orders", "--cron=@daily", "--tz=UTC",
                 "--timeout=1h30m", "--retry-backoff=90", "--max-attempts=2",
                 "--keep-within=2d12h"}),
            0)
      << err_.str();
  const v1::Schedule& s = fake_.create_schedule.schedule();
  EXPECT_EQ(s.timeout_s(), 5400u);
  EXPECT_EQ(s.retry_backoff_s(), 90u);
  EXPECT_EQ(s.retention().keep_within_s(), 2u * 86400 + 12 * 3600);
  std::string out = out_.str();
  EXPECT_NE(out.find("within 2d12h\n"), std::string::npos) << out;
  EXPECT_NE(out.find("retry backoff: 1m30s, doubled"), std::string::npos) << out;
  EXPECT_NE(out.find("timeout:       1h30m\n"), std::string::npos) << out;
}

TEST_F(ScheduleCommandsTest, ControllerRefusalOfTheCronIsShownAsIs) {
  fake_.create_schedule_error = absl::InvalidArgumentError(
      "cron expression \"0 25 * * *\": field 2 (hour) \"25\" has 25, out of range");
  EXPECT_EQ(Run({"schedule", "add", "n", "--database=orders", "--cron=0 25 * * *", "--tz=UTC"}), 1);
  EXPECT_EQ(err_.str(),
            "dbdumpctl: error: cron expression \"0 25 * * *\": field 2 (hour) \"25\" has 25, out "
            "of range\n");
}

TEST_F(ScheduleCommandsTest, NextPreviewsAnExpression) {
  ASSERT_EQ(Run({"schedule", "next", "@monthly", "--tz=America/New_York", "--count=1"}), 0)
      << err_.str();
  EXPECT_EQ(fake_.preview_schedule.cron(), "@monthly");
  EXPECT_EQ(fake_.preview_schedule.time_zone(), "America/New_York");
  EXPECT_EQ(fake_.preview_schedule.count(), 1u);
  EXPECT_EQ(out_.str(), "2026-04-01 00:00 EDT (UTC-04:00)  2026-04-01T04:00:00Z\n");
}

TEST_F(ScheduleCommandsTest, EnableAndDisable) {
  ASSERT_EQ(Run({"schedule", "disable", "nightly"}), 0);
  EXPECT_FALSE(fake_.set_schedule_enabled.enabled());
  EXPECT_EQ(out_.str(), "schedule nightly disabled\n");
  ASSERT_EQ(Run({"schedule", "enable", "nightly"}), 0);
  EXPECT_TRUE(fake_.set_schedule_enabled.enabled());
  EXPECT_EQ(out_.str(),
            "schedule nightly enabled, next run 2026-03-28 02:30 CET  (2026-03-28T01:30:00Z)\n");
}

TEST_F(ScheduleCommandsTest, RetentionPlanListsWhatWouldGoAndWhy) {
  auto* v = fake_.plan_response.add_verdicts();
  v->set_backup_id("20260302T010000Z-aaaaaaaa");
  v->set_created_at("2026-03-02T01:00:00Z");
  v->set_keep(true);
  v->set_reason("kept: newest successful backup, one of the last 1");
  v->set_stored_size_bytes(2048);
  v = fake_.plan_response.add_verdicts();
  v->set_backup_id("20260301T010000Z-bbbbbbbb");
  v->set_created_at("2026-03-01T01:00:00Z");
  v->set_keep(false);
  v->set_reason("delete: not kept by last 1");
  v->set_stored_size_bytes(1024);
  fake_.plan_response.set_rules("last 1 (given rules)");
  ASSERT_EQ(Run({"retention", "plan", "orders", "--keep-last=1"}), 0) << err_.str();
  EXPECT_TRUE(fake_.plan_retention.use_given_rules());
  EXPECT_EQ(fake_.plan_retention.rules().keep_last(), 1u);
  std::string out = out_.str();
  EXPECT_NE(out.find("retention of orders: last 1 (given rules)"), std::string::npos) << out;
  EXPECT_NE(out.find("20260301T010000Z-bbbbbbbb  2026-03-01T01:00:00Z  1.0 KiB  delete   not kept by last 1"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("dry run: 1 of 2 backups would be deleted, freeing 1.0 KiB"), std::string::npos)
      << out;

  ASSERT_EQ(Run({"retention", "plan", "orders"}), 0);
  EXPECT_FALSE(fake_.plan_retention.use_given_rules()) << "without flags the schedule's rules apply";
}

TEST_F(ScheduleCommandsTest, BackupVerifyFailsLoudlyOnAMismatch) {
  fake_.verify_response.mutable_backup()->set_verified_at("2026-03-01T02:00:00Z");
  ASSERT_EQ(Run({"backup", "verify", "20260301T010000Z-0a1b2c3d"}), 0) << err_.str();
  EXPECT_EQ(out_.str(),
            "backup 20260301T010000Z-0a1b2c3d verified at 2026-03-01T02:00:00Z: both sha256 "
            "checksums match the manifest\n");
  fake_.verify_response.mutable_backup()->set_verify_error("stored sha256 ab does not match");
  EXPECT_EQ(Run({"backup", "verify", "20260301T010000Z-0a1b2c3d"}), 1);
  EXPECT_EQ(err_.str(),
            "dbdumpctl: error: backup 20260301T010000Z-0a1b2c3d failed verification: stored "
            "sha256 ab does not match\n");
  EXPECT_EQ(Run({"backup", "verify", "../etc"}), 2);
}

TEST_F(ScheduleCommandsTest, RetentionApplyReportsDeletionsAndFailures) {
  fake_.apply_response.set_rules("last 1 (schedule nightly, UTC)");
  fake_.apply_response.add_deleted("20260301T010000Z-0a1b2c3d");
  ASSERT_EQ(Run({"retention", "apply", "orders"}), 0) << err_.str();
  EXPECT_EQ(out_.str(),
            "retention of orders: last 1 (schedule nightly, UTC)\ndeleted "
            "20260301T010000Z-0a1b2c3d\n1 backup deleted\n");
  fake_.apply_response.add_errors("20260302T010000Z-0a1b2c3d: agent offline");
  EXPECT_EQ(Run({"retention", "apply", "orders"}), 1);
  EXPECT_NE(out_.str().find("not deleted: 20260302T010000Z-0a1b2c3d: agent offline"),
            std::string::npos);
}

TEST_F(ScheduleCommandsTest, HealthExitsOneWhenDegradedAndZeroWhenOk) {
  fake_.health.set_status("ok");
  fake_.health.set_agents_online(1);
  EXPECT_EQ(Run({"health"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("status"), std::string::npos);
  EXPECT_EQ(err_.str(), "");

  fake_.health.set_status("degraded");
  fake_.health.add_problems("agent db1 is offline (last heartbeat 2026-01-01T00:00:00Z)");
  EXPECT_EQ(Run({"health"}), 1);
  // The answer is printed all the same, then the verdict on stderr.
  EXPECT_NE(out_.str().find("problem: agent db1 is offline"), std::string::npos) << out_.str();
  EXPECT_NE(err_.str().find("degraded (1 problem)"), std::string::npos) << err_.str();
  EXPECT_EQ(Run({"--output=json", "health"}), 1);
  EXPECT_NE(out_.str().find("\"degraded\""), std::string::npos) << out_.str();
}

TEST_F(ScheduleCommandsTest, RetentionSetGivesADatabaseItsOwnRules) {
  ASSERT_EQ(Run({"retention", "set", "orders", "--keep-last=3", "--keep-monthly=6",
                 "--tz=Europe/Berlin"}),
            0)
      << err_.str();
  EXPECT_EQ(fake_.set_retention.database(), "orders");
  EXPECT_EQ(fake_.set_retention.rules().keep_last(), 3u);
  EXPECT_EQ(fake_.set_retention.rules().keep_monthly(), 6u);
  EXPECT_EQ(fake_.set_retention.time_zone(), "Europe/Berlin");
  EXPECT_EQ(out_.str(),
            "retention of orders: last 3, monthly 6 (rules of database orders, Europe/Berlin)\n");
  ASSERT_EQ(Run({"retention", "set", "orders"}), 0);
  EXPECT_EQ(fake_.set_retention.rules().ByteSizeLong(), 0u) << "no flags: rules removed";
  EXPECT_EQ(fake_.set_retention.time_zone(), "UTC");
}

}  // namespace
}  // namespace dbdump
