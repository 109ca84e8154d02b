#include "common/base/work_queue.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {

// Generous: only a broken queue waits this long.
constexpr absl::Duration kLong = absl::Seconds(10);

TEST(WorkQueueTest, RunsTasksInOrderOnOneThreadOfItsOwn) {
  WorkQueue q;
  q.Start();
  absl::Mutex mu;
  std::vector<int> ran;
  std::vector<std::thread::id> threads;
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(q.Post([&, i] {
      absl::MutexLock l(&mu);
      ran.push_back(i);
      threads.push_back(std::this_thread::get_id());
    }));
  }
  ASSERT_TRUE(q.WaitIdle(kLong));
  absl::MutexLock l(&mu);
  ASSERT_EQ(ran.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(ran[i], i);
  for (const auto& t : threads) {
    EXPECT_EQ(t, threads.front());
    EXPECT_NE(t, std::this_thread::get_id());
  }
}

TEST(WorkQueueTest, TasksPostedBeforeStartWaitForIt) {
  WorkQueue q;
  std::atomic<int> ran{0};
  q.Post([&] { ++ran; });
  EXPECT_FALSE(q.WaitIdle(absl::Milliseconds(50)));
  EXPECT_EQ(ran.load(), 0);
  q.Start();
  ASSERT_TRUE(q.WaitIdle(kLong));
  EXPECT_EQ(ran.load(), 1);
}

TEST(WorkQueueTest, WaitIdleWaitsForTheRunningTask) {
  WorkQueue q;
  q.Start();
  EXPECT_TRUE(q.WaitIdle(absl::ZeroDuration())) << "nothing posted: idle";
  absl::Notification started, release;
  q.Post([&] {
    started.Notify();
    release.WaitForNotification();
  });
  started.WaitForNotification();
  EXPECT_FALSE(q.WaitIdle(absl::Milliseconds(50))) << "the task is still running";
  release.Notify();
  EXPECT_TRUE(q.WaitIdle(kLong));
}

TEST(WorkQueueTest, DropsTheOldestBeyondMaxQueued) {
  WorkQueueOptions o;
  o.name = "test";
  o.max_queued = 2;
  WorkQueue q(o);
  std::vector<int> ran;  // written by the worker only, read once it is idle
  for (int i = 0; i < 5; ++i) q.Post([&ran, i] { ran.push_back(i); }, absl::StrCat("task ", i));
  EXPECT_EQ(q.dropped(), 3);
  q.Start();
  ASSERT_TRUE(q.WaitIdle(kLong));
  EXPECT_EQ(ran, (std::vector<int>{3, 4}));
}

TEST(WorkQueueTest, StopInterruptsABackoffAndNeverRunsWhatIsQueued) {
  WorkQueue q;
  absl::Notification started;
  std::atomic<bool> slept_through{true};
  std::atomic<bool> second_ran{false};
  q.Post([&] {
    started.Notify();
    slept_through = q.SleepUnlessStopped(absl::Hours(1));
  });
  q.Post([&] { second_ran = true; });
  q.Start();
  started.WaitForNotification();
  absl::Time before = absl::Now();
  q.Stop();
  EXPECT_LT(absl::Now() - before, kLong);
  EXPECT_FALSE(slept_through.load()) << "SleepUnlessStopped returns false when stopping";
  EXPECT_FALSE(second_ran.load());
  EXPECT_TRUE(q.stopping());
  EXPECT_FALSE(q.Post([] {})) << "refused after Stop";
  q.Stop();  // again: nothing to do
}

TEST(WorkQueueTest, SleepUnlessStoppedSleepsWhenRunning) {
  WorkQueue q;
  q.Start();
  absl::Time before = absl::Now();
  EXPECT_TRUE(q.SleepUnlessStopped(absl::Milliseconds(20)));
  EXPECT_GE(absl::Now() - before, absl::Milliseconds(20));
}

TEST(WorkQueueTest, StopWithoutStartAndStartAfterStop) {
  WorkQueue q;
  q.Post([] {});
  q.Stop();
  q.Start();  // after Stop: no thread
  EXPECT_FALSE(q.WaitIdle(absl::Milliseconds(20))) << "the queued task never runs";
}

}  // namespace
}  // namespace dbdump
