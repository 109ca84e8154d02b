// JobUpdates: job state changes and progress, broadcast in memory.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dbdump/v1/controller_service.pb.h"

namespace dbdump {

// Whoever changes a job (the dispatcher, JobOutcome) publishes its new
// record here; followers (FollowJob, later the gateway's live streams) wait
// on it instead of polling the store. The store stays the record of state;
// this is only the message bus. Each publish gets a version, increasing over
// all jobs, so a follower asks for "newer than what I saw" and misses
// nothing. The record here is never older than the store's (everything
// stored is published; progress is published at once and stored later), so
// a follower starts from Latest and reads the store only for a job this
// broadcaster has not heard of. The latest record of every running job is
// kept, and of the last `keep_finished` ended ones.
// Thread-safe.
class JobUpdates {
 public:
  explicit JobUpdates(size_t keep_finished = 1024) : keep_finished_(keep_finished) {}

  // Publishes the job's current record (state, progress, result).
  void Publish(const dbdump::v1::Job& job);
  // The job's latest record and its version; false when there is none.
  bool Latest(const std::string& job_id, dbdump::v1::Job* job, uint64_t* version);
  // The version of the job's latest record here; 0 when there is none.
  uint64_t Version(const std::string& job_id);
  // Waits up to `timeout` for a record of the job newer than `seen`; true
  // with it and its version, false when none came (or Close was called).
  bool WaitNewer(const std::string& job_id, uint64_t seen, absl::Duration timeout,
                 dbdump::v1::Job* job, uint64_t* version);
  // Wakes every waiter; later waits return at once. For shutdown.
  void Close();
  bool closed();

 private:
  struct Entry {
    uint64_t version = 0;
    dbdump::v1::Job job;
  };

  const size_t keep_finished_;
  absl::Mutex mu_;
  uint64_t last_version_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, Entry> jobs_ ABSL_GUARDED_BY(mu_);
  // Ended jobs in the order they ended, the oldest dropped first.
  std::deque<std::string> finished_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dbdump
