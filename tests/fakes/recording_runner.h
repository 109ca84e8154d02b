// RecordingRunner: a ProcessRunner that starts real processes and records them.
#pragma once

#include <sys/types.h>

#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/process/subprocess_runner.h"

namespace dbdump {

// Starts every command with a SubprocessRunner and keeps what it was asked
// to start, so tests can check argv and environment (no password in them)
// and look at the live child in /proc. Thread-safe.
class RecordingRunner final : public ProcessRunner {
 public:
  struct Started {
    ProcessOptions options;
    // -1 when the start failed.
    pid_t pid;
  };

  absl::StatusOr<std::unique_ptr<Process>> Start(const ProcessOptions& o) override {
    absl::StatusOr<std::unique_ptr<Process>> p = real_.Start(o);
    absl::MutexLock l(&mu_);
    started_.push_back({o, p.ok() ? (*p)->pid() : -1});
    return p;
  }
  // Every start so far, oldest first.
  std::vector<Started> started() {
    absl::MutexLock l(&mu_);
    return started_;
  }

 private:
  SubprocessRunner real_;
  absl::Mutex mu_;
  std::vector<Started> started_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dbdump
