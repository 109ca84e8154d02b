// "job list|wait" against a scripted fake controller, and how followed jobs end.
#include <string>

#include "gtest/gtest.h"
#include "tests/unit/controller/cli/cli_commands_fixture.h"

namespace dbdump {
namespace {

TEST_F(CliCommandsTest, JobListPassesFiltersAndShortensEnums) {
  fake_.jobs.add_jobs()->CopyFrom(MakeJob(v1::JOB_STATE_FAILED, 2048, 0, 1));
  fake_.jobs.mutable_jobs(0)->set_error("pg_dump exited 1:\nno such table");
  ASSERT_EQ(Run({"job", "list", "--limit", "5", "--database=orders"}), 0) << err_.str();
  EXPECT_EQ(fake_.list_jobs.page_size(), 5u);
  EXPECT_EQ(fake_.list_jobs.database(), "orders");
  EXPECT_EQ(out_.str(),
            "ID     KIND    DATABASE  STATE   BACKUP                     IN       OUT  ERROR\n"
            "job-1  backup  orders    failed  20260115T020000Z-0badc0de  2.0 KiB  0 B  "
            "pg_dump exited 1: no such table\n");
}

TEST_F(CliCommandsTest, JobShowPrintsTheElapsedTimeAsADuration) {
  fake_.known_jobs = {MakeJob(v1::JOB_STATE_RUNNING, 2048, 1024, 3725.4)};
  ASSERT_EQ(Run({"job", "show", "job-1"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("\nelapsed:        1h2m5s\n"), std::string::npos) << out_.str();
  fake_.known_jobs[0].mutable_progress()->set_elapsed_s(12.34);
  ASSERT_EQ(Run({"job", "show", "job-1"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("\nelapsed:        12.3s\n"), std::string::npos) << out_.str();
}

TEST_F(CliCommandsTest, JobWaitFailureExitsOne) {
  v1::Job failed = MakeJob(v1::JOB_STATE_FAILED, 10, 0, 0.5);
  failed.set_error("connection refused");
  fake_.stream = {failed};
  EXPECT_EQ(Run({"job", "wait", "job-1"}), 1);
  // The progress line, then the outcome, both on stderr.
  EXPECT_EQ(err_.str(), "failed 10 B\njob job-1 failed: connection refused\n");

  fake_.stream = {MakeJob(v1::JOB_STATE_CANCELLED, 0, 0, 0)};
  EXPECT_EQ(Run({"job", "wait", "job-1"}), 1);
  EXPECT_EQ(err_.str(), "cancelled 0 B\njob job-1 cancelled\n");
}

TEST_F(CliCommandsTest, JobWaitStreamEndingEarlyIsAnError) {
  fake_.stream = {MakeJob(v1::JOB_STATE_RUNNING, 0, 0, 0)};
  EXPECT_EQ(Run({"job", "wait", "job-1"}), 1);
  EXPECT_NE(err_.str().find("run \"dbdumpctl job wait job-1\""), std::string::npos) << err_.str();
}

TEST_F(CliCommandsTest, JobWaitJsonPrintsOnlyTheFinalJob) {
  fake_.stream = {MakeJob(v1::JOB_STATE_RUNNING, 1, 1, 1),
                  MakeJob(v1::JOB_STATE_SUCCEEDED, 2, 2, 2)};
  ASSERT_EQ(Run({"--output=json", "job", "wait", "job-1"}), 0) << err_.str();
  EXPECT_EQ(out_.str().front(), '{');
  EXPECT_NE(out_.str().find("\"state\": \"JOB_STATE_SUCCEEDED\""), std::string::npos);
  EXPECT_EQ(out_.str().find("RUNNING"), std::string::npos);
}

TEST_F(CliCommandsTest, JobCancelSaysWhetherTheJobEndedOrIsStopping) {
  fake_.cancelled_job = MakeJob(v1::JOB_STATE_CANCELLED, 0, 0, 0);
  ASSERT_EQ(Run({"job", "cancel", "job-1"}), 0) << err_.str();
  EXPECT_EQ(fake_.cancel_job.id(), "job-1");
  EXPECT_EQ(out_.str(), "job job-1 cancelled\n");

  fake_.cancelled_job = MakeJob(v1::JOB_STATE_RUNNING, 10, 5, 1);
  fake_.cancelled_job.set_agent("agent-1");
  ASSERT_EQ(Run({"job", "cancel", "job-1"}), 0) << err_.str();
  EXPECT_EQ(out_.str(),
            "job job-1 is being cancelled by agent agent-1: \"dbdumpctl job wait job-1\" follows "
            "it to its end\n");

  EXPECT_EQ(Run({"job", "cancel"}), 2) << "the job id is required";
  EXPECT_EQ(Run({"job", "cancel", "../x"}), 2) << err_.str();
}

}  // namespace
}  // namespace dbdump

namespace dbdump {
namespace {

TEST_F(CliCommandsTest, ListsTakeLimitsAndPageTokensAndSayWhenMoreFollow) {
  ASSERT_EQ(Run({"job", "list", "--state=failed", "--limit=5", "--page-token=p1.abc"}), 0)
      << err_.str();
  EXPECT_EQ(fake_.list_jobs.state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(fake_.list_jobs.page_size(), 5u);
  EXPECT_EQ(fake_.list_jobs.page_token(), "p1.abc");
  EXPECT_EQ(Run({"job", "list", "--limit=1001"}), 2);
  EXPECT_EQ(Run({"job", "list", "--state=done"}), 2);

  fake_.databases.add_databases()->mutable_target()->set_name("orders");
  fake_.databases.set_next_page_token("p1.next");
  ASSERT_EQ(Run({"database", "list", "--limit=1"}), 0) << err_.str();
  EXPECT_EQ(err_.str(), "more databases: repeat with --page-token=p1.next\n");
  EXPECT_EQ(out_.str().find("p1.next"), std::string::npos) << "the table stays alone on stdout";
}

}  // namespace
}  // namespace dbdump
