// Scheduler + Dispatcher against fake agents (in process, no gRPC), with a
// fake clock: a burst of 500 due jobs under concurrency limits, missed runs,
// retries with backoff, offline agents, timeouts, and a restart in the
// middle of scheduled jobs. Waits are on conditions, never fixed sleeps.
#include "controller/schedule/scheduler.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "controller/api/health_service_impl.h"
#include "controller/api/schedule_service_impl.h"
#include "controller/notify/stale_watcher.h"
#include "gtest/gtest.h"
#include "tests/fakes/capturing_notifier.h"
#include "tests/fakes/fake_agent_client.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fixtures/dispatch_stack.h"
#include "tests/fixtures/test_catalogue.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

long RssKiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-sched.XXXXXX";
    dir_ = mkdtemp(tmpl);
    OpenController(DispatcherOptions());
    ASSERT_TRUE(AddLocalStorage(store_.get(), dir_ + "/backups", clock_.Now()).ok());
  }
  void TearDown() override {
    CloseController();
    clients_.Clear();
    for (auto& a : agents_) a->Stop();
    agents_.clear();
    fs::remove_all(dir_);
  }

  // A controller on the store file; the options' clock and callback are set here.
  void OpenController(DispatcherOptions options) {
    store_ = *Store::Open(dir_ + "/c.db");
    options.clock = &clock_;
    stack_ = std::make_unique<DispatchStack>(store_.get(), &clients_, options,
                                             ended_.Collector());
    dispatcher_ = stack_->dispatcher.get();
    SchedulerOptions so;
    so.clock = &clock_;
    scheduler_ = std::make_unique<Scheduler>(store_.get(), dispatcher_, so);
    service_ = std::make_unique<ScheduleServiceImpl>(store_.get(), dispatcher_, &clock_);
  }
  // As after a crash: nothing is cleaned up at the agents or in the store.
  void CloseController() {
    service_.reset();
    scheduler_.reset();
    if (dispatcher_) dispatcher_->Shutdown();
    dispatcher_ = nullptr;
    stack_.reset();
    store_.reset();
  }

  FakeAgentClient* AddAgent(const std::string& name) {
    agents_.push_back(std::make_shared<FakeAgentClient>(name, &tally_, &clock_));
    clients_.Add(agents_.back());
    Heartbeat(agents_.back().get());
    return agents_.back().get();
  }
  void Heartbeat(FakeAgentClient* a) {
    ASSERT_TRUE(AddInProcessAgent(store_.get(), a->name(), clock_.Now()).ok());
  }
  void AddDatabase(const std::string& name, const std::string& agent) {
    ASSERT_TRUE(AddSqliteDatabase(store_.get(), name, agent, clock_.Now()).ok());
  }
  absl::StatusOr<v1::Schedule> AddSchedule(const std::string& name, const std::string& db,
                                           const std::string& cron, const std::string& zone,
                                           v1::Schedule extra = v1::Schedule()) {
    v1::CreateScheduleRequest req;
    *req.mutable_schedule() = extra;
    req.mutable_schedule()->set_name(name);
    req.mutable_schedule()->set_database(db);
    req.mutable_schedule()->set_cron(cron);
    req.mutable_schedule()->set_time_zone(zone);
    return service_->Create(req);
  }
  // Waits until `n` jobs ended.
  bool WaitEnded(size_t n, absl::Duration timeout = absl::Seconds(20)) {
    return ended_.WaitFor(n, timeout);
  }
  std::vector<v1::Job> Ended() { return ended_.jobs(); }
  bool WaitRunning(int n, absl::Duration timeout = absl::Seconds(20)) {
    return tally_.WaitRunning(n, timeout);
  }

  std::string dir_;
  FakeClock clock_{TimeFromString("2026-03-01T00:30:00Z")};
  FakeAgentTally tally_;
  std::vector<std::shared_ptr<FakeAgentClient>> agents_;
  FakeAgentClients clients_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<DispatchStack> stack_;
  Dispatcher* dispatcher_ = nullptr;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<ScheduleServiceImpl> service_;
  EndedJobs ended_;
};

