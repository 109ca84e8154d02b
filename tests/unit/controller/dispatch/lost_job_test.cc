// Jobs LOST because contact with their agent was lost: the outcome stays
// pending and is learned from the agent when it answers again
// (Dispatcher::ResolveLostJobs); and the readiness grace after a start, in
// which a job for a silent agent waits for its heartbeat instead of being
// refused. In-process fake agents, a fake clock, a real store in a temp
// directory; waits are on conditions, never fixed sleeps.
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
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

using Outcome = FakeAgentClient::Outcome;

class LostJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-lost.XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = *Store::Open(dir_ + "/c.db");
    ASSERT_TRUE(AddLocalStorage(store_.get(), dir_ + "/backups", clock_.Now()).ok());
    agent_ = std::make_shared<FakeAgentClient>("agent-1", &tally_, &clock_);
    clients_.Add(agent_);
    Heartbeat();
    ASSERT_TRUE(AddSqliteDatabase(store_.get(), "orders", "agent-1", clock_.Now()).ok());
    Open();
  }
  void TearDown() override {
    if (stack_) stack_->dispatcher->Shutdown();
    stack_.reset();
    clients_.Clear();
    agent_->Stop();
    fs::remove_all(dir_);
  }
  void Open() {
    DispatcherOptions o;
    o.clock = &clock_;
    if (stack_) stack_->dispatcher->Shutdown();
    stack_ = std::make_unique<DispatchStack>(store_.get(), &clients_, o, ended_.Collector());
  }
  Dispatcher* dispatcher() { return stack_->dispatcher.get(); }
  void Heartbeat() { ASSERT_TRUE(AddInProcessAgent(store_.get(), "agent-1", clock_.Now()).ok()); }
  v1::Job Backup() {
    v1::StartBackupRequest req;
    req.set_database("orders");
    absl::StatusOr<v1::Job> job = dispatcher()->StartBackup(req);
    EXPECT_TRUE(job.ok()) << job.status();
    return job.ok() ? *job : v1::Job();
  }
  void WaitStored(const std::string& job_id, v1::JobState state) {
    v1::Job seen;
    uint64_t version = 0;
    while (seen.state() != state) {
      ASSERT_TRUE(stack_->updates.WaitNewer(job_id, version, absl::Seconds(10), &seen, &version))
          << "job " << job_id << " is " << v1::JobState_Name(seen.state());
    }
  }
  v1::Job Stored(const std::string& job_id) { return *store_->GetJob(job_id); }
  // Until every follower returned and settled its job's end: a job is not
  // reopened while its last end is being settled.
  void WaitIdle() {
    for (int i = 0; i < 1000; ++i) {
      DispatcherStats st = dispatcher()->stats();
      if (st.running == 0 && st.settling == 0) return;
      absl::SleepFor(absl::Milliseconds(10));
    }
    FAIL() << "the dispatcher stayed busy";
  }

  // Starts a backup held at the agent and loses contact with the agent:
  // no heartbeat for 3 intervals, CheckAgents ends the job LOST.
  v1::Job LoseABackup(Outcome outcome) {
    agent_->Script("orders", [outcome](int) { return outcome; });
    v1::Job job = Backup();
    WaitStored(job.id(), v1::JOB_STATE_RUNNING);
    clock_.Advance(absl::Seconds(16));
    dispatcher()->CheckAgents();
    EXPECT_TRUE(ended_.WaitFor(1, absl::Seconds(20)));
    lost_at_ = clock_.Now();
    WaitIdle();
    return job;
  }

  std::string dir_;
  FakeClock clock_{TimeFromString("2026-03-01T00:30:00Z")};
  absl::Time lost_at_;
  FakeAgentTally tally_;
  std::shared_ptr<FakeAgentClient> agent_;
  FakeAgentClients clients_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<DispatchStack> stack_;
  EndedJobs ended_;
};

