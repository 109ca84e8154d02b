// The records of the catalogue that are not protocol messages.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

#include "dbdump/v1/controller_service.pb.h"

namespace dbdump {

// A job as stored, with the request the agent receives (BackupJob or
// RestoreJob, serialised) so a restarted controller can follow it again.
struct StoredJob {
  dbdump::v1::Job job;
  std::string request;
};

// One page of the catalogue, newest first (by id, which starts with the
// backup's UTC time).
struct BackupQuery {
  std::string database;  // empty: all
  dbdump::v1::BackupState state = dbdump::v1::BACKUP_STATE_UNSPECIFIED;  // any
  absl::Time created_after = absl::InfinitePast();    // inclusive
  absl::Time created_before = absl::InfiniteFuture();  // exclusive
  // Only ids before this one (the last of the previous page); empty: from
  // the newest.
  std::string before_id;
  int limit = 100;
};

// One page of the jobs, newest first (by creation time, then id).
struct JobQuery {
  std::string database;  // empty: all
  dbdump::v1::JobState state = dbdump::v1::JOB_STATE_UNSPECIFIED;  // any
  // Only jobs after this one in that order (the last of the previous
  // page); empty: from the newest.
  std::string before_created_at;
  std::string before_id;
  int limit = 100;
};

// What the good backups (completed, or deleted since) of one
// database add up to, summed by SQL.
struct BackupTotals {
  int64_t good = 0;
  // Stored bytes of those whose objects are still there.
  uint64_t stored_now = 0;
  double duration_sum_s = 0;
  uint64_t raw = 0;
  uint64_t stored = 0;
  // RFC 3339 of the newest; empty when none.
  std::string last_good_at;
};

// What came of a schedule's last slot: the value and the words.
struct ScheduleOutcome {
  dbdump::v1::ScheduleRunResult result = dbdump::v1::SCHEDULE_RUN_RESULT_UNSPECIFIED;
  std::string text;
};

// One slot of a schedule being taken: the schedule moves on from
// `expected_next_run_at` to `next_run_at` and `job` is created, together.
struct ScheduleRunClaim {
  std::string schedule;
  std::string expected_next_run_at;
  std::string next_run_at;
  // Not created when its id is empty (the outcome alone is recorded).
  StoredJob job;
  ScheduleOutcome outcome;
};

// Everything a job's end writes, in one transaction: its state and error,
// its last progress, and what came of it.
struct JobEnd {
  std::string job_id;
  dbdump::v1::JobState state = dbdump::v1::JOB_STATE_UNSPECIFIED;
  std::string error;
  absl::Time now;
  // JOB_STATE_LOST only: contact was lost, so the outcome is asked again
  // when the agent answers (lost_at = now); false = final.
  bool outcome_pending = false;
  // LOST: whether the agent had reported the job running; if not, the job
  // keeps no start time.
  bool reported_running = true;
  // How the outcome was learned (Job.note); kept as it is when empty.
  std::string note;
  std::optional<dbdump::v1::Progress> progress;
  // A good backup's catalogue entry.
  std::optional<dbdump::v1::Backup> backup;
  // The copies of a backup written (or tried) by the job: a backup's pass,
  // or a copy job. Each is one attempt at its (backup, storage) row.
  std::string copies_of;
  std::vector<dbdump::v1::BackupCopy> copies;
  // What a dry run or test restore found.
  std::optional<dbdump::v1::RestoreReport> restore_report;
  // A test restore's verdict, recorded on the backup it restored; empty
  // error = passed.
  struct Verdict {
    std::string backup_id;
    std::string error;
  };
  std::optional<Verdict> test_restore;
  // The schedule that ran the job: its outcome, and the retry of a failed
  // attempt (created QUEUED).
  std::string schedule;
  ScheduleOutcome schedule_outcome;
  std::optional<StoredJob> retry;
};

// Backup jobs of one database by how they ended.
struct BackupJobCounts {
  int queued = 0;
  int running = 0;
  int succeeded = 0;
  // Failed, cancelled or lost.
  int failed = 0;
};

}  // namespace dbdump
