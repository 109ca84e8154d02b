// LeftoverSweeper: the agent finishes what its jobs journaled. After every
// job, and for jobs an earlier agent process was running when it died, it
// removes what should not stay (a failed backup's objects, unfinished
// uploads and partial files, a restore's temporary files) and, for a job
// that died without an outcome, establishes and journals one.
#pragma once

#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "agent/job_registry.h"
#include "common/base/clock.h"
#include "common/storage/write_journal.h"

namespace dbdump {

// Thread-safe. Entries whose storage cannot be reached stay in the journal
// and are tried again on the next pass.
class LeftoverSweeper {
 public:
  // Not owned. `clock` stamps established outcomes; DefaultClock() when null.
  LeftoverSweeper(WriteJournal* journal, JobRegistry* registry, Clock* clock = nullptr);
  ~LeftoverSweeper();

  // A job of this process ended with `outcome` (journaled already): keeps
  // a SUCCEEDED backup's objects, removes a failed one's (manifest first),
  // aborts the unfinished writes of every key it wrote, removes its
  // temporary files, then forgets the entry. The entries of its copy
  // destinations too (see CleanCopy).
  void JobEnded(const dbdump::v1::JobEvent& outcome);
  // One pass over the entries no live job owns (jobs of a process that
  // died). A job without a journaled outcome gets one first: a backup whose
  // manifest is in storage SUCCEEDED (with that manifest), any other job
  // FAILED. Returns how many entries were finished.
  int SweepOrphans();
  // The job is one such entry whose outcome is not journaled yet: callers
  // should ask again shortly rather than take the job as unknown.
  bool Pending(const std::string& job_id);

  // A pass at once, then one every `every`, on a thread of its own.
  void Start(absl::Duration every);
  void Stop();

 private:
  absl::StatusOr<dbdump::v1::JobEvent> Establish(const dbdump::v1::WriteIntents& w);
  absl::Status Clean(const dbdump::v1::WriteIntents& w, bool succeeded);
  // A copy destination's entry (of a backup job's pass, or of a copy job):
  // the copy committed when its manifest is there; its objects stay then,
  // and go otherwise. An unreachable storage is an error (tried again).
  absl::Status CleanCopy(const dbdump::v1::WriteIntents& w);

  WriteJournal* const journal_;
  JobRegistry* const registry_;
  Clock* const clock_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace dbdump