TEST_F(LostJobTest, AJobLostWhileTheAgentWasSilentLearnsItSucceededAndIsCatalogued) {
  v1::Job job = LoseABackup(Outcome::kHold);
  v1::Job lost = Stored(job.id());
  ASSERT_EQ(lost.state(), v1::JOB_STATE_LOST);
  EXPECT_TRUE(lost.outcome_pending());
  EXPECT_EQ(lost.lost_at(), TimeToString(lost_at_));
  EXPECT_TRUE(absl::StrContains(lost.error(), "the outcome is asked again when the agent answers"))
      << lost.error();

  // The agent finishes the backup while the controller cannot hear it.
  agent_->ReleaseAll();
  ASSERT_TRUE(tally_.WaitFinished(1, absl::Seconds(10)));
  dispatcher()->ResolveLostJobs();
  EXPECT_EQ(Stored(job.id()).state(), v1::JOB_STATE_LOST) << "the agent is still offline";

  clock_.Advance(absl::Seconds(30));
  Heartbeat();
  dispatcher()->ResolveLostJobs();
  ASSERT_TRUE(ended_.WaitFor(2, absl::Seconds(20)));
  v1::Job done = ended_.jobs()[1];
  EXPECT_EQ(done.id(), job.id());
  EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED) << done.error();
  EXPECT_FALSE(done.outcome_pending());
  EXPECT_EQ(done.lost_at(), TimeToString(lost_at_));
  EXPECT_EQ(done.error(), "");
  EXPECT_EQ(done.note(), "contact with agent \"agent-1\" was lost at " + TimeToString(lost_at_) +
                             "; the outcome was learned from the agent at " +
                             TimeToString(clock_.Now()));
  absl::StatusOr<v1::Backup> backup = store_->GetBackup(job.backup_id());
  ASSERT_TRUE(backup.ok()) << backup.status();
  EXPECT_EQ(backup->state(), v1::BACKUP_STATE_COMPLETED);
  EXPECT_EQ(backup->job_id(), job.id());
  EXPECT_EQ(agent_->runs_of_database("orders"), 1) << "the job was followed, never run again";
  EXPECT_EQ(dispatcher()->stats().running, 0);
}