TEST_F(SchedulerTest, BurstOf500DueJobsHoldsTheLimitsAndRunsEachOnce) {
  CloseController();
  DispatcherOptions o;
  o.max_running_jobs = 16;
  o.max_running_jobs_per_agent = 4;
  OpenController(o);
  const int kAgents = 5, kDatabases = 500;
  std::vector<FakeAgentClient*> agents;
  for (int a = 0; a < kAgents; ++a) agents.push_back(AddAgent(absl::StrCat("agent-", a)));
  for (int i = 0; i < kDatabases; ++i) {
    std::string db = absl::StrCat("db-", i);
    AddDatabase(db, agents[i % kAgents]->name());
    agents[i % kAgents]->Script(db, [](int) { return FakeAgentClient::Outcome::kHold; });
    // 02:00 in Berlin = 01:00 UTC on March 1st.
    auto s = AddSchedule(absl::StrCat("nightly-", i), db, "0 2 * * *", "Europe/Berlin");
    ASSERT_TRUE(s.ok()) << s.status();
    ASSERT_EQ(s->next_run_at(), "2026-03-01T01:00:00Z");
  }
  clock_.Set(TimeFromString("2026-03-01T01:00:00Z"));
  for (FakeAgentClient* a : agents) Heartbeat(a);
  long rss_before = RssKiB();
  auto start = std::chrono::steady_clock::now();
  auto queued = scheduler_->Tick();
  ASSERT_TRUE(queued.ok()) << queued.status();
  EXPECT_EQ(*queued, kDatabases);
  auto tick_done = std::chrono::steady_clock::now();
  // Every slot fills, and no more.
  ASSERT_TRUE(WaitRunning(16));
  DispatcherStats held = dispatcher_->stats();
  EXPECT_EQ(held.running, 16);
  EXPECT_EQ(held.queued, kDatabases - 16);
  EXPECT_EQ(*scheduler_->Tick(), 0) << "a second pass must not queue the same slot again";
  for (FakeAgentClient* a : agents) a->ReleaseAll();
  ASSERT_TRUE(tally_.WaitFinished(kDatabases, absl::Seconds(120)));
  ASSERT_TRUE(WaitEnded(kDatabases, absl::Seconds(60)));
  auto end = std::chrono::steady_clock::now();
  long rss_after = RssKiB();

  {
    absl::MutexLock l(&tally_.mu);
    EXPECT_LE(tally_.peak, 16);
    EXPECT_FALSE(tally_.overlap) << "two backups of one database ran at once";
    EXPECT_EQ(tally_.runs_per_job.size(), static_cast<size_t>(kDatabases));
    for (const auto& [job, runs] : tally_.runs_per_job) EXPECT_EQ(runs, 1) << job;
  }
  for (FakeAgentClient* a : agents) EXPECT_LE(a->peak(), 4) << a->name();
  DispatcherStats st = dispatcher_->stats();
  EXPECT_EQ(st.peak_running, 16);
  EXPECT_LE(st.peak_running_per_agent, 4);
  EXPECT_EQ(st.started_total, kDatabases);
  auto jobs = store_->ListJobs("", 1000);
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), static_cast<size_t>(kDatabases));
  for (const v1::Job& j : *jobs) EXPECT_EQ(j.state(), v1::JOB_STATE_SUCCEEDED) << j.error();
  EXPECT_EQ(store_->ListBackups("")->size(), static_cast<size_t>(kDatabases));

  double secs = std::chrono::duration<double>(end - start).count();
  double tick_s = std::chrono::duration<double>(tick_done - start).count();
  std::cout << "[burst] " << kDatabases << " due jobs, " << kAgents
            << " fake agents, limits 16 total / 4 per agent: scheduler pass " << tick_s * 1000
            << " ms; all dispatched and finished in " << secs << " s = " << kDatabases / secs
            << " jobs/s; process RSS " << rss_before / 1024 << " MiB before, " << rss_after / 1024
            << " MiB after (test process: controller + 5 fake agents)\n";
}

TEST_F(SchedulerTest, MissedSlotsAfterDowntimeRunOnce) {
  FakeAgentClient* a = AddAgent("agent-1");
  AddDatabase("orders", a->name());
  ASSERT_TRUE(AddSchedule("every5", "orders", "*/5 * * * *", "UTC").ok());
  // The controller was away for three hours: 36 slots passed.
  clock_.Advance(absl::Hours(3));
  Heartbeat(a);
  EXPECT_EQ(*scheduler_->Tick(), 1);
  EXPECT_EQ(*scheduler_->Tick(), 0);
  ASSERT_TRUE(WaitEnded(1));
  auto s = store_->GetSchedule("every5");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->next_run_at(), "2026-03-01T03:35:00Z");
  EXPECT_EQ(a->runs_of_database("orders"), 1);
  EXPECT_NE(s->last_outcome().find("succeeded"), std::string::npos) << s->last_outcome();
}

