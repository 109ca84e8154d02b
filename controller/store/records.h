// The records of the catalogue that are not protocol messages.
#pragma once

#include <string>

#include "dbdump/v1/controller_service.pb.h"

namespace dbdump {

// A job as stored, with the request the agent receives (BackupJob or
// RestoreJob, serialised) so a restarted controller can follow it again.
struct StoredJob {
  dbdump::v1::Job job;
  std::string request;
};

// One slot of a schedule being taken: the schedule moves on from
// `expected_next_run_at` to `next_run_at` and `job` is created, together.
struct ScheduleRunClaim {
  std::string schedule;
  std::string expected_next_run_at;
  std::string next_run_at;
  // Not created when its id is empty (the outcome alone is recorded).
  StoredJob job;
  std::string outcome;
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
