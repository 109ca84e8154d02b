// JobControl: what one running job's byte path reports to and is stopped
// by. The agent's JobTracker extends it with the job's state and terminal
// event; dbdumpctl's bucket-only restore uses it as it is.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/base/clock.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump {

// Thread-safe: the runner updates the counters, other threads read them and
// cancel.
class JobControl {
 public:
  // `clock` (not owned) times the job; DefaultClock() when null.
  explicit JobControl(Clock* clock = nullptr);
  virtual ~JobControl() = default;
  JobControl(const JobControl&) = delete;
  JobControl& operator=(const JobControl&) = delete;

  // The job's bytes start to flow. The base class has no state to record.
  virtual void SetRunning() {}
  void SetProgress(uint64_t bytes_in, uint64_t bytes_out);
  // Bytes so far and the time since the control was made.
  dbdump::v1::Progress Progress();

  // Requests cancellation: sets the flag the pump polls and runs the hook
  // that stops the dump tool. ClearCancelHook() returns only once no hook
  // runs any more.
  void Cancel();
  bool cancelled() const { return cancel_.load(); }
  const std::atomic<bool>* cancel_flag() const { return &cancel_; }
  // Runs the hook at once when the job was already cancelled.
  void SetCancelHook(std::function<void()> hook);
  void ClearCancelHook() { SetCancelHook(nullptr); }

 protected:
  Clock* clock() const { return clock_; }

 private:
  Clock* const clock_;
  const absl::Time started_;
  std::atomic<bool> cancel_{false};
  std::atomic<uint64_t> bytes_in_{0};
  std::atomic<uint64_t> bytes_out_{0};
  // Held while the hook runs, so ClearCancelHook() waits for a running hook
  // and the runner can then free what the hook touches.
  absl::Mutex hook_mu_;
  std::function<void()> cancel_hook_ ABSL_GUARDED_BY(hook_mu_);
};

}  // namespace dbdump