TEST_F(SchedulerTest, ASlotWhoseBackupStillRunsIsSkippedNotStacked) {
  FakeAgentClient* a = AddAgent("agent-1");
  AddDatabase("orders", a->name());
  a->Script("orders", [](int) { return FakeAgentClient::Outcome::kHold; });
  ASSERT_TRUE(AddSchedule("every5", "orders", "*/5 * * * *", "UTC").ok());
  clock_.Advance(absl::Minutes(5));
  Heartbeat(a);
  EXPECT_EQ(*scheduler_->Tick(), 1);
  ASSERT_TRUE(WaitRunning(1));
  clock_.Advance(absl::Minutes(5));
  Heartbeat(a);
  EXPECT_EQ(*scheduler_->Tick(), 0);
  auto s = store_->GetSchedule("every5");
  EXPECT_NE(s->last_outcome().find("skipped: the previous backup of \"orders\" is still"),
            std::string::npos)
      << s->last_outcome();
  EXPECT_EQ(s->last_result(), v1::SCHEDULE_RUN_RESULT_SKIPPED);
  EXPECT_EQ(s->next_run_at(), "2026-03-01T00:45:00Z");
  a->ReleaseAll();
  ASSERT_TRUE(WaitEnded(1));
  EXPECT_EQ(a->runs_of_database("orders"), 1);
}

