// JobUpdates: versions, waking waiters, keeping the latest record, dropping
// the oldest ended jobs.
#include "controller/dispatch/job_updates.h"

#include <thread>

#include "gtest/gtest.h"

namespace dbdump {
namespace {

v1::Job JobIn(const std::string& id, v1::JobState state, uint64_t bytes_in = 0) {
  v1::Job j;
  j.set_id(id);
  j.set_state(state);
  j.mutable_progress()->set_bytes_in(bytes_in);
  return j;
}

TEST(JobUpdatesTest, AWaiterGetsTheLatestRecordNewerThanWhatItSaw) {
  JobUpdates updates;
  EXPECT_EQ(updates.Version("j1"), 0u);
  v1::Job got;
  uint64_t version = 0;
  EXPECT_FALSE(updates.WaitNewer("j1", 0, absl::Milliseconds(1), &got, &version));

  updates.Publish(JobIn("j1", v1::JOB_STATE_RUNNING, 10));
  updates.Publish(JobIn("j2", v1::JOB_STATE_RUNNING, 99));
  updates.Publish(JobIn("j1", v1::JOB_STATE_RUNNING, 20));
  uint64_t seen = updates.Version("j1");
  EXPECT_GT(seen, updates.Version("j2")) << "versions grow over all jobs";
  // Published before the wait: not missed.
  ASSERT_TRUE(updates.WaitNewer("j1", 0, absl::Milliseconds(1), &got, &version));
  EXPECT_EQ(got.progress().bytes_in(), 20u) << "the latest record, not each one";
  EXPECT_EQ(version, seen);
  v1::Job latest;
  uint64_t latest_version = 0;
  ASSERT_TRUE(updates.Latest("j1", &latest, &latest_version));
  EXPECT_EQ(latest.progress().bytes_in(), 20u);
  EXPECT_EQ(latest_version, seen);
  EXPECT_FALSE(updates.Latest("j3", &latest, &latest_version));
  // Nothing newer: times out.
  EXPECT_FALSE(updates.WaitNewer("j1", seen, absl::Milliseconds(1), &got, &version));
}

TEST(JobUpdatesTest, PublishWakesAWaitingFollower) {
  JobUpdates updates;
  updates.Publish(JobIn("j1", v1::JOB_STATE_RUNNING, 1));
  uint64_t seen = updates.Version("j1");
  v1::Job got;
  uint64_t version = 0;
  bool woke = false;
  std::thread follower([&] {
    // A long timeout: only the publish below can end this wait with true.
    woke = updates.WaitNewer("j1", seen, absl::Seconds(60), &got, &version);
  });
  updates.Publish(JobIn("j1", v1::JOB_STATE_SUCCEEDED, 2));
  follower.join();
  ASSERT_TRUE(woke);
  EXPECT_EQ(got.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_GT(version, seen);
}

TEST(JobUpdatesTest, CloseReleasesWaitersAndLaterWaits) {
  JobUpdates updates;
  bool woke = true;
  std::thread follower([&] {
    v1::Job got;
    uint64_t version = 0;
    woke = updates.WaitNewer("j1", 0, absl::Seconds(60), &got, &version);
  });
  updates.Close();
  follower.join();
  EXPECT_FALSE(woke);
  EXPECT_TRUE(updates.closed());
}

TEST(JobUpdatesTest, KeepsOnlyTheNewestEndedJobs) {
  JobUpdates updates(/*keep_finished=*/2);
  updates.Publish(JobIn("running", v1::JOB_STATE_RUNNING));
  for (const char* id : {"a", "b", "c"}) {
    updates.Publish(JobIn(id, v1::JOB_STATE_RUNNING));
    updates.Publish(JobIn(id, v1::JOB_STATE_SUCCEEDED));
  }
  // A job that ends twice counts once.
  updates.Publish(JobIn("c", v1::JOB_STATE_SUCCEEDED));
  EXPECT_EQ(updates.Version("a"), 0u) << "the oldest ended job is dropped";
  EXPECT_NE(updates.Version("b"), 0u);
  EXPECT_NE(updates.Version("c"), 0u);
  EXPECT_NE(updates.Version("running"), 0u) << "running jobs are always kept";
}

}  // namespace
}  // namespace dbdump
