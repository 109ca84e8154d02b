// JobOutcome against a real store: a job's end and what comes of it are
// written together, before the job gives up its slot; a failure to write
// them still ends the job.
#include "controller/dispatch/job_outcome.h"

#include <unistd.h>

#include <filesystem>
#include <optional>

#include "common/base/names.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fixtures/test_catalogue.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

class JobOutcomeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-outcome.XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = *Store::Open(dir_ + "/c.db");
    ASSERT_TRUE(AddInProcessAgent(store_.get(), "agent-1", clock_.Now()).ok());
    ASSERT_TRUE(AddLocalStorage(store_.get(), dir_ + "/backups", clock_.Now()).ok());
    ASSERT_TRUE(AddSqliteDatabase(store_.get(), "orders", "agent-1", clock_.Now()).ok());
    JobOutcomeOptions o;
    o.store = store_.get();
    o.clock = &clock_;
    o.updates = &updates_;
    o.on_end = [this](const v1::Job& j) { ended_.push_back(j); };
    outcome_ = std::make_unique<JobOutcome>(std::move(o));
  }
  void TearDown() override {
    outcome_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }
  // A backup job stored and running.
  v1::Job Running(const std::string& id, const std::string& schedule = "") {
    v1::Job j;
    j.set_id(id);
    j.set_kind(v1::JOB_KIND_BACKUP);
    j.set_state(v1::JOB_STATE_QUEUED);
    j.set_database("orders");
    j.set_agent("agent-1");
    j.set_backup_id("20260301T003000Z-" + id);
    j.set_created_at(TimeToString(clock_.Now()));
    j.set_schedule(schedule);
    j.set_attempt(1);
    EXPECT_TRUE(store_->CreateJob(j, "req").ok());
    EXPECT_TRUE(store_->TransitionJob(id, v1::JOB_STATE_RUNNING, "", clock_.Now()).ok());
    return j;
  }

  std::string dir_;
  FakeClock clock_{TimeFromString("2026-03-01T00:30:00Z")};
  std::unique_ptr<Store> store_;
  JobUpdates updates_;
  std::unique_ptr<JobOutcome> outcome_;
  std::vector<v1::Job> ended_;
};

TEST_F(JobOutcomeTest, AFailedScheduledAttemptStoresItsRetryWithTheEnd) {
  v1::Schedule s;
  s.set_name("nightly");
  s.set_database("orders");
  s.set_cron("0 2 * * *");
  s.set_time_zone("UTC");
  s.set_enabled(true);
  s.set_max_attempts(3);
  s.set_retry_backoff_s(60);
  ASSERT_TRUE(store_->CreateSchedule(s, clock_.Now()).ok());
  v1::Job job = Running("j1", "nightly");
  v1::JobEvent e;
  e.set_state(v1::JOB_STATE_FAILED);
  e.set_error("pg_dump: connection refused");
  outcome_->Record(job, e);

  // Before Settle, as a crash would leave it: the retry is in the store.
  absl::StatusOr<std::vector<StoredJob>> active = store_->ActiveJobs();
  ASSERT_TRUE(active.ok());
  ASSERT_EQ(active->size(), 1u);
  const v1::Job& retry = (*active)[0].job;
  EXPECT_EQ(retry.state(), v1::JOB_STATE_QUEUED);
  EXPECT_EQ(retry.attempt(), 2u);
  EXPECT_EQ(retry.schedule(), "nightly");
  EXPECT_EQ(retry.not_before(), "2026-03-01T00:31:00Z");
  EXPECT_EQ(store_->GetSchedule("nightly")->last_result(), v1::SCHEDULE_RUN_RESULT_RETRYING);
  EXPECT_EQ(store_->GetSchedule("nightly")->last_outcome(),
            "attempt 1 failed (pg_dump: connection refused); retry 2/3 at "
            "2026-03-01T00:31:00Z as " + retry.id());
  EXPECT_EQ(store_->GetJob("j1")->state(), v1::JOB_STATE_FAILED);
  EXPECT_TRUE(ended_.empty()) << "observers hear of it only once it is settled";

  std::optional<StoredJob> queued;
  outcome_->Settle(job, [&](StoredJob r) { queued = std::move(r); });
  ASSERT_TRUE(queued.has_value());
  EXPECT_EQ(queued->job.id(), retry.id());
  ASSERT_EQ(ended_.size(), 1u);
  EXPECT_EQ(ended_[0].state(), v1::JOB_STATE_FAILED);
  // Settling again queues nothing twice.
  queued.reset();
  outcome_->Settle(job, [&](StoredJob r) { queued = std::move(r); });
  EXPECT_FALSE(queued.has_value());
}

