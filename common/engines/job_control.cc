#include "common/engines/job_control.h"

namespace dbdump {

JobControl::JobControl(Clock* clock)
    : clock_(clock ? clock : DefaultClock()), started_(clock_->Now()) {}

void JobControl::SetProgress(uint64_t bytes_in, uint64_t bytes_out) {
  bytes_in_ = bytes_in;
  bytes_out_ = bytes_out;
}

v1::Progress JobControl::Progress() {
  v1::Progress p;
  p.set_bytes_in(bytes_in_);
  p.set_bytes_out(bytes_out_);
  p.set_elapsed_s(absl::ToDoubleSeconds(clock_->Now() - started_));
  return p;
}

void JobControl::Cancel() {
  cancel_ = true;
  absl::MutexLock l(&hook_mu_);
  if (cancel_hook_) cancel_hook_();
}

void JobControl::SetCancelHook(std::function<void()> hook) {
  absl::MutexLock l(&hook_mu_);
  cancel_hook_ = std::move(hook);
  // A cancel that came while no hook was set still stops what the new hook
  // guards (hooks are idempotent: they only signal).
  if (cancel_hook_ && cancel_.load()) cancel_hook_();
}

}  // namespace dbdump
