#include "controller/dispatch/job_updates.h"

#include "common/base/job_state.h"

namespace dbdump {

void JobUpdates::Publish(const v1::Job& job) {
  absl::MutexLock l(&mu_);
  Entry& e = jobs_[job.id()];
  bool newly_finished = IsTerminalJobState(job.state()) && !IsTerminalJobState(e.job.state());
  e.version = ++last_version_;
  e.job = job;
  if (newly_finished) {
    finished_.push_back(job.id());
    while (finished_.size() > keep_finished_) {
      jobs_.erase(finished_.front());
      finished_.pop_front();
    }
  }
}

bool JobUpdates::Latest(const std::string& job_id, v1::Job* job, uint64_t* version) {
  absl::MutexLock l(&mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return false;
  *job = it->second.job;
  *version = it->second.version;
  return true;
}

uint64_t JobUpdates::Version(const std::string& job_id) {
  absl::MutexLock l(&mu_);
  auto it = jobs_.find(job_id);
  return it == jobs_.end() ? 0 : it->second.version;
}

bool JobUpdates::WaitNewer(const std::string& job_id, uint64_t seen, absl::Duration timeout,
                           v1::Job* job, uint64_t* version) {
  struct Arg {
    JobUpdates* self;
    const std::string* id;
    uint64_t seen;
  } arg{this, &job_id, seen};
  absl::MutexLock l(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(
                           +[](Arg* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                             if (a->self->closed_) return true;
                             auto it = a->self->jobs_.find(*a->id);
                             return it != a->self->jobs_.end() && it->second.version > a->seen;
                           },
                           &arg),
                       timeout);
  auto it = jobs_.find(job_id);
  if (closed_ || it == jobs_.end() || it->second.version <= seen) return false;
  *job = it->second.job;
  *version = it->second.version;
  return true;
}

void JobUpdates::Close() {
  absl::MutexLock l(&mu_);
  closed_ = true;
}

bool JobUpdates::closed() {
  absl::MutexLock l(&mu_);
  return closed_;
}

}  // namespace dbdump