TEST_F(JobOutcomeTest, AScheduledAttemptLostAndLaterLearnedQueuesNoSecondRetry) {
  v1::Schedule s;
  s.set_name("nightly");
  s.set_database("orders");
  s.set_cron("0 2 * * *");
  s.set_time_zone("UTC");
  s.set_enabled(true);
  s.set_max_attempts(3);
  s.set_retry_backoff_s(60);
  ASSERT_TRUE(store_->CreateSchedule(s, clock_.Now()).ok());
  v1::Job job = Running("j1", "nightly");
  outcome_->RecordLost(job, "agent offline", /*outcome_pending=*/true);
  // Lost: the schedule retries as for any failed attempt.
  ASSERT_EQ(store_->ActiveJobs()->size(), 1u);
  const std::string retry = (*store_->ActiveJobs())[0].job.id();
  EXPECT_EQ(store_->GetSchedule("nightly")->last_result(), v1::SCHEDULE_RUN_RESULT_RETRYING);
  ASSERT_TRUE(store_->TransitionJob(retry, v1::JOB_STATE_FAILED, "x", clock_.Now()).ok());
  const std::string outcome_before = store_->GetSchedule("nightly")->last_outcome();

  // Asked again, the agent says it failed: that retry was queued already.
  ASSERT_TRUE(store_->ReopenLostJob("j1", "following again").ok());
  clock_.Advance(absl::Minutes(5));
  v1::Job reopened = *store_->GetJob("j1");
  v1::JobEvent failed;
  failed.set_state(v1::JOB_STATE_FAILED);
  failed.set_error("pg_dump: connection refused");
  outcome_->Record(reopened, failed);
  EXPECT_EQ(store_->GetJob("j1")->state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(store_->GetJob("j1")->note(),
            "contact with agent \"agent-1\" was lost at 2026-03-01T00:30:00Z; the outcome was "
            "learned from the agent at 2026-03-01T00:35:00Z");
  EXPECT_TRUE(store_->ActiveJobs()->empty()) << "a second retry was queued";
  EXPECT_EQ(store_->GetSchedule("nightly")->last_outcome(), outcome_before);

  // Another attempt lost, then learned to have succeeded: the schedule hears of it.
  v1::Job second = Running("j2", "nightly");
  outcome_->RecordLost(second, "agent offline", /*outcome_pending=*/true);
  std::vector<StoredJob> retries = *store_->ActiveJobs();
  for (const StoredJob& r : retries) {
    ASSERT_TRUE(store_->TransitionJob(r.job.id(), v1::JOB_STATE_FAILED, "x", clock_.Now()).ok());
  }
  ASSERT_TRUE(store_->ReopenLostJob("j2", "following again").ok());
  v1::JobEvent ok;
  ok.set_state(v1::JOB_STATE_SUCCEEDED);
  ok.mutable_manifest()->set_backup_id(second.backup_id());
  outcome_->Record(*store_->GetJob("j2"), ok);
  EXPECT_EQ(store_->GetJob("j2")->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_TRUE(store_->GetBackup(second.backup_id()).ok());
  EXPECT_EQ(store_->GetSchedule("nightly")->last_result(), v1::SCHEDULE_RUN_RESULT_SUCCEEDED);
}

TEST_F(JobOutcomeTest, ABackupThatCannotBeCataloguedEndsFailedSayingSo) {
  // A backup id already in the catalogue: the second entry is refused.
  v1::Job first = Running("j1");
  v1::JobEvent ok;
  ok.set_state(v1::JOB_STATE_SUCCEEDED);
  ok.mutable_manifest()->set_backup_id("20260301T003000Z-dup");
  outcome_->Record(first, ok);
  ASSERT_EQ(store_->GetJob("j1")->state(), v1::JOB_STATE_SUCCEEDED);

  v1::Job second = Running("j2");
  outcome_->Record(second, ok);
  absl::StatusOr<v1::Job> j2 = store_->GetJob("j2");
  ASSERT_TRUE(j2.ok());
  EXPECT_EQ(j2->state(), v1::JOB_STATE_FAILED) << "never left RUNNING for ever";
  EXPECT_EQ(j2->error().rfind("backup 20260301T003000Z-dup was stored but cannot be catalogued: ", 0),
            0u)
      << j2->error();
  v1::Job published;
  uint64_t version = 0;
  ASSERT_TRUE(updates_.Latest("j2", &published, &version));
  EXPECT_EQ(published.state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(store_->ListBackups("orders")->size(), 1u);
}

}  // namespace
}  // namespace dbdump
