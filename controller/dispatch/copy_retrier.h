// CopyRetrier: queues copy jobs for the copies of backups that are still
// pending (their write in the backup's own pass failed, or their objects
// went missing), with a backoff that grows with each failed attempt.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/base/clock.h"
#include "controller/dispatch/dispatcher.h"
#include "controller/dispatch/job_factory.h"
#include "controller/store/store.h"

namespace dbdump {

struct CopyRetrierOptions {
  // Wait after a copy's first failed write; doubled for each further one.
  absl::Duration backoff = absl::Minutes(5);
  absl::Duration max_backoff = absl::Hours(6);
};

// When the next copy job of a copy whose last write failed at `updated`
// after `attempts` writes may start.
absl::Time NextCopyAttempt(absl::Time updated, uint32_t attempts, const CopyRetrierOptions& o);

// Thread-safe as the store and dispatcher are; QueueDue is meant for one
// caller (the scheduler's tick).
class CopyRetrier {
 public:
  // None is owned.
  CopyRetrier(Store* store, Dispatcher* dispatcher, Clock* clock, CopyRetrierOptions options)
      : store_(store), dispatcher_(dispatcher), factory_(store, clock), options_(options) {}

  // Queues a copy job for each pending copy whose backoff has passed and
  // that no copy job is queued or running for. Returns how many.
  absl::StatusOr<int> QueueDue(absl::Time now);

 private:
  Store* store_;
  Dispatcher* dispatcher_;
  JobFactory factory_;
  const CopyRetrierOptions options_;
};

}  // namespace dbdump