TEST_F(SchedulerTest, FailedRunIsRetriedWithBackoff) {
  FakeAgentClient* a = AddAgent("agent-1");
  AddDatabase("flaky", a->name());
  a->Script("flaky", [](int run) {
    return run == 1 ? FakeAgentClient::Outcome::kFail : FakeAgentClient::Outcome::kSucceed;
  });
  v1::Schedule extra;
  extra.set_max_attempts(3);
  extra.set_retry_backoff_s(60);
  ASSERT_TRUE(AddSchedule("hourly", "flaky", "@hourly", "UTC", extra).ok());
  clock_.Set(TimeFromString("2026-03-01T01:00:00Z"));
  Heartbeat(a);
  EXPECT_EQ(*scheduler_->Tick(), 1);
  ASSERT_TRUE(WaitEnded(1));
  EXPECT_EQ(Ended()[0].state(), v1::JOB_STATE_FAILED);
  // The retry waits in the queue for its backoff.
  EXPECT_EQ(dispatcher_->stats().queued, 1);
  dispatcher_->Launch();
  EXPECT_EQ(dispatcher_->stats().queued, 1);
  auto s = store_->GetSchedule("hourly");
  EXPECT_NE(s->last_outcome().find("attempt 1 failed (pg_dump: connection refused); retry 2/3 at "
                                   "2026-03-01T01:01:00Z"),
            std::string::npos)
      << s->last_outcome();
  EXPECT_EQ(s->last_result(), v1::SCHEDULE_RUN_RESULT_RETRYING);
  clock_.Advance(absl::Seconds(61));
  Heartbeat(a);
  dispatcher_->Launch();
  ASSERT_TRUE(WaitEnded(2));
  EXPECT_EQ(Ended()[1].state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(Ended()[1].attempt(), 2u);
  EXPECT_EQ(Ended()[1].schedule(), "hourly");
  EXPECT_EQ(a->runs_of_database("flaky"), 2);
  s = store_->GetSchedule("hourly");
  EXPECT_EQ(s->last_outcome().rfind("succeeded: backup ", 0), 0u) << s->last_outcome();
  EXPECT_EQ(s->last_result(), v1::SCHEDULE_RUN_RESULT_SUCCEEDED);
}

TEST_F(SchedulerTest, JobsOfAnOfflineAgentEndClearly) {
  FakeAgentClient* a = AddAgent("agent-1");
  AddDatabase("orders", a->name());
  AddDatabase("users", a->name());
  a->Script("users", [](int) { return FakeAgentClient::Outcome::kHold; });
  // A running job whose agent stops heartbeating.
  v1::StartBackupRequest req;
  req.set_database("users");
  ASSERT_TRUE(dispatcher_->StartBackup(req).ok());
  ASSERT_TRUE(WaitRunning(1));
  clock_.Advance(absl::Seconds(16));  // 3 heartbeat intervals of 5 s
  // A scheduled job due while the agent is offline.
  ASSERT_TRUE(AddSchedule("soon", "orders", "* * * * *", "UTC").ok());
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(*scheduler_->Tick(), 1);
  ASSERT_TRUE(WaitEnded(2));
  for (const v1::Job& j : Ended()) {
    // The running job's outcome is unknown (LOST); the queued one never ran (FAILED).
    EXPECT_EQ(j.state(), j.database() == "users" ? v1::JOB_STATE_LOST : v1::JOB_STATE_FAILED)
        << j.database();
    EXPECT_EQ(j.error().rfind("agent offline: \"agent-1\" ", 0), 0u) << j.error();
    EXPECT_NE(j.error().find("heartbeat since 2026-03-01T00:30:00Z"), std::string::npos)
        << j.error();
  }
  EXPECT_EQ(a->runs_of_database("orders"), 0);
  a->ReleaseAll();
}

TEST_F(SchedulerTest, JobPastItsTimeoutIsCancelledAtTheAgent) {
  FakeAgentClient* a = AddAgent("agent-1");
  AddDatabase("slow", a->name());
  a->Script("slow", [](int) { return FakeAgentClient::Outcome::kHold; });
  v1::Schedule extra;
  extra.set_timeout_s(1);
  ASSERT_TRUE(AddSchedule("s", "slow", "@hourly", "UTC", extra).ok());
  auto job = service_->RunNow("s");
  ASSERT_TRUE(job.ok()) << job.status();
  ASSERT_TRUE(WaitRunning(1));
  // The deadline is on the controller's clock.
  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(WaitEnded(1, absl::Seconds(10)));
  EXPECT_EQ(Ended()[0].state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(Ended()[0].error(), "timed out after 1s; cancelled at the agent");
  EXPECT_EQ(a->cancels(), 1);
}

TEST_F(SchedulerTest, RestartMidJobReattachesAndRunsNothingTwice) {
  CloseController();
  DispatcherOptions o;
  o.max_running_jobs = 1;
  OpenController(o);
  FakeAgentClient* a = AddAgent("agent-1");
  AddDatabase("orders", a->name());
  AddDatabase("users", a->name());
  a->Script("orders", [](int) { return FakeAgentClient::Outcome::kHold; });
  ASSERT_TRUE(AddSchedule("o", "orders", "0 * * * *", "UTC").ok());
  ASSERT_TRUE(AddSchedule("u", "users", "0 * * * *", "UTC").ok());
  clock_.Set(TimeFromString("2026-03-01T01:00:00Z"));
  Heartbeat(a);
  EXPECT_EQ(*scheduler_->Tick(), 2);
  ASSERT_TRUE(WaitRunning(1));  // orders runs (held), users waits for the slot
  ASSERT_EQ(dispatcher_->stats().queued, 1);

  // The controller dies: its store says one job RUNNING, one QUEUED.
  CloseController();
  OpenController(o);
  Heartbeat(a);
  EXPECT_EQ(*scheduler_->Tick(), 0) << "the slot was taken before the crash";
  ASSERT_TRUE(dispatcher_->Recover().ok());
  a->ReleaseAll();
  ASSERT_TRUE(WaitEnded(2));
  for (const v1::Job& j : Ended()) EXPECT_EQ(j.state(), v1::JOB_STATE_SUCCEEDED) << j.error();
  EXPECT_EQ(a->runs_of_database("orders"), 1);
  EXPECT_EQ(a->runs_of_database("users"), 1);
  auto jobs = store_->ListJobs("", 10);
  EXPECT_EQ(jobs->size(), 2u);
  EXPECT_EQ(*scheduler_->Tick(), 0);
}

TEST_F(SchedulerTest, ScheduleServiceValidatesAndShowsNextRuns) {
  FakeAgentClient* a = AddAgent("agent-1");
  AddDatabase("orders", a->name());
  auto bad = AddSchedule("x", "orders", "0 25 * * *", "UTC");
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status()));
  EXPECT_NE(bad.status().message().find("field 2 (hour)"), std::string::npos);
  bad = AddSchedule("x", "orders", "0 2 * * *", "Europe/Berlinn");
  EXPECT_NE(bad.status().message().find("unknown time zone \"Europe/Berlinn\""), std::string::npos);
  bad = AddSchedule("x", "orders", "0 2 * * *", "");
  EXPECT_NE(bad.status().message().find("a time zone is required"), std::string::npos);
  bad = AddSchedule("x", "nope", "0 2 * * *", "UTC");
  EXPECT_TRUE(absl::IsNotFound(bad.status())) << bad.status();
  bad = AddSchedule("x", "orders", "0 0 31 2 *", "UTC");
  EXPECT_NE(bad.status().message().find("never matches"), std::string::npos);

  // Berlin leaves winter time on March 29th 2026: 02:30 does not exist
  // that night and runs at 03:00 CEST (01:00 UTC).
  auto s = AddSchedule("nightly", "orders", "30 2 * * *", "Europe/Berlin");
  ASSERT_TRUE(s.ok()) << s.status();
  clock_.Set(TimeFromString("2026-03-27T12:00:00Z"));
  auto g = service_->Get("nightly", 5);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(std::vector<std::string>(g->next_runs().begin(), g->next_runs().end()),
            (std::vector<std::string>{"2026-03-01T01:30:00Z", "2026-03-28T01:30:00Z",
                                      "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z",
                                      "2026-03-31T00:30:00Z"}));

  auto off = service_->SetEnabled("nightly", false);
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->next_run_at(), "");
  EXPECT_EQ(*scheduler_->Tick(), 0);
  auto on = service_->SetEnabled("nightly", true);
  ASSERT_TRUE(on.ok());
  EXPECT_EQ(on->next_run_at(), "2026-03-28T01:30:00Z") << "slots missed while disabled are dropped";

  v1::PreviewScheduleRequest p;
  p.set_cron("@monthly");
  p.set_time_zone("America/New_York");
  p.set_count(2);
  auto preview = service_->Preview(p);
  ASSERT_TRUE(preview.ok());
  EXPECT_EQ(preview->next_runs(0), "2026-04-01T04:00:00Z");
  EXPECT_EQ(preview->next_runs_local(0), "2026-04-01 00:00 EDT (UTC-04:00)");
}

