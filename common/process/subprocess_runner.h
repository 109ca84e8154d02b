// SubprocessRunner: ProcessRunner for real programs.
#pragma once

#include "common/process/process_runner.h"

namespace dbdump {

// Runs real programs with posix_spawn, without a shell, each in its own
// process group (so Terminate reaches the tools it starts). Thread-safe.
class SubprocessRunner final : public ProcessRunner {
 public:
  absl::StatusOr<std::unique_ptr<Process>> Start(const ProcessOptions& options) override;
};

}  // namespace dbdump
