#include "agent/job_tracker.h"

#include "common/names.h"

namespace dbdump {

JobTracker::JobTracker(std::string job_id) : job_id_(std::move(job_id)), started_(absl::Now()) {}

void JobTracker::SetRunning() {
  absl::MutexLock l(&mu_);
  if (state_ == v1::JOB_STATE_QUEUED) state_ = v1::JOB_STATE_RUNNING;
}

void JobTracker::SetProgress(uint64_t bytes_in, uint64_t bytes_out) {
  bytes_in_ = bytes_in;
  bytes_out_ = bytes_out;
}

void JobTracker::Finish(v1::JobState state, const std::string& error, const v1::Manifest* manifest,
                        const v1::RestoreReport* report) {
  absl::MutexLock l(&mu_);
  if (IsTerminalJobState(state_)) return;
  state_ = state;
  terminal_.set_job_id(job_id_);
  terminal_.set_state(state);
  terminal_.set_error(error);
  if (manifest) *terminal_.mutable_manifest() = *manifest;
  if (report) *terminal_.mutable_restore_report() = *report;
  terminal_.set_time(TimeToString(absl::Now()));
  auto* p = terminal_.mutable_progress();
  p->set_bytes_in(bytes_in_);
  p->set_bytes_out(bytes_out_);
  p->set_elapsed_s(absl::ToDoubleSeconds(absl::Now() - started_));
}

v1::JobEvent JobTracker::Snapshot() {
  absl::MutexLock l(&mu_);
  if (IsTerminalJobState(state_)) return terminal_;
  v1::JobEvent e;
  e.set_job_id(job_id_);
  e.set_state(state_);
  e.set_time(TimeToString(absl::Now()));
  auto* p = e.mutable_progress();
  p->set_bytes_in(bytes_in_);
  p->set_bytes_out(bytes_out_);
  p->set_elapsed_s(absl::ToDoubleSeconds(absl::Now() - started_));
  return e;
}

bool JobTracker::WaitTerminal(absl::Duration timeout) {
  absl::MutexLock l(&mu_);
  return mu_.AwaitWithTimeout(
      absl::Condition(+[](JobTracker* t) { return IsTerminalJobState(t->state_); }, this), timeout);
}

void JobTracker::Cancel() {
  cancel_ = true;
  absl::MutexLock l(&hook_mu_);
  if (cancel_hook_) cancel_hook_();
}

void JobTracker::SetCancelHook(std::function<void()> hook) {
  absl::MutexLock l(&hook_mu_);
  cancel_hook_ = std::move(hook);
  // A cancel that came while no hook was set still stops what the new hook
  // guards (hooks are idempotent: they only signal).
  if (cancel_hook_ && cancel_.load()) cancel_hook_();
}

}  // namespace dbdump
