// JobTracker: event numbers grow over every stream of a job, so a
// controller that re-attaches tells new events from seen ones; the terminal
// event keeps one number.
#include "agent/job_tracker.h"

#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"

namespace dbdump {
namespace {

TEST(JobTrackerTest, SequenceGrowsAcrossStreamsAndTheEndKeepsOneNumber) {
  FakeClock clock(absl::FromUnixSeconds(1767225600));
  JobTracker tracker("job-1", &clock);
  tracker.SetRunning();
  // Two streams watching the same job, taking turns.
  uint64_t first_stream = tracker.Snapshot().sequence();
  uint64_t second_stream = tracker.Snapshot().sequence();
  uint64_t first_again = tracker.Snapshot().sequence();
  EXPECT_GT(second_stream, first_stream);
  EXPECT_GT(first_again, second_stream);

  v1::Manifest m;
  m.set_backup_id("b1");
  tracker.Finish(v1::JOB_STATE_SUCCEEDED, "", &m);
  v1::JobEvent end = tracker.Snapshot();
  EXPECT_EQ(end.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_GT(end.sequence(), first_again);
  EXPECT_EQ(tracker.Snapshot().sequence(), end.sequence()) << "a repeated end is the same event";
  // A second end is ignored.
  tracker.Finish(v1::JOB_STATE_FAILED, "late", nullptr);
  EXPECT_EQ(tracker.Snapshot().state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(tracker.Snapshot().sequence(), end.sequence());
}

}  // namespace
}  // namespace dbdump
