#include "common/base/work_queue.h"

#include <utility>

#include "common/base/log.h"

namespace dbdump {

WorkQueue::WorkQueue(WorkQueueOptions options) : options_(std::move(options)) {}

WorkQueue::~WorkQueue() { Stop(); }

void WorkQueue::Start() {
  absl::MutexLock t(&thread_mu_);
  if (started_) return;
  started_ = true;
  {
    absl::MutexLock l(&mu_);
    if (stopping_) return;
  }
  worker_ = std::thread([this] { Work(); });
}

bool WorkQueue::Post(std::function<void()> task, std::string description) {
  absl::MutexLock l(&mu_);
  if (stopping_) return false;
  tasks_.push_back({std::move(task), std::move(description)});
  while (tasks_.size() > options_.max_queued) {
    LogWarn(options_.name, "queue full: dropping ", tasks_.front().description);
    tasks_.pop_front();
    ++dropped_;
  }
  return true;
}

bool WorkQueue::WaitIdle(absl::Duration timeout) {
  absl::MutexLock l(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(
                                  +[](WorkQueue* q) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                    return q->tasks_.empty() && !q->busy_;
                                  },
                                  this),
                              timeout);
}

bool WorkQueue::SleepUnlessStopped(absl::Duration d) {
  absl::MutexLock l(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), d);
  return !stopping_;
}

bool WorkQueue::stopping() {
  absl::MutexLock l(&mu_);
  return stopping_;
}

void WorkQueue::Stop() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  absl::MutexLock t(&thread_mu_);
  if (worker_.joinable()) worker_.join();
}

int WorkQueue::dropped() {
  absl::MutexLock l(&mu_);
  return dropped_;
}

void WorkQueue::Work() {
  while (true) {
    Task task;
    {
      absl::MutexLock l(&mu_);
      busy_ = false;
      mu_.Await(absl::Condition(
          +[](WorkQueue* q) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return q->stopping_ || !q->tasks_.empty();
          },
          this));
      if (stopping_) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
      busy_ = true;
    }
    task.run();
  }
}

}  // namespace dbdump