TEST_F(LostJobTest, AJobLostThatFailedAtTheAgentEndsFailed) {
  v1::Job job = LoseABackup(Outcome::kHoldThenFail);
  agent_->ReleaseAll();
  Heartbeat();
  dispatcher()->ResolveLostJobs();
  ASSERT_TRUE(ended_.WaitFor(2, absl::Seconds(20)));
  v1::Job done = ended_.jobs()[1];
  EXPECT_EQ(done.state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(done.error(), "pg_dump: connection refused");
  EXPECT_FALSE(done.outcome_pending());
  EXPECT_TRUE(absl::StrContains(done.note(), "the outcome was learned from the agent")) << done.note();
  EXPECT_FALSE(store_->GetBackup(job.backup_id()).ok()) << "a failed job catalogues nothing";
}

TEST_F(LostJobTest, AnAgentWithNoRecordOfTheJobMakesItLostForGood) {
  v1::Job job = LoseABackup(Outcome::kHold);
  agent_->AnswerWatch(absl::NotFoundError("unknown job"));
  Heartbeat();
  dispatcher()->ResolveLostJobs();
  ASSERT_TRUE(ended_.WaitFor(2, absl::Seconds(20)));
  v1::Job done = Stored(job.id());
  EXPECT_EQ(done.state(), v1::JOB_STATE_LOST);
  EXPECT_FALSE(done.outcome_pending()) << "final";
  EXPECT_TRUE(absl::StrContains(done.error(), "has no record of the job")) << done.error();
  EXPECT_EQ(done.lost_at(), TimeToString(lost_at_));
  dispatcher()->ResolveLostJobs();
  EXPECT_EQ(Stored(job.id()).state(), v1::JOB_STATE_LOST) << "never reopened again";
  EXPECT_TRUE(store_->PendingLostJobs()->empty());
}

TEST_F(LostJobTest, AJobLostBeforeItWasReportedRunningThatTheAgentDoesNotKnowNeverRan) {
  agent_->Script("orders", [](int) { return Outcome::kHoldSilently; });
  v1::Job job = Backup();
  for (int i = 0; i < 1000 && agent_->runs_of_database("orders") == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(agent_->runs_of_database("orders"), 1);
  clock_.Advance(absl::Seconds(16));
  dispatcher()->CheckAgents();
  ASSERT_TRUE(ended_.WaitFor(1, absl::Seconds(20)));
  WaitIdle();
  v1::Job lost = Stored(job.id());
  ASSERT_EQ(lost.state(), v1::JOB_STATE_LOST);
  EXPECT_TRUE(lost.outcome_pending()) << "it may have reached the agent";
  EXPECT_EQ(lost.started_at(), "") << "never reported running";

  agent_->AnswerWatch(absl::NotFoundError("unknown job"));
  Heartbeat();
  dispatcher()->ResolveLostJobs();
  ASSERT_TRUE(ended_.WaitFor(2, absl::Seconds(20)));
  v1::Job done = Stored(job.id());
  EXPECT_EQ(done.state(), v1::JOB_STATE_FAILED) << done.error();
  EXPECT_TRUE(absl::StrContains(done.error(), "the job never ran")) << done.error();
  EXPECT_FALSE(done.outcome_pending());
  agent_->ReleaseAll();
}

TEST_F(LostJobTest, AnAgentStillWorkingOutTheOutcomeIsAskedAgainLater) {
  v1::Job job = LoseABackup(Outcome::kHold);
  agent_->AnswerWatch(absl::UnavailableError("working out the outcome of jobs after a restart"));
  Heartbeat();
  dispatcher()->ResolveLostJobs();
  WaitStored(job.id(), v1::JOB_STATE_RUNNING);
  // UNAVAILABLE is never an outcome: past the re-attach window (60 s) the
  // job is LOST again, still pending.
  // (Advanced until it ends: the follower may start after a first advance.)
  for (int i = 0; i < 200 && !ended_.WaitFor(2, absl::Milliseconds(100)); ++i) {
    clock_.Advance(absl::Seconds(61));
  }
  ASSERT_TRUE(ended_.WaitFor(2, absl::Seconds(1)));
  WaitIdle();
  v1::Job again = Stored(job.id());
  EXPECT_EQ(again.state(), v1::JOB_STATE_LOST);
  EXPECT_TRUE(again.outcome_pending());
  EXPECT_TRUE(absl::StrContains(again.error(), "working out the outcome")) << again.error();

  // Now the agent knows: asked again, the job takes its real state.
  agent_->AnswerWatch(absl::OkStatus());
  agent_->ReleaseAll();
  Heartbeat();
  dispatcher()->ResolveLostJobs();
  ASSERT_TRUE(ended_.WaitFor(3, absl::Seconds(20)));
  EXPECT_EQ(Stored(job.id()).state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_TRUE(store_->GetBackup(job.backup_id()).ok());
}

TEST_F(LostJobTest, AnotherBackupOfTheDatabaseKeepsTheOutcomePendingUntilItEnds) {
  v1::Job job = LoseABackup(Outcome::kHold);
  Heartbeat();
  v1::Job other = Backup();  // one queued or running backup per database
  WaitStored(other.id(), v1::JOB_STATE_RUNNING);
  dispatcher()->ResolveLostJobs();
  v1::Job lost = Stored(job.id());
  EXPECT_EQ(lost.state(), v1::JOB_STATE_LOST);
  EXPECT_TRUE(lost.outcome_pending());
  agent_->ReleaseAll();
  ASSERT_TRUE(ended_.WaitFor(2, absl::Seconds(20)));
  EXPECT_EQ(ended_.jobs()[1].id(), other.id());
  WaitIdle();
  dispatcher()->ResolveLostJobs();
  ASSERT_TRUE(ended_.WaitFor(3, absl::Seconds(20)));
  EXPECT_EQ(Stored(job.id()).state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(store_->ListBackups("orders")->size(), 2u);
}

TEST_F(LostJobTest, AnOutcomeNotLearnedWithinTheAgentsKeepIsFinal) {
  v1::Job job = LoseABackup(Outcome::kHold);
  clock_.Advance(absl::Hours(24 * 7) + absl::Minutes(1));
  Heartbeat();
  dispatcher()->ResolveLostJobs();
  v1::Job done = Stored(job.id());
  EXPECT_EQ(done.state(), v1::JOB_STATE_LOST);
  EXPECT_FALSE(done.outcome_pending());
  EXPECT_TRUE(absl::StrContains(done.error(), "did not answer within 7 days")) << done.error();
}

TEST_F(LostJobTest, AJobStartedRightAfterAStartWaitsForItsAgentsHeartbeat) {
  // The controller was down for an hour: its agent could not heartbeat.
  clock_.Advance(absl::Hours(1));
  Open();
  absl::Notification returned;
  absl::StatusOr<v1::Job> job;
  std::thread call([&] {
    v1::StartBackupRequest req;
    req.set_database("orders");
    job = dispatcher()->StartBackup(req);
    returned.Notify();
  });
  EXPECT_FALSE(returned.WaitForNotificationWithTimeout(absl::Milliseconds(300)))
      << "refused at once: " << job.status();
  Heartbeat();  // the agent reconnected
  EXPECT_TRUE(returned.WaitForNotificationWithTimeout(absl::Seconds(10)));
  call.join();
  EXPECT_TRUE(job.ok()) << job.status();
}

TEST_F(LostJobTest, AfterTheGraceASilentAgentIsRefused) {
  clock_.Advance(absl::Hours(1));
  Open();
  absl::Notification returned;
  absl::StatusOr<v1::Job> job;
  std::thread call([&] {
    v1::StartBackupRequest req;
    req.set_database("orders");
    job = dispatcher()->StartBackup(req);
    returned.Notify();
  });
  EXPECT_FALSE(returned.WaitForNotificationWithTimeout(absl::Milliseconds(300)));
  clock_.Advance(absl::Seconds(15));  // 3 heartbeat intervals of 5 s
  EXPECT_TRUE(returned.WaitForNotificationWithTimeout(absl::Seconds(10)));
  call.join();
  EXPECT_TRUE(absl::IsUnavailable(job.status())) << job.status();
  // Past the grace: at once.
  v1::StartBackupRequest req;
  req.set_database("orders");
  EXPECT_TRUE(absl::IsUnavailable(dispatcher()->StartBackup(req).status()));
  // Within it, the caller's deadline bounds the wait.
  clock_.Advance(absl::Hours(1));
  Open();
  EXPECT_TRUE(absl::IsUnavailable(dispatcher()->StartBackup(req, clock_.Now()).status()));
}

}  // namespace
}  // namespace dbdump
