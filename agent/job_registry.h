// JobRegistry: the agent's jobs, live in memory and finished in a journal.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "agent/job_tracker.h"

namespace dbdump {

// Runs each job on its own thread. A job's terminal event is written to
// `<work_dir>/journal/<job_id>.json` before watchers see it, so a controller
// that lost its stream (or restarted) learns the outcome with WatchJob, even
// after the agent restarted. Thread-safe.
class JobRegistry {
 public:
  explicit JobRegistry(std::string work_dir);

  // Creates the journal directory and drops entries older than `keep`.
  absl::Status Init(absl::Duration keep);

  // Starts `run` on a new thread for a new job id. If the id is already
  // known (a retried dispatch), returns the existing tracker and runs nothing.
  // `run` returns the terminal event fields through the tracker.
  std::shared_ptr<JobTracker> Start(const std::string& job_id,
                                    std::function<void(JobTracker*)> run);
  // Live tracker of a job, or nullptr.
  std::shared_ptr<JobTracker> Find(const std::string& job_id);
  // Journals the outcome of a job that no thread here runs (one an earlier
  // process was running when it died).
  void RecordOutcome(const dbdump::v1::JobEvent& event) { WriteJournal(event); }
  // Called on the job's thread after its outcome is journaled, while the
  // job is still listed as running. Set before the first Start.
  void SetEndHook(std::function<void(const dbdump::v1::JobEvent&)> hook) {
    end_hook_ = std::move(hook);
  }
  // Terminal event recorded in the journal, if any.
  std::optional<dbdump::v1::JobEvent> Journaled(const std::string& job_id);
  // Number of jobs still running.
  int running();
  // Cancels every running job and waits until all have journaled their end;
  // false if some are still running after `timeout`.
  bool CancelAllAndWait(absl::Duration timeout);

 private:
  void WriteJournal(const dbdump::v1::JobEvent& event);
  std::string JournalPath(const std::string& job_id) const;

  const std::string work_dir_;
  std::function<void(const dbdump::v1::JobEvent&)> end_hook_;
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<JobTracker>> jobs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dbdump
