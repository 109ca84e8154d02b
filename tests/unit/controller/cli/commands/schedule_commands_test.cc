// dbdumpctl schedule / retention / stats / health verbs against a fake
// controller: the requests they send, what they print, and usage errors.
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "controller/cli/cli.h"
#include "controller/cli/client/controller_client.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {

struct ScheduleFake {
  v1::CreateScheduleRequest create;
  v1::PreviewScheduleRequest preview;
  v1::PlanRetentionRequest plan;
  v1::GetScheduleRequest get;
  v1::SetScheduleEnabledRequest enable;
  v1::PlanRetentionResponse plan_response;
  absl::Status create_error;
  int calls = 0;
  v1::VerifyStoredBackupResponse verify_response;
  v1::ApplyRetentionResponse apply_response;
  v1::SetDatabaseRetentionRequest set_retention;
};

// Only the calls these verbs make are scripted; the rest are refused.
class ScheduleFakeClient : public ControllerClient {
 public:
  explicit ScheduleFakeClient(ScheduleFake* f) : f_(f) {}
#define DBDUMP_REFUSE(Rpc)                                                       \
  absl::StatusOr<v1::Rpc##Response> Rpc(const v1::Rpc##Request&) override {     \
    return absl::UnimplementedError(#Rpc " not scripted");                       \
  }
  DBDUMP_REFUSE(ListAgents)
  DBDUMP_REFUSE(AddDatabase)
  DBDUMP_REFUSE(ListDatabases)
  DBDUMP_REFUSE(RemoveDatabase)
  DBDUMP_REFUSE(AddStorage)
  DBDUMP_REFUSE(ListStorages)
  DBDUMP_REFUSE(RemoveStorage)
  DBDUMP_REFUSE(StartBackup)
  DBDUMP_REFUSE(ListBackups)
  DBDUMP_REFUSE(GetBackup)
  DBDUMP_REFUSE(StartRestore)
  DBDUMP_REFUSE(ListJobs)
  DBDUMP_REFUSE(GetJob)
#undef DBDUMP_REFUSE
  absl::Status FollowJob(const v1::FollowJobRequest&,
                         const std::function<void(const v1::Job&)>&) override {
    return absl::UnimplementedError("FollowJob not scripted");
  }

  absl::StatusOr<v1::CreateScheduleResponse> CreateSchedule(
      const v1::CreateScheduleRequest& req) override {
    ++f_->calls;
    f_->create = req;
    if (!f_->create_error.ok()) return f_->create_error;
    v1::CreateScheduleResponse resp;
    *resp.mutable_schedule() = req.schedule();
    resp.mutable_schedule()->set_enabled(!req.start_disabled());
    for (const char* t : {"2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z",
                          "2026-03-31T00:30:00Z", "2026-04-01T00:30:00Z"}) {
      resp.mutable_schedule()->add_next_runs(t);
    }
    return resp;
  }
  absl::StatusOr<v1::PreviewScheduleResponse> PreviewSchedule(
      const v1::PreviewScheduleRequest& req) override {
    ++f_->calls;
    f_->preview = req;
    v1::PreviewScheduleResponse resp;
    resp.add_next_runs("2026-04-01T04:00:00Z");
    resp.add_next_runs_local("2026-04-01 00:00 EDT (UTC-04:00)");
    return resp;
  }
  absl::StatusOr<v1::PlanRetentionResponse> PlanRetention(
      const v1::PlanRetentionRequest& req) override {
    ++f_->calls;
    f_->plan = req;
    return f_->plan_response;
  }
  absl::StatusOr<v1::SetScheduleEnabledResponse> SetScheduleEnabled(
      const v1::SetScheduleEnabledRequest& req) override {
    ++f_->calls;
    f_->enable = req;
    v1::SetScheduleEnabledResponse resp;
    resp.mutable_schedule()->set_name(req.name());
    resp.mutable_schedule()->set_time_zone("Europe/Berlin");
    if (req.enabled()) resp.mutable_schedule()->set_next_run_at("2026-03-28T01:30:00Z");
    return resp;
  }
  absl::StatusOr<v1::VerifyStoredBackupResponse> VerifyBackup(
      const v1::VerifyStoredBackupRequest&) override {
    ++f_->calls;
    return f_->verify_response;
  }
  absl::StatusOr<v1::ApplyRetentionResponse> ApplyRetention(
      const v1::ApplyRetentionRequest&) override {
    ++f_->calls;
    return f_->apply_response;
  }
  absl::StatusOr<v1::SetDatabaseRetentionResponse> SetDatabaseRetention(
      const v1::SetDatabaseRetentionRequest& req) override {
    ++f_->calls;
    f_->set_retention = req;
    v1::SetDatabaseRetentionResponse resp;
    resp.set_rules("last 3, monthly 6 (rules of database orders, Europe/Berlin)");
    return resp;
  }

