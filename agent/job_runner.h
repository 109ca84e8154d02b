// Runs backup and restore jobs through the data path.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "agent/engine.h"
#include "agent/job_tracker.h"
#include "common/pump.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump {

struct JobRunnerOptions {
  std::string agent_name;
  // Private scratch space (pgpass files, sqlite snapshots).
  std::string work_dir;
  size_t buffer_bytes = 1 << 20;
  size_t buffers = 4;
  int compression_workers = 2;
};

// Stateless apart from its options; thread-safe.
class JobRunner {
 public:
  explicit JobRunner(JobRunnerOptions options) : options_(std::move(options)) {}

  // dump tool -> raw sha256 -> compress -> stored sha256 -> storage, then the
  // manifest last. On any failure nothing stays in storage.
  absl::StatusOr<dbdump::v1::Manifest> Backup(const dbdump::v1::BackupJob& job, Engine* engine,
                                              JobTracker* tracker);

  // Reads the manifest and streams the stored dump into the engine in one
  // pass, checking both checksums; the last MiB is held back from the engine
  // until they match, so a corrupted backup is never committed.
  absl::Status Restore(const dbdump::v1::RestoreJob& job, Engine* engine, JobTracker* tracker);

 private:
  PumpOptions MakePumpOptions(JobTracker* tracker, const uint64_t* bytes_out) const;
  JobRunnerOptions options_;
};

}  // namespace dbdump