TEST_F(SchedulerTest, VerificationRunsOnItsOwnCronWithoutBlockingThePass) {
  FakeAgentClient* a = AddAgent("agent-1");
  AddDatabase("orders", a->name());
  BackupMaintainer maintainer(store_.get(), &clients_, &clock_, nullptr);
  SchedulerOptions so;
  so.clock = &clock_;
  so.maintainer = &maintainer;
  Scheduler scheduler(store_.get(), dispatcher_, so);
  v1::Schedule extra;
  extra.set_verify_cron("0 6 * * *");
  auto s = AddSchedule("nightly", "orders", "0 2 * * *", "UTC", extra);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(store_->GetSchedule("nightly")->next_verify_at(), "2026-03-01T06:00:00Z");
  clock_.Set(TimeFromString("2026-03-01T02:00:00Z"));
  Heartbeat(a);
  EXPECT_EQ(*scheduler.Tick(), 1);
  ASSERT_TRUE(WaitEnded(1));
  std::string backup_id = Ended()[0].backup_id();

  clock_.Set(TimeFromString("2026-03-01T06:00:00Z"));
  Heartbeat(a);
  EXPECT_EQ(*scheduler.Tick(), 0);
  EXPECT_EQ(*scheduler.Tick(), 0);
  EXPECT_EQ(store_->GetSchedule("nightly")->next_verify_at(), "2026-03-02T06:00:00Z");
  // The verification runs on the maintainer's thread, not in the pass.
  ASSERT_TRUE(maintainer.WaitIdle(absl::Seconds(20)));
  EXPECT_EQ(a->verified(), std::vector<std::string>{backup_id});
  EXPECT_EQ(store_->GetBackup(backup_id)->verify_error(), "");
  EXPECT_FALSE(store_->GetBackup(backup_id)->verified_at().empty());
}

