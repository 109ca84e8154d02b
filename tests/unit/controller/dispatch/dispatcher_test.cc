// Dispatcher, JobOutcome and JobUpdates against in-process fake agents
// (FakeAgentClient): no gRPC server, a fake clock, a real store in a temp
// directory. Waits are on conditions, never fixed sleeps.
#include "controller/dispatch/dispatcher.h"

#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_agent_client.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fixtures/dispatch_stack.h"
#include "tests/fixtures/test_catalogue.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-dispatch.XXXXXX";
    dir_ = mkdtemp(tmpl);
    Open(DispatcherOptions());
    ASSERT_TRUE(AddLocalStorage(store_.get(), dir_ + "/backups", clock_.Now()).ok());
    agent_ = std::make_shared<FakeAgentClient>("agent-1", &tally_, &clock_);
    clients_.Add(agent_);
    Heartbeat();
    AddDatabase("orders");
  }
  void TearDown() override {
    Close();
    clients_.Clear();
    agent_->Stop();
    fs::remove_all(dir_);
  }

  void Open(DispatcherOptions options) {
    if (!store_) store_ = *Store::Open(dir_ + "/c.db");
    options.clock = &clock_;
    stack_ = std::make_unique<DispatchStack>(store_.get(), &clients_, options,
                                             ended_.Collector());
  }
  // As after a crash: nothing is cleaned up at the agent or in the store.
  void Close() {
    if (stack_) stack_->dispatcher->Shutdown();
    stack_.reset();
  }
  Dispatcher* dispatcher() { return stack_->dispatcher.get(); }

  void Heartbeat() { ASSERT_TRUE(AddInProcessAgent(store_.get(), "agent-1", clock_.Now()).ok()); }
  void AddDatabase(const std::string& name) {
    ASSERT_TRUE(AddSqliteDatabase(store_.get(), name, "agent-1", clock_.Now()).ok());
  }
  v1::Job Backup(const std::string& database) {
    v1::StartBackupRequest req;
    req.set_database(database);
    absl::StatusOr<v1::Job> job = dispatcher()->StartBackup(req);
    EXPECT_TRUE(job.ok()) << job.status();
    return job.ok() ? *job : v1::Job();
  }
  // Waits until `n` jobs ended.
  bool WaitEnded(size_t n, absl::Duration timeout = absl::Seconds(20)) {
    return ended_.WaitFor(n, timeout);
  }
  std::vector<v1::Job> Ended() { return ended_.jobs(); }
  // Waits until the job's state, as published (and so stored), is `state`.
  void WaitStored(const std::string& job_id, v1::JobState state) {
    v1::Job seen;
    uint64_t version = 0;
    while (seen.state() != state) {
      ASSERT_TRUE(stack_->updates.WaitNewer(job_id, version, absl::Seconds(10), &seen, &version));
    }
  }
  bool WaitRunning(int n) {
    return tally_.WaitRunning(n, absl::Seconds(20));
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

TEST_F(DispatcherTest, GoodBackupIsCataloguedAndItsEndPublished) {
  v1::Job job = Backup("orders");
  EXPECT_EQ(job.state(), v1::JOB_STATE_QUEUED);
  ASSERT_TRUE(WaitEnded(1));
  v1::Job ended = Ended()[0];
  EXPECT_EQ(ended.state(), v1::JOB_STATE_SUCCEEDED) << ended.error();

  absl::StatusOr<v1::Backup> backup = store_->GetBackup(job.backup_id());
  ASSERT_TRUE(backup.ok()) << backup.status();
  EXPECT_EQ(backup->state(), v1::BACKUP_STATE_COMPLETED);
  EXPECT_EQ(backup->job_id(), job.id());
  EXPECT_EQ(backup->storage(), "local");
  EXPECT_EQ(backup->manifest().raw_size_bytes(), 3000u);

  // Followers see the record the store holds, without reading the store.
  v1::Job published;
  uint64_t version = 0;
  ASSERT_TRUE(stack_->updates.WaitNewer(job.id(), 0, absl::Seconds(5), &published, &version));
  absl::StatusOr<v1::Job> stored = store_->GetJob(job.id());
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(published.SerializeAsString(), stored->SerializeAsString());
  EXPECT_EQ(published.state(), v1::JOB_STATE_SUCCEEDED);
}

TEST_F(DispatcherTest, EveryProgressEventIsPublishedWhileTheStoreKeepsUpSlowly) {
  Close();
  DispatcherOptions o;
  // The store would record progress only once an hour of the fake clock:
  // only the first event of the job reaches it before the end.
  o.progress_store_interval = absl::Hours(1);
  Open(o);
  agent_->Progress("orders", 50);
  agent_->Script("orders", [](int) { return FakeAgentClient::Outcome::kHold; });
  v1::Job job = Backup("orders");
  ASSERT_TRUE(WaitRunning(1));
  // The follower publishes each event as it applies it: wait for the last.
  v1::Job seen;
  uint64_t version = 0;
  while (seen.progress().bytes_in() < 50) {
    ASSERT_TRUE(stack_->updates.WaitNewer(job.id(), version, absl::Seconds(10), &seen, &version))
        << "progress stopped at " << seen.progress().bytes_in();
  }
  EXPECT_EQ(seen.state(), v1::JOB_STATE_RUNNING);
  EXPECT_FALSE(seen.started_at().empty()) << "the published record is the stored one, updated";
  // 1 QUEUED->RUNNING publish + 50 progress events: every one published.
  EXPECT_GE(version, 51u);
  absl::StatusOr<v1::Job> stored = store_->GetJob(job.id());
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->state(), v1::JOB_STATE_RUNNING);
  EXPECT_LT(stored->progress().bytes_in(), 50u) << "the store is not the message bus";

  agent_->ReleaseAll();
  ASSERT_TRUE(WaitEnded(1));
  EXPECT_EQ(Ended()[0].state(), v1::JOB_STATE_SUCCEEDED);
}

