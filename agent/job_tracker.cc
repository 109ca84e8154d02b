#include "agent/job_tracker.h"

#include "common/base/job_state.h"
#include "common/base/names.h"

namespace dbdump {

JobTracker::JobTracker(std::string job_id, Clock* clock)
    : JobControl(clock), job_id_(std::move(job_id)) {}

void JobTracker::SetRunning() {
  absl::MutexLock l(&mu_);
  if (state_ == v1::JOB_STATE_QUEUED) state_ = v1::JOB_STATE_RUNNING;
}

void JobTracker::Finish(v1::JobState state, const std::string& error, const v1::Manifest* manifest,
                        const v1::RestoreReport* report,
                        const std::vector<v1::CopyResult>* copies) {
  v1::Progress progress = Progress();
  absl::MutexLock l(&mu_);
  if (IsTerminalJobState(state_)) return;
  state_ = state;
  terminal_.set_job_id(job_id_);
  terminal_.set_state(state);
  terminal_.set_error(error);
  if (manifest) *terminal_.mutable_manifest() = *manifest;
  if (report) *terminal_.mutable_restore_report() = *report;
  if (copies) {
    for (const v1::CopyResult& c : *copies) *terminal_.add_copies() = c;
  }
  terminal_.set_time(TimeToString(clock()->Now()));
  *terminal_.mutable_progress() = progress;
  // The terminal event keeps one number however often it is sent (and
  // journaled): a repeat is the same event.
  terminal_.set_sequence(++sequence_);
}

v1::JobEvent JobTracker::Snapshot() {
  v1::Progress progress = Progress();
  absl::MutexLock l(&mu_);
  if (IsTerminalJobState(state_)) return terminal_;
  v1::JobEvent e;
  e.set_job_id(job_id_);
  e.set_state(state_);
  e.set_time(TimeToString(clock()->Now()));
  *e.mutable_progress() = progress;
  e.set_sequence(++sequence_);
  return e;
}

bool JobTracker::WaitTerminal(absl::Duration timeout) {
  absl::MutexLock l(&mu_);
  return mu_.AwaitWithTimeout(
      absl::Condition(+[](JobTracker* t) { return IsTerminalJobState(t->state_); }, this), timeout);
}

}  // namespace dbdump
