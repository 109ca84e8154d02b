// JobTracker: the live state of one job on the agent, shared by the thread
// that runs it and every stream that watches it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/engines/job_control.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump {

// Thread-safe. Counters are updated by the runner; watchers take snapshots.
class JobTracker final : public JobControl {
 public:
  explicit JobTracker(std::string job_id, Clock* clock = nullptr);

  const std::string& job_id() const { return job_id_; }
  void SetRunning() override;
  // Records the terminal event (SUCCEEDED with manifest, FAILED/CANCELLED
  // with error; backups and copy jobs with each copy's outcome).
  void Finish(dbdump::v1::JobState state, const std::string& error,
              const dbdump::v1::Manifest* manifest,
              const dbdump::v1::RestoreReport* report = nullptr,
              const std::vector<dbdump::v1::CopyResult>* copies = nullptr);

  // The current state as an event (terminal once finished). Numbers grow
  // over every stream that watches the job, so a controller that re-attaches
  // can tell new events from ones it has seen; the terminal event has one
  // number, the highest, however often it is sent.
  dbdump::v1::JobEvent Snapshot();
  // Waits until the job is terminal or `timeout` passes; true when terminal.
  bool WaitTerminal(absl::Duration timeout);

 private:
  const std::string job_id_;
  absl::Mutex mu_;
  dbdump::v1::JobState state_ ABSL_GUARDED_BY(mu_) = dbdump::v1::JOB_STATE_QUEUED;
  dbdump::v1::JobEvent terminal_ ABSL_GUARDED_BY(mu_);
  uint64_t sequence_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace dbdump
