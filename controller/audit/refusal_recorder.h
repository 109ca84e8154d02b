// RefusalRecorder: writes refused calls to the audit log, at most one entry a
// minute for the same caller, RPC and outcome, so a revoked agent that keeps
// heartbeating or a script with a bad token cannot flood the log; the next
// entry written says how many like it were not.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/base/clock.h"
#include "controller/store/security_records.h"

namespace dbdump {

class AuditLog;

// Thread-safe.
class RefusalRecorder {
 public:
  // `log` and `clock` are not owned and outlive the recorder.
  RefusalRecorder(AuditLog* log, Clock* clock, absl::Duration window = absl::Minutes(1));

  void Record(AuditEntry entry);

 private:
  struct Seen {
    absl::Time last;
    int64_t suppressed = 0;
  };
  AuditLog* const log_;
  Clock* const clock_;
  const absl::Duration window_;
  absl::Mutex mu_;
  std::map<std::string, Seen> seen_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dbdump
