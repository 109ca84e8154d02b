// ScheduleTable: schedules, their run and verification slots.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controller/store/records.h"
#include "dbdump/v1/controller_service.pb.h"

struct sqlite3;

namespace dbdump {

// The `schedules` table: settings kept whole, run bookkeeping in columns. Not
// thread-safe: the Store calls it holding its mutex, and runs the transactions
// that span table groups.
class ScheduleTable {
 public:
  explicit ScheduleTable(sqlite3* db) : db_(db) {}

  absl::Status Create(const dbdump::v1::Schedule& schedule, absl::Time now);
  absl::StatusOr<std::vector<dbdump::v1::Schedule>> List(const std::string& database);
  absl::StatusOr<dbdump::v1::Schedule> Get(const std::string& name);
  // `next_run_at` is empty when disabling.
  absl::Status SetEnabled(const std::string& name, bool enabled, const std::string& next_run_at,
                          const std::string& next_verify_at);
  absl::Status Delete(const std::string& name);
  // Replaces the settings, the database, whether it is enabled and its next
  // run and verification; the run bookkeeping stays. NotFound.
  absl::Status Update(const dbdump::v1::Schedule& schedule);
  // Enabled schedules whose next run is at or before `now`.
  absl::StatusOr<std::vector<dbdump::v1::Schedule>> Due(absl::Time now);
  // Moves the schedule's next run from `expected` to `next`; Aborted when
  // its next run is no longer `expected` (another pass took the slot).
  absl::Status AdvanceRun(const std::string& name, const std::string& expected,
                          const std::string& next, absl::Time now);
  // The last run's job (kept when `job_id` is empty) and outcome.
  absl::Status RecordRun(const std::string& name, const std::string& job_id,
                         const ScheduleOutcome& outcome);
  // Records the outcome of a schedule's last run (e.g. the job it queued ended).
  absl::Status SetOutcome(const std::string& name, const ScheduleOutcome& outcome);
  // Enabled schedules whose next verification is due.
  absl::StatusOr<std::vector<dbdump::v1::Schedule>> DueVerifications(absl::Time now);
  // Moves the verification slot on; Aborted when another pass took it.
  absl::Status ClaimVerification(const std::string& name, const std::string& expected,
                                 const std::string& next);

 private:
  sqlite3* db_;
};

}  // namespace dbdump
