#include "common/engines/tool_session.h"

#include "common/engines/line_scan_session.h"

#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"

namespace dbdump {

ToolDumpSession::ToolDumpSession(std::unique_ptr<Process> p, std::vector<PrivateFile> files,
                                 ToolErrorFn on_error, DumpInfo info)
    : p_(std::move(p)),
      files_(std::move(files)),
      source_(p_->stdout_fd()),
      on_error_(std::move(on_error)),
      info_(std::move(info)) {}

absl::Status ToolDumpSession::Finish() {
  int code = p_->Wait();
  for (PrivateFile& f : files_) f.Remove();
  if (code == 0) return absl::OkStatus();
  return on_error_(code, p_->StderrTail());
}

ToolRestoreSession::ToolRestoreSession(Options o)
    : o_(std::move(o)),
      sink_(o_.process->ReleaseStdin(), /*close_on_finish=*/true),
      in_(&sink_, static_cast<bool>(o_.count_line)) {
  if (o_.count_line) {
    int fd = o_.process->stdout_fd();
    reader_ = std::thread([this, fd] {
      LineCounter counter(o_.count_line);
      char buf[64 * 1024];
      while (true) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        // LineCounter only counts and never fails.
        (void)counter.Write(buf, static_cast<size_t>(n));
      }
      (void)counter.Finish();  // counts a last unterminated line; never fails
      entries_ = counter.count();
    });
  }
}

ToolRestoreSession::~ToolRestoreSession() {
  if (!finished_) {
    o_.process->Terminate();
    // The session is abandoned (the caller has its own error): closing the
    // tool's stdin may fail on the killed tool, which changes nothing.
    (void)sink_.Finish();
    o_.process->Wait();
    if (reader_.joinable()) reader_.join();
    Undo();
  }
}

absl::Status ToolRestoreSession::Finish() {
  // Closing stdin fails only when the tool already exited; its exit code
  // and stderr, checked below, are the error worth reporting.
  (void)sink_.Finish();
  int code = o_.process->Wait();
  if (reader_.joinable()) reader_.join();
  for (PrivateFile& f : o_.files) f.Remove();
  finished_ = true;
  if (code == 0) return absl::OkStatus();
  absl::Status st = o_.on_error(code, o_.process->StderrTail());
  Undo();
  return st;
}

absl::Status ToolRestoreSession::Input::Write(const char* data, size_t n) {
  if (stopped_) return absl::OkStatus();
  absl::Status st = to_->Write(data, n);
  if (!st.ok() && tool_may_stop_) {
    stopped_ = true;
    return absl::OkStatus();
  }
  return st;
}

void ToolRestoreSession::Undo() {
  if (o_.on_failure) {
    auto undo = std::move(o_.on_failure);
    o_.on_failure = nullptr;
    undo();
  }
}

std::string ToolRestoreSession::summary() const {
  return o_.summary_format.empty() ? "" : FormatCount(o_.summary_format, entries_);
}

}  // namespace dbdump
