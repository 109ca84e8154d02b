// ProcessRunner: starts child processes without a shell; injectable for tests.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace dbdump {

struct ProcessOptions {
  // argv[0] is the program: an absolute path or a name looked up in PATH.
  std::vector<std::string> argv;
  // The complete environment of the child; nothing is inherited implicitly.
  std::map<std::string, std::string> env;
  // Give the child a pipe for stdin (else /dev/null).
  bool pipe_stdin = false;
  // Give the child a pipe for stdout (else /dev/null).
  bool pipe_stdout = false;
};

// A started child. Its stderr is collected (last 16 KiB) for error messages.
class Process {
 public:
  virtual ~Process() = default;
  virtual pid_t pid() const = 0;
  // Parent's end of the child's stdin / stdout; -1 when not piped. The
  // stdin fd is owned by the caller after ReleaseStdin().
  virtual int ReleaseStdin() = 0;
  virtual int stdout_fd() const = 0;
  // Waits for exit; returns the exit code (128+signal when killed).
  virtual int Wait() = 0;
  // Sends SIGTERM to the child's process group, SIGKILL after a grace period.
  virtual void Terminate() = 0;
  // Collected stderr, trimmed.
  virtual std::string StderrTail() = 0;
};

// Starts processes. Implementations: SubprocessRunner (real,
// subprocess_runner.h), RecordingRunner in tests/fakes.
class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  virtual absl::StatusOr<std::unique_ptr<Process>> Start(const ProcessOptions& options) = 0;
};

// Finds `name` in `path_list` (colon separated); empty when absent.
std::string FindExecutable(const std::string& name, const std::string& path_list);

// Runs a command to completion and returns its stdout (for version probes).
absl::StatusOr<std::string> RunAndCapture(ProcessRunner* runner, const ProcessOptions& options);

}  // namespace dbdump
