// JobTable: jobs, their state machine and progress.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controller/store/records.h"
#include "dbdump/v1/controller_service.pb.h"

struct sqlite3;

namespace dbdump {

// The `jobs` table. Not thread-safe: the Store calls it holding its mutex, and
// runs the transactions that span table groups.
class JobTable {
 public:
  explicit JobTable(sqlite3* db) : db_(db) {}

  // AlreadyExists when a backup of the same database is already queued or
  // running.
  absl::Status Create(const dbdump::v1::Job& job, const std::string& request);
  // Moves a job along QUEUED -> RUNNING -> terminal; a terminal job never
  // changes again (FailedPrecondition).
  absl::Status Transition(const std::string& id, dbdump::v1::JobState to,
                          const std::string& error, absl::Time now);
  // Only while the job is queued or running.
  absl::Status UpdateProgress(const std::string& id, const dbdump::v1::Progress& p);
  // Whatever the job's state: for the final counters of a job ending.
  absl::Status SetProgress(const std::string& id, const dbdump::v1::Progress& p);
  absl::StatusOr<dbdump::v1::Job> Get(const std::string& id);
  absl::StatusOr<std::vector<dbdump::v1::Job>> List(const std::string& database, int limit);
  // Jobs still QUEUED or RUNNING, with their requests.
  absl::StatusOr<std::vector<StoredJob>> Active();
  // A page of jobs, newest first (see JobQuery).
  absl::StatusOr<std::vector<dbdump::v1::Job>> Query(const JobQuery& q);
  // A job that just ended LOST: with `outcome_pending` (contact was lost;
  // the agent is asked again) it also records `now` as lost_at.
  absl::Status MarkLost(const std::string& id, bool outcome_pending, bool reported_running,
                        absl::Time now);
  absl::Status SetNote(const std::string& id, const std::string& note);
  // LOST jobs whose outcome is pending, with their requests, longest lost
  // first.
  absl::StatusOr<std::vector<StoredJob>> PendingLost();
  // A LOST job with its outcome pending runs again as far as the store
  // goes (LOST -> RUNNING; lost_at and started_at kept), to be followed
  // until the agent tells its outcome. FailedPrecondition when it is not
  // (or no longer) pending; AlreadyExists when another backup of its
  // database is queued or running (jobs_one_active_backup).
  absl::Status ReopenLost(const std::string& id, const std::string& note);
  // A LOST job whose outcome can no longer be learned: final, saying why.
  absl::Status SettleLost(const std::string& id, const std::string& error,
                          const std::string& note);
  // What a dry run or test restore job found.
  absl::Status SetRestoreReport(const std::string& job_id,
                                const dbdump::v1::RestoreReport& report);
  absl::StatusOr<std::map<std::string, BackupJobCounts>> CountBackupJobs();
  // A finished backup job learned of afterwards (storage reconciliation
  // found its manifest): inserted as it is, state, times and note included.
  absl::Status InsertFinished(const dbdump::v1::Job& job);
  // Backup ids of jobs queued or running, or lost with their outcome pending:
  // their objects may still change.
  absl::StatusOr<std::vector<std::string>> BusyBackupIds();

 private:
  // Jobs with their stored request: "SELECT … FROM jobs " + `where_and_order`.
  absl::StatusOr<std::vector<StoredJob>> StoredJobs(const char* where_and_order);
  sqlite3* db_;
};

}  // namespace dbdump
