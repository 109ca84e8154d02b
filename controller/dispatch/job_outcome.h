// JobOutcome: the one place a job's end is applied.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/synchronization/mutex.h"

#include "common/base/clock.h"
#include "controller/dispatch/job_factory.h"
#include "controller/dispatch/job_updates.h"
#include "controller/store/store.h"

namespace dbdump {

class BackupMaintainer;
class Notifier;

// The catalogue's record of one copy as the agent reported it: committed,
// or pending (a copy job will try again) with its error.
dbdump::v1::BackupCopy CopyFromResult(const dbdump::v1::CopyResult& result, absl::Time now);

struct JobOutcomeOptions {
  // Required, not owned.
  Store* store = nullptr;
  Clock* clock = nullptr;
  JobUpdates* updates = nullptr;
  // Retention after each good backup; none when null. Not owned.
  BackupMaintainer* maintainer = nullptr;
  // Notifications of backups; none when null. Not owned.
  Notifier* notifier = nullptr;
  // Called once per ended job with its final record, after everything else
  // (tests; next the audit log and metrics). Must not block.
  std::function<void(const dbdump::v1::Job&)> on_end;
};

// A job ends in two steps, both called by the job's follower:
//  1. Record*, while the job still holds its running slot: the end is
//     written to the store in one transaction (Store::EndJob: the job's
//     state, progress and report, a good backup's catalogue entry, a test
//     restore's verdict, the schedule's outcome and the retry of a failed
//     attempt, created QUEUED) and published to JobUpdates. A crash after
//     it loses nothing: a restarted controller queues the retry it finds.
//  2. Settle, once the slot is free: the retry is queued, then retention,
//     notifications and the observers.
// If the transaction fails the job still ends (a backup that cannot be
// catalogued ends FAILED, saying so), so no job stays RUNNING for ever.
// Store errors are logged with the job; none is dropped silently.
// Thread-safe.
class JobOutcome {
 public:
  explicit JobOutcome(JobOutcomeOptions options);

  // The agent's terminal event: a good backup is catalogued; a restore's
  // report is kept and a test restore's verdict recorded on its backup.
  void Record(const dbdump::v1::Job& job, const dbdump::v1::JobEvent& terminal);
  // The job is being cancelled on request (JobService.CancelJob). If it
  // then ends CANCELLED its schedule records that and queues no retry, and
  // no failure is notified: someone chose to stop it.
  void CancelRequested(const std::string& job_id);
  // An end the controller decided: lost, never started, timed out, or a
  // queued job cancelled.
  void RecordEnd(const dbdump::v1::Job& job, dbdump::v1::JobState state, const std::string& error);
  // The job ends LOST. With `outcome_pending` contact with its agent was
  // lost and the outcome is asked again when the agent answers (lost_at is
  // recorded); without, it is final (the agent has no record of the job).
  // `reported_running`: the agent had reported the job running; a job lost
  // before that keeps no start time, so that an agent with no record of it
  // later means it never ran.
  void RecordLost(const dbdump::v1::Job& job, const std::string& error, bool outcome_pending,
                  bool reported_running = true);
  // Applies the consequences of the job's recorded end. The retry of a
  // failed scheduled backup, already stored QUEUED, goes to `queue_retry`
  // before the observers hear of the end. Nothing happens for a job whose
  // end was not recorded.
  void Settle(const dbdump::v1::Job& job, const std::function<void(StoredJob)>& queue_retry);

 private:
  // Whether the job ends CANCELLED because someone asked for it.
  bool CancelledOnRequest(const std::string& job_id, dbdump::v1::JobState state);
  // Writes the end (adding the schedule's part) and publishes it.
  // `agent_note` is the terminal event's note, when the agent told the end.
  void Finish(const dbdump::v1::Job& job, JobEnd end, bool from_agent = false,
              const std::string& agent_note = "");
  // Job.note for the end of a job whose contact was lost before (lost_at
  // set): how its outcome was learned.
  std::string NoteAfterLostContact(const dbdump::v1::Job& job, const JobEnd& end,
                                   bool from_agent) const;
  void Publish(const std::string& job_id);
  // The schedule's outcome of an ended attempt, and its retry when
  // attempts remain.
  void AddScheduleOutcome(const dbdump::v1::Job& job, JobEnd* end);
  void Notify(const dbdump::v1::Job& final_job);

  const JobOutcomeOptions o_;
  JobFactory factory_;
  absl::Mutex mu_;
  // Retries stored by Record, queued by Settle.
  std::map<std::string, StoredJob> retries_ ABSL_GUARDED_BY(mu_);
  // Jobs asked to cancel; forgotten once settled.
  std::set<std::string> cancel_requested_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dbdump
