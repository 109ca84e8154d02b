#include "controller/dispatch/copy_retrier.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"

namespace dbdump {

absl::Time NextCopyAttempt(absl::Time updated, uint32_t attempts, const CopyRetrierOptions& o) {
  uint32_t doublings = std::min<uint32_t>(attempts == 0 ? 0 : attempts - 1, 20);
  absl::Duration wait = std::min(o.backoff * (int64_t{1} << doublings), o.max_backoff);
  return updated + wait;
}

absl::StatusOr<int> CopyRetrier::QueueDue(absl::Time now) {
  ASSIGN_OR_RETURN(std::vector<BackupCopyRow> pending, store_->PendingCopies());
  if (pending.empty()) return 0;
  // Copies a job already works on.
  std::set<std::pair<std::string, std::string>> busy;
  ASSIGN_OR_RETURN(std::vector<StoredJob> active, store_->ActiveJobs());
  for (const StoredJob& j : active) {
    if (j.job.kind() == v1::JOB_KIND_COPY) busy.insert({j.job.backup_id(), j.job.copy_storage()});
  }
  int queued = 0;
  for (const BackupCopyRow& row : pending) {
    if (busy.count({row.backup_id, row.copy.storage()}) > 0) continue;
    absl::Time due = NextCopyAttempt(TimeFromString(row.copy.updated_at()), row.copy.attempts(),
                                     options_);
    if (due > now) continue;
    absl::StatusOr<StoredJob> job =
        factory_.PrepareCopy(row.backup_id, row.copy.storage(), row.copy.attempts() + 1);
    absl::Status st = job.status();
    if (st.ok()) st = store_->CreateJob(job->job, job->request);
    if (!st.ok()) {
      LogWarn("controller", "cannot queue the copy of backup ", row.backup_id, " to ",
              row.copy.storage(), ": ", st.message());
      continue;
    }
    LogInfo("controller", "queued copy job ", job->job.id(), " of backup ", row.backup_id, " to ",
            row.copy.storage(), " (attempt ", job->job.attempt(), ")");
    dispatcher_->Enqueue(*std::move(job), /*launch=*/false);
    ++queued;
  }
  if (queued > 0) dispatcher_->Launch();
  return queued;
}

}  // namespace dbdump