TEST_F(SchedulerTest, StatsHealthAndStaleNotificationFollowTheSchedule) {
  FakeAgentClient* a = AddAgent("agent-1");
  AddDatabase("orders", a->name());
  AddDatabase("adhoc", a->name());  // no schedule: never stale
  ASSERT_TRUE(AddSchedule("hourly", "orders", "@hourly", "UTC").ok());
  clock_.Set(TimeFromString("2026-03-01T01:00:00Z"));
  Heartbeat(a);
  ASSERT_EQ(*scheduler_->Tick(), 1);
  ASSERT_TRUE(WaitEnded(1));
  a->Script("orders", [](int) { return FakeAgentClient::Outcome::kFail; });
  clock_.Set(TimeFromString("2026-03-01T02:00:00Z"));
  Heartbeat(a);
  ASSERT_EQ(*scheduler_->Tick(), 1);
  ASSERT_TRUE(WaitEnded(2));

  HealthServiceImpl health(store_.get(), dispatcher_, &clock_, clock_.Now());
  CapturingNotifier notifier;
  StaleWatcher watcher([&health] { return health.Stats(); }, &notifier, absl::Minutes(1));
  auto stats = health.Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  const v1::DatabaseStats* orders = nullptr;
  for (const auto& d : stats->databases()) {
    if (d.database() == "orders") orders = &d;
  }
  ASSERT_NE(orders, nullptr);
  EXPECT_EQ(orders->backups_total(), 2u);
  EXPECT_EQ(orders->backups_succeeded(), 1u);
  EXPECT_DOUBLE_EQ(orders->success_rate(), 0.5);
  EXPECT_EQ(orders->bytes_stored(), 1000u);
  EXPECT_DOUBLE_EQ(orders->avg_compression_ratio(), 3.0);
  EXPECT_DOUBLE_EQ(orders->avg_duration_s(), 2.0);
  EXPECT_EQ(orders->last_good_backup_at(), "2026-03-01T01:00:00Z");
  EXPECT_DOUBLE_EQ(orders->last_good_age_s(), 3600);
  EXPECT_FALSE(orders->stale()) << "one hour old under an hourly schedule";
  watcher.Check(clock_.Now());

  // Two hourly intervals later without a good backup: stale, notified once.
  clock_.Set(TimeFromString("2026-03-01T03:00:01Z"));
  Heartbeat(a);
  watcher.Check(clock_.Now());
  watcher.Check(clock_.Now() + absl::Minutes(2));
  {
    absl::MutexLock l(&notifier.mu);
    ASSERT_EQ(notifier.seen.size(), 1u);
    EXPECT_EQ(notifier.seen[0].event, NotificationEvent::kBackupStale);
    EXPECT_EQ(notifier.seen[0].database, "orders");
    EXPECT_EQ(notifier.seen[0].fields.at("last good backup"), "2026-03-01T01:00:00Z");
  }
  auto h = health.Health();
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->status(), "degraded");
  EXPECT_EQ(h->stale_databases(), 1u);
  EXPECT_EQ(h->agents_online(), 1u);
  ASSERT_EQ(h->problems_size(), 1);
  EXPECT_EQ(h->problems(0), "database orders is stale: last good backup 2026-03-01T01:00:00Z");
}

TEST_F(SchedulerTest, ADatabasesOwnRetentionRulesTakePrecedence) {
  FakeAgentClient* a = AddAgent("agent-1");
  AddDatabase("orders", a->name());
  v1::Schedule extra;
  extra.mutable_retention()->set_keep_last(5);
  ASSERT_TRUE(AddSchedule("nightly", "orders", "@daily", "UTC", extra).ok());
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(absl::Hours(1));
    Heartbeat(a);
    v1::StartBackupRequest req;
    req.set_database("orders");
    ASSERT_TRUE(dispatcher_->StartBackup(req).ok());
    ASSERT_TRUE(WaitEnded(i + 1));
  }
  BackupMaintainer maintainer(store_.get(), &clients_, &clock_, nullptr);
  v1::PlanRetentionRequest plan;
  plan.set_database("orders");
  auto by_schedule = maintainer.Plan(plan);
  ASSERT_TRUE(by_schedule.ok());
  EXPECT_EQ(by_schedule->rules(), "last 5 (schedule nightly, UTC)");
  for (const auto& v : by_schedule->verdicts()) EXPECT_TRUE(v.keep());

  v1::SetDatabaseRetentionRequest set;
  set.set_database("orders");
  set.mutable_rules()->set_keep_last(1);
  set.set_time_zone("Asia/Kolkata");
  auto rules = maintainer.SetDatabaseRules(set);
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_EQ(*rules, "last 1 (rules of database orders, Asia/Kolkata)");
  auto own = maintainer.Plan(plan);
  ASSERT_TRUE(own.ok());
  int deleted = 0;
  for (const auto& v : own->verdicts()) deleted += v.keep() ? 0 : 1;
  EXPECT_EQ(deleted, 2);
  EXPECT_TRUE(own->verdicts(0).keep()) << "newest first, and kept";

  set.mutable_rules()->set_keep_last(1000000);
  EXPECT_TRUE(absl::IsInvalidArgument(maintainer.SetDatabaseRules(set).status()));
  set.clear_rules();
  ASSERT_TRUE(maintainer.SetDatabaseRules(set).ok());
  EXPECT_EQ(maintainer.Plan(plan)->rules(), "last 5 (schedule nightly, UTC)");
}

}  // namespace
}  // namespace dbdump