 private:
  ScheduleFake* f_;
};

class ScheduleCommandsTest : public ::testing::Test {
 protected:
  int Run(const std::vector<std::string>& args) {
    CliOptions options;
    options.make_client = [this](const std::string&, absl::Duration) {
      return std::make_unique<ScheduleFakeClient>(&fake_);
    };
    out_.str("");
    err_.str("");
    return Cli(options).Run(args, out_, err_);
  }
  ScheduleFake fake_;
  std::ostringstream out_, err_;
};

TEST_F(ScheduleCommandsTest, AddSendsTheScheduleAndShowsNextRunsInItsZone) {
  ASSERT_EQ(Run({"schedule", "add", "nightly", "--database=orders", "--cron=30 2 * * *",
                 "--tz=Europe/Berlin", "--keep-last=7", "--keep-within=30d", "--keep-daily=7",
                 "--keep-weekly=4", "--keep-monthly=12", "--keep-yearly=3", "--max-attempts=3",
                 "--retry-backoff=5m", "--timeout=2h", "--compression=gzip"}),
            0)
      << err_.str();
  const v1::Schedule& s = fake_.create.schedule();
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
  EXPECT_FALSE(fake_.create.start_disabled());
  std::string out = out_.str();
  EXPECT_NE(out.find("schedule nightly created"), std::string::npos) << out;
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
  EXPECT_EQ(Run({"schedule", "add", "../x", "--database=orders", "--cron=@daily", "--tz=UTC"}), 2);
  EXPECT_EQ(fake_.calls, 0) << "nothing reaches the controller from a wrong command line";
}

TEST_F(ScheduleCommandsTest, ControllerRefusalOfTheCronIsShownAsIs) {
  fake_.create_error = absl::InvalidArgumentError(
      "cron expression \"0 25 * * *\": field 2 (hour) \"25\" has 25, out of range");
  EXPECT_EQ(Run({"schedule", "add", "n", "--database=orders", "--cron=0 25 * * *", "--tz=UTC"}), 1);
  EXPECT_EQ(err_.str(),
            "dbdumpctl: error: cron expression \"0 25 * * *\": field 2 (hour) \"25\" has 25, out "
            "of range\n");
}

TEST_F(ScheduleCommandsTest, NextPreviewsAnExpression) {
  ASSERT_EQ(Run({"schedule", "next", "@monthly", "--tz=America/New_York", "--count=1"}), 0)
      << err_.str();
  EXPECT_EQ(fake_.preview.cron(), "@monthly");
  EXPECT_EQ(fake_.preview.time_zone(), "America/New_York");
  EXPECT_EQ(fake_.preview.count(), 1u);
  EXPECT_EQ(out_.str(), "2026-04-01 00:00 EDT (UTC-04:00)  2026-04-01T04:00:00Z\n");
}

TEST_F(ScheduleCommandsTest, EnableAndDisable) {
  ASSERT_EQ(Run({"schedule", "disable", "nightly"}), 0);
  EXPECT_FALSE(fake_.enable.enabled());
  EXPECT_EQ(out_.str(), "schedule nightly disabled\n");
  ASSERT_EQ(Run({"schedule", "enable", "nightly"}), 0);
  EXPECT_TRUE(fake_.enable.enabled());
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
  EXPECT_TRUE(fake_.plan.use_given_rules());
  EXPECT_EQ(fake_.plan.rules().keep_last(), 1u);
  std::string out = out_.str();
  EXPECT_NE(out.find("retention of orders: last 1 (given rules)"), std::string::npos) << out;
  EXPECT_NE(out.find("20260301T010000Z-bbbbbbbb  2026-03-01T01:00:00Z  1.0 KiB  delete   not kept by last 1"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("dry run: 1 of 2 backups would be deleted, freeing 1.0 KiB"), std::string::npos)
      << out;

  ASSERT_EQ(Run({"retention", "plan", "orders"}), 0);
  EXPECT_FALSE(fake_.plan.use_given_rules()) << "without flags the schedule's rules apply";
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
