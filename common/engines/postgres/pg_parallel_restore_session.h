// PgParallelRestoreSession: pg_restore --jobs on a spooled copy of the dump.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/engines/engine.h"
#include "common/engines/private_file.h"
#include "common/engines/tool_session.h"
#include "common/io/fd_io.h"
#include "common/process/process_runner.h"

namespace dbdump {
namespace pg {

// A dump restored by pg_restore --jobs: pg_restore needs a seekable file
// for parallel workers, so the verified stream is written to a private file
// in the work directory first and pg_restore runs on it in Finish(). The
// file never outlives the session.
class PgParallelRestoreSession : public RestoreSession {
 public:
  PgParallelRestoreSession(PrivateFile spool, int fd, ProcessRunner* runner, ProcessOptions po,
                           std::vector<PrivateFile> files, ToolErrorFn on_error,
                           std::function<void()> on_failure)
      : spool_(std::move(spool)),
        sink_(fd, /*close_on_finish=*/true),
        runner_(runner),
        po_(std::move(po)),
        files_(std::move(files)),
        on_error_(std::move(on_error)),
        on_failure_(std::move(on_failure)) {}
  ~PgParallelRestoreSession() override {
    if (!finished_ && on_failure_) on_failure_();
  }
  Sink* sink() override { return &sink_; }
  absl::Status Finish() override;
  void Cancel() override;

 private:
  PrivateFile spool_;
  FdSink sink_;
  ProcessRunner* runner_;
  ProcessOptions po_;
  // The pgpass file and the TLS key file of the tool.
  std::vector<PrivateFile> files_;
  ToolErrorFn on_error_;
  std::function<void()> on_failure_;
  bool finished_ = false;
  std::atomic<bool> cancelled_{false};
  absl::Mutex mu_;
  Process* process_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace pg
}  // namespace dbdump
