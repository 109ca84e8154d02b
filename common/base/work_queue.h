// WorkQueue: a thread of its own that runs posted tasks one at a time.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <limits>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dbdump {

struct WorkQueueOptions {
  // Component name of the queue's log lines, e.g. "notifier".
  std::string name = "work queue";
  // Tasks waiting beyond this many are dropped, oldest first, each logged
  // with its description and counted (dropped()). No bound by default.
  size_t max_queued = std::numeric_limits<size_t>::max();
};

// Runs tasks in the order they were posted, one at a time, on one thread,
// so that whoever posts them never waits for them (a slow receiver of
// notifications, a verification talking to an agent). Tasks posted before
// Start wait for it. Stop interrupts SleepUnlessStopped, waits for the
// running task to return and never runs the tasks still queued.
//
// Thread-safe: every method may be called from any thread. Tasks may call
// Post, WaitIdle (it then waits for itself: only with a short timeout),
// SleepUnlessStopped, stopping and dropped, but not Start, Stop or the
// destructor, which wait for the running task.
class WorkQueue {
 public:
  explicit WorkQueue(WorkQueueOptions options = {});
  // Stops.
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Starts the thread. Only the first call does anything, and none after Stop.
  void Start();
  // Queues `task`; `description` names it in the log should it be dropped.
  // False, and the task is discarded, once Stop was called.
  bool Post(std::function<void()> task, std::string description = "");
  // Waits until no task is queued or running; false on timeout (also when
  // tasks were posted but the queue was never started, or was stopped).
  bool WaitIdle(absl::Duration timeout);
  // For tasks that back off: waits `d`, or less when Stop is called. False
  // when stopping, and the task should then return.
  bool SleepUnlessStopped(absl::Duration d);
  bool stopping();
  // Waits for the running task to return and ends the thread; tasks still
  // queued never run, later Posts are refused. Later calls do nothing.
  void Stop();
  // Tasks dropped because more than max_queued were waiting.
  int dropped();

 private:
  struct Task {
    std::function<void()> run;
    std::string description;
  };
  void Work();

  const WorkQueueOptions options_;
  absl::Mutex mu_;
  std::deque<Task> tasks_ ABSL_GUARDED_BY(mu_);
  // A task is running (taken off `tasks_`, not yet returned).
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int dropped_ ABSL_GUARDED_BY(mu_) = 0;
  // Start and Stop may race; the thread object is theirs alone.
  absl::Mutex thread_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  bool started_ ABSL_GUARDED_BY(thread_mu_) = false;
  std::thread worker_ ABSL_GUARDED_BY(thread_mu_);
};

}  // namespace dbdump
