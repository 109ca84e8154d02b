#include "common/process/process_runner.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace {

bool IsExecutable(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::string FindExecutable(const std::string& name, const std::string& path_list) {
  if (name.find('/') != std::string::npos) return IsExecutable(name) ? name : "";
  for (absl::string_view dir : absl::StrSplit(path_list, ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", name);
    if (IsExecutable(candidate)) return candidate;
  }
  return "";
}

absl::StatusOr<std::string> RunAndCapture(ProcessRunner* runner, const ProcessOptions& options) {
  ProcessOptions o = options;
  o.pipe_stdout = true;
  o.pipe_stdin = false;
  ASSIGN_OR_RETURN(std::unique_ptr<Process> p, runner->Start(o));
  std::string out;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(p->stdout_fd(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  int code = p->Wait();
  if (code != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        options.argv[0], " exited with code ", code, ": ", p->StderrTail()));
  }
  return out;
}

}  // namespace dbdump
