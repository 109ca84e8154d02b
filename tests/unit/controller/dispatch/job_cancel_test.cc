// Cancelling jobs (Dispatcher::Cancel) against in-process fake agents: a
// running job is stopped at its agent and catalogues nothing, a queued one
// ends at once without reaching it, an ended one is refused, and a
// scheduled backup cancelled on request is not retried.
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "common/base/names.h"
#include "controller/dispatch/dispatcher.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_agent_client.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fixtures/dispatch_stack.h"
#include "tests/fixtures/test_catalogue.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

class JobCancelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-cancel.XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = *Store::Open(dir_ + "/c.db");
    ASSERT_TRUE(AddLocalStorage(store_.get(), dir_ + "/backups", clock_.Now()).ok());
    ASSERT_TRUE(AddInProcessAgent(store_.get(), "agent-1", clock_.Now()).ok());
    ASSERT_TRUE(AddSqliteDatabase(store_.get(), "orders", "agent-1", clock_.Now()).ok());
    ASSERT_TRUE(AddSqliteDatabase(store_.get(), "users", "agent-1", clock_.Now()).ok());
    agent_ = std::make_shared<FakeAgentClient>("agent-1", &tally_, &clock_);
    clients_.Add(agent_);
    DispatcherOptions o;
    o.clock = &clock_;
    o.max_running_jobs_per_agent = 1;
    stack_ = std::make_unique<DispatchStack>(store_.get(), &clients_, o, ended_.Collector());
  }
  void TearDown() override {
    stack_->dispatcher->Shutdown();
    stack_.reset();
    clients_.Clear();
    agent_->Stop();
    fs::remove_all(dir_);
  }
  v1::Job Backup(const std::string& database) {
    v1::StartBackupRequest req;
    req.set_database(database);
    absl::StatusOr<v1::Job> job = stack_->dispatcher->StartBackup(req);
    EXPECT_TRUE(job.ok()) << job.status();
    return job.ok() ? *job : v1::Job();
  }

  std::string dir_;
  FakeClock clock_{TimeFromString("2026-03-01T00:30:00Z")};
  FakeAgentTally tally_;
  std::shared_ptr<FakeAgentClient> agent_;
  FakeAgentClients clients_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<DispatchStack> stack_;
  EndedJobs ended_;
};

TEST_F(JobCancelTest, ARunningJobIsCancelledAtItsAgentAndNothingIsCatalogued) {
  agent_->Script("orders", [](int) { return FakeAgentClient::Outcome::kHold; });
  v1::Job job = Backup("orders");
  ASSERT_TRUE(tally_.WaitRunning(1, absl::Seconds(20)));

  absl::StatusOr<v1::Job> now = stack_->dispatcher->Cancel(job.id());
  ASSERT_TRUE(now.ok()) << now.status();
  ASSERT_TRUE(ended_.WaitFor(1, absl::Seconds(20)));
  v1::Job ended = ended_.jobs()[0];
  EXPECT_EQ(ended.state(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(ended.error(), "cancelled on request");
  EXPECT_GE(agent_->cancels(), 1) << "the agent was asked to stop the job";
  EXPECT_TRUE(absl::IsNotFound(store_->GetBackup(job.backup_id()).status()));
  EXPECT_TRUE(store_->ListBackups("orders")->empty());
}

TEST_F(JobCancelTest, AQueuedJobEndsAtOnceWithoutReachingItsAgent) {
  agent_->Script("orders", [](int) { return FakeAgentClient::Outcome::kHold; });
  v1::Job running = Backup("orders");
  ASSERT_TRUE(tally_.WaitRunning(1, absl::Seconds(20)));
  // One job at a time on the agent: this one waits.
  v1::Job queued = Backup("users");
  ASSERT_EQ(store_->GetJob(queued.id())->state(), v1::JOB_STATE_QUEUED);

  absl::StatusOr<v1::Job> now = stack_->dispatcher->Cancel(queued.id());
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_EQ(now->state(), v1::JOB_STATE_CANCELLED) << "no agent to wait for";
  EXPECT_EQ(now->error(), "cancelled on request");
  EXPECT_EQ(stack_->dispatcher->stats().queued, 0);

  agent_->ReleaseAll();
  ASSERT_TRUE(ended_.WaitFor(2, absl::Seconds(20)));
  EXPECT_EQ(store_->GetJob(running.id())->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(agent_->runs_of_database("users"), 0) << "the cancelled job was never sent";
  EXPECT_EQ(agent_->cancels(), 0);
}

TEST_F(JobCancelTest, AnEndedJobIsRefusedSayingHowItEnded) {
  v1::Job job = Backup("orders");
  ASSERT_TRUE(ended_.WaitFor(1, absl::Seconds(20)));
  absl::StatusOr<v1::Job> again = stack_->dispatcher->Cancel(job.id());
  EXPECT_TRUE(absl::IsFailedPrecondition(again.status())) << again.status();
  EXPECT_EQ(again.status().message(),
            "job " + job.id() + " already ended succeeded: only queued or running jobs can be "
            "cancelled");
  EXPECT_TRUE(absl::IsNotFound(stack_->dispatcher->Cancel("job-nope").status()));
}

TEST_F(JobCancelTest, AScheduledBackupCancelledOnRequestIsNotRetried) {
  v1::Schedule s;
  s.set_name("nightly");
  s.set_database("orders");
  s.set_cron("0 2 * * *");
  s.set_time_zone("UTC");
  s.set_enabled(true);
  s.set_max_attempts(3);
  ASSERT_TRUE(store_->CreateSchedule(s, clock_.Now()).ok());
  agent_->Script("orders", [](int) { return FakeAgentClient::Outcome::kHold; });
  BackupSettings settings = ScheduledBackupSettings(*store_->GetSchedule("nightly"));
  settings.database = "orders";
  absl::StatusOr<StoredJob> job = stack_->dispatcher->PrepareBackup(settings);
  ASSERT_TRUE(job.ok()) << job.status();
  ASSERT_TRUE(store_->CreateJob(job->job, job->request).ok());
  std::string id = job->job.id();
  stack_->dispatcher->Enqueue(*std::move(job));
  ASSERT_TRUE(tally_.WaitRunning(1, absl::Seconds(20)));

  ASSERT_TRUE(stack_->dispatcher->Cancel(id).ok());
  ASSERT_TRUE(ended_.WaitFor(1, absl::Seconds(20)));
  EXPECT_EQ(store_->GetJob(id)->state(), v1::JOB_STATE_CANCELLED);
  EXPECT_TRUE(store_->ActiveJobs()->empty()) << "no retry was queued";
  EXPECT_EQ(store_->GetSchedule("nightly")->last_result(), v1::SCHEDULE_RUN_RESULT_CANCELLED);
}

}  // namespace
}  // namespace dbdump