TEST_F(DispatcherTest, ARefusedJobFailsWithTheAgentsReason) {
  agent_->Script("orders", [](int) { return FakeAgentClient::Outcome::kRefuse; });
  Backup("orders");
  ASSERT_TRUE(WaitEnded(1));
  EXPECT_EQ(Ended()[0].state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(Ended()[0].error(), "sqlite database /srv/orders.db does not exist");
  EXPECT_EQ(agent_->runs_of_database("orders"), 1) << "a refusal is not retried";
}

TEST_F(DispatcherTest, AnUnreachableAgentFailsTheJobOnceTheReattachWindowPassed) {
  // A registered, heartbeating agent that no call reaches.
  clients_.Clear();
  Close();
  DispatcherOptions o;
  o.reattach_for = absl::Seconds(30);
  Open(o);
  Backup("orders");
  // The follower keeps trying while the window lasts (on the fake clock).
  EXPECT_FALSE(WaitEnded(1, absl::Milliseconds(300)));
  clock_.Advance(absl::Seconds(31));
  ASSERT_TRUE(WaitEnded(1));
  EXPECT_EQ(Ended()[0].state(), v1::JOB_STATE_FAILED) << "it never started";
  EXPECT_EQ(Ended()[0].error(),
            "agent \"agent-1\" at in-process:agent-1 is unreachable: agent \"agent-1\" unreachable");
}

TEST_F(DispatcherTest, AJobTheAgentForgotIsLostAfterARestart) {
  // The store says RUNNING, the agent (restarted) has no record of it.
  agent_->Script("orders", [](int) { return FakeAgentClient::Outcome::kHold; });
  v1::Job job = Backup("orders");
  WaitStored(job.id(), v1::JOB_STATE_RUNNING);
  Close();
  agent_->ReleaseAll();
  agent_->Stop();
  clients_.Clear();
  auto restarted = std::make_shared<FakeAgentClient>("agent-1", &tally_, &clock_);
  clients_.Add(restarted);
  Open(DispatcherOptions());
  ASSERT_TRUE(dispatcher()->Recover().ok());
  ASSERT_TRUE(WaitEnded(1));
  EXPECT_EQ(Ended()[0].id(), job.id());
  EXPECT_EQ(Ended()[0].state(), v1::JOB_STATE_LOST);
  EXPECT_EQ(Ended()[0].error(), "agent \"agent-1\" has no record of the job (it never got it, "
                                "or lost its work directory); run the job again");
  EXPECT_EQ(restarted->runs_of_database("orders"), 0) << "a running job is never sent again";
  restarted->Stop();
}

TEST_F(DispatcherTest, EventsRepeatedAfterAReattachAreNotAppliedAgain) {
  agent_->Progress("orders", 20);
  agent_->Script("orders", [](int) { return FakeAgentClient::Outcome::kHold; });
  v1::Job job = Backup("orders");
  v1::Job seen;
  uint64_t version = 0;
  while (seen.progress().bytes_in() < 20) {
    ASSERT_TRUE(stack_->updates.WaitNewer(job.id(), version, absl::Seconds(10), &seen, &version));
  }
  // The stream breaks; the follower re-attaches and the agent replays all
  // 21 events it sent, then the end. Only the end is new.
  agent_->BreakStreams();
  agent_->ReleaseAll();
  ASSERT_TRUE(WaitEnded(1));
  EXPECT_EQ(Ended()[0].state(), v1::JOB_STATE_SUCCEEDED) << Ended()[0].error();
  v1::Job last;
  uint64_t last_version = 0;
  ASSERT_TRUE(stack_->updates.WaitNewer(job.id(), version, absl::Seconds(5), &last, &last_version));
  EXPECT_EQ(last_version, version + 1) << "replayed events were published again";
  EXPECT_EQ(last.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(agent_->runs_of_database("orders"), 1);
  EXPECT_EQ(store_->ListBackups("orders")->size(), 1u);
}

TEST_F(DispatcherTest, LimitsHoldJobsQueuedInOrder) {
  Close();
  DispatcherOptions o;
  o.max_running_jobs_per_agent = 1;
  Open(o);
  AddDatabase("users");
  agent_->Script("orders", [](int) { return FakeAgentClient::Outcome::kHold; });
  Backup("orders");
  v1::Job second = Backup("users");
  ASSERT_TRUE(WaitRunning(1));
  DispatcherStats stats = dispatcher()->stats();
  EXPECT_EQ(stats.running, 1);
  EXPECT_EQ(stats.queued, 1);
  EXPECT_EQ(store_->GetJob(second.id())->state(), v1::JOB_STATE_QUEUED);
  // Per agent, as the metrics endpoint shows it.
  std::map<std::string, int> queued = dispatcher()->QueuedPerAgent();
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[second.agent()], 1);
  EXPECT_EQ(dispatcher()->RunningPerAgent()[second.agent()], 1);
  agent_->ReleaseAll();
  ASSERT_TRUE(WaitEnded(2));
  EXPECT_EQ(agent_->peak(), 1);
  for (const v1::Job& j : Ended()) EXPECT_EQ(j.state(), v1::JOB_STATE_SUCCEEDED) << j.database();
}

TEST_F(DispatcherTest, ABackupOfAnOfflineAgentIsRefusedAtOnce) {
  clock_.Advance(absl::Seconds(16));  // 3 heartbeat intervals of 5 s
  v1::StartBackupRequest req;
  req.set_database("orders");
  absl::StatusOr<v1::Job> job = dispatcher()->StartBackup(req);
  ASSERT_TRUE(absl::IsUnavailable(job.status())) << job.status();
  EXPECT_EQ(job.status().message(),
            "agent \"agent-1\" is offline (last heartbeat 2026-03-01T00:30:00Z): start "
            "dbdump-agent on its host");
  EXPECT_TRUE(store_->ListJobs("", 10)->empty()) << "nothing was queued";
}

}  // namespace
}  // namespace dbdump
