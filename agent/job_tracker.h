// JobTracker: the live state of one job on the agent, shared by the thread
// that runs it and every stream that watches it.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/job_state.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump {

// Thread-safe. Counters are updated by the runner; watchers take snapshots.
class JobTracker {
 public:
  explicit JobTracker(std::string job_id);

  const std::string& job_id() const { return job_id_; }
  void SetRunning();
  void SetProgress(uint64_t bytes_in, uint64_t bytes_out);
  // Records the terminal event (SUCCEEDED with manifest, FAILED/CANCELLED with error).
  void Finish(dbdump::v1::JobState state, const std::string& error,
              const dbdump::v1::Manifest* manifest,
              const dbdump::v1::RestoreReport* report = nullptr);

  // The current state as an event (terminal once finished).
  dbdump::v1::JobEvent Snapshot();
  // Waits until the job is terminal or `timeout` passes; true when terminal.
  bool WaitTerminal(absl::Duration timeout);

  // Requests cancellation: sets the flag the pump polls and runs the hook
  // that stops the dump tool. ClearCancelHook() returns only once no hook
  // runs any more.
  void Cancel();
  const std::atomic<bool>* cancel_flag() const { return &cancel_; }
  // Runs the hook at once when the job was already cancelled.
  void SetCancelHook(std::function<void()> hook);
  void ClearCancelHook() { SetCancelHook(nullptr); }

 private:
  const std::string job_id_;
  const absl::Time started_;
  std::atomic<bool> cancel_{false};
  std::atomic<uint64_t> bytes_in_{0};
  std::atomic<uint64_t> bytes_out_{0};
  absl::Mutex mu_;
  dbdump::v1::JobState state_ ABSL_GUARDED_BY(mu_) = dbdump::v1::JOB_STATE_QUEUED;
  dbdump::v1::JobEvent terminal_ ABSL_GUARDED_BY(mu_);
  // Held while the hook runs, so ClearCancelHook() waits for a running hook
  // and the runner can then free what the hook touches.
  absl::Mutex hook_mu_;
  std::function<void()> cancel_hook_ ABSL_GUARDED_BY(hook_mu_);
};


}  // namespace dbdump
