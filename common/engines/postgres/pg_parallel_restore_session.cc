#include "common/engines/postgres/pg_parallel_restore_session.h"

#include "common/base/status_macros.h"

namespace dbdump {
namespace pg {

absl::Status PgParallelRestoreSession::Finish() {
  finished_ = true;
  absl::Status st = [&]() -> absl::Status {
    RETURN_IF_ERROR(sink_.Finish());
    if (cancelled_.load()) return absl::CancelledError("job cancelled");
    po_.argv.push_back(spool_.path());
    ASSIGN_OR_RETURN(std::unique_ptr<Process> p, runner_->Start(po_));
    {
      absl::MutexLock l(&mu_);
      process_ = p.get();
    }
    if (cancelled_.load()) p->Terminate();
    int code = p->Wait();
    {
      absl::MutexLock l(&mu_);
      process_ = nullptr;
    }
    if (code != 0) return on_error_(code, p->StderrTail());
    return absl::OkStatus();
  }();
  spool_.Remove();
  for (PrivateFile& f : files_) f.Remove();
  if (!st.ok() && on_failure_) on_failure_();
  return st;
}

void PgParallelRestoreSession::Cancel() {
  cancelled_.store(true);
  absl::MutexLock l(&mu_);
  if (process_ != nullptr) process_->Terminate();
}

}  // namespace pg
}  // namespace dbdump
