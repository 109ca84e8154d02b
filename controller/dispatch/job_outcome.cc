#include "controller/dispatch/job_outcome.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/base/job_state.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "controller/notify/notifier.h"
#include "controller/retention/backup_maintainer.h"

namespace dbdump {
namespace {

void LogIfFailed(const std::string& job_id, const char* what, const absl::Status& st) {
  if (!st.ok()) LogWarn("controller", "job ", job_id, ": ", what, ": ", st.message());
}

}  // namespace

JobOutcome::JobOutcome(JobOutcomeOptions options)
    : o_(std::move(options)), factory_(o_.store, o_.clock) {}

void JobOutcome::Publish(const std::string& job_id) {
  absl::StatusOr<v1::Job> now = o_.store->GetJob(job_id);
  if (now.ok()) {
    o_.updates->Publish(*now);
  } else {
    LogWarn("controller", "job ", job_id, ": cannot read it back to publish: ", now.status().message());
  }
}

void JobOutcome::Record(const v1::Job& job, const v1::JobEvent& e) {
  absl::Time now = o_.clock->Now();
  if (e.state() == v1::JOB_STATE_SUCCEEDED && job.kind() == v1::JOB_KIND_BACKUP) {
    v1::Backup b;
    b.set_id(e.manifest().backup_id());
    b.set_database(job.database());
    b.set_job_id(job.id());
    b.set_state(v1::BACKUP_STATE_COMPLETED);
    *b.mutable_manifest() = e.manifest();
    // The agent's own clock of the job; the manifest's times are whole seconds.
    b.set_duration_s(e.progress().elapsed_s());
    b.set_created_at(e.manifest().finished_at());
    absl::StatusOr<v1::Database> db = o_.store->GetDatabase(job.database());
    b.set_storage(db.ok() ? db->storage() : "");
    absl::Status st = o_.store->CompleteBackupJob(job.id(), b, e.progress(), now);
    if (!st.ok()) {
      LogWarn("controller", "job ", job.id(), ": cannot catalogue backup: ", st.message());
    } else {
      LogInfo("controller", "job ", job.id(), " succeeded: backup ", b.id());
    }
    Publish(job.id());
    return;
  }
  LogIfFailed(job.id(), "cannot record the progress", o_.store->UpdateProgress(job.id(), e.progress()));
  if (e.has_restore_report()) {
    LogIfFailed(job.id(), "cannot record the restore report",
                o_.store->SetRestoreReport(job.id(), e.restore_report()));
    // A test restore's verdict is recorded on the backup, pass or fail
    // (not when it was cancelled: then there is no verdict).
    if (job.restore_options().test_restore() &&
        (e.state() == v1::JOB_STATE_SUCCEEDED || e.state() == v1::JOB_STATE_FAILED)) {
      LogIfFailed(job.id(), "cannot record the test restore",
                  o_.store->RecordTestRestore(job.backup_id(),
                                              e.state() == v1::JOB_STATE_SUCCEEDED ? "" : e.error(),
                                              e.restore_report(), now));
    }
  }
  RecordEnd(job, e.state(), e.error());
}

void JobOutcome::RecordEnd(const v1::Job& job, v1::JobState state, const std::string& error) {
  LogIfFailed(job.id(), "cannot record its end",
              o_.store->TransitionJob(job.id(), state, error, o_.clock->Now()));
  LogInfo("controller", "job ", job.id(), " ended ", v1::JobState_Name(state),
          error.empty() ? "" : ": ", error);
  Publish(job.id());
}

void JobOutcome::Settle(const v1::Job& job, const std::function<void(StoredJob)>& queue_retry) {
  absl::StatusOr<v1::Job> final_job = o_.store->GetJob(job.id());
  if (!final_job.ok()) {
    LogWarn("controller", "job ", job.id(), ": cannot read its end: ", final_job.status().message());
    return;
  }
  if (!IsTerminalJobState(final_job->state())) return;
  if (job.kind() == v1::JOB_KIND_BACKUP) {
    if (!job.schedule().empty()) {
      if (std::optional<StoredJob> retry = ScheduleOutcome(job, *final_job)) {
        queue_retry(*std::move(retry));
      }
    }
    // Retention after every good backup (a no-op for databases without rules).
    if (final_job->state() == v1::JOB_STATE_SUCCEEDED && o_.maintainer != nullptr) {
      o_.maintainer->ApplyLater(job.database());
    }
    Notify(*final_job);
  }
  if (o_.on_end) o_.on_end(*final_job);
}

std::optional<StoredJob> JobOutcome::ScheduleOutcome(const v1::Job& job, const v1::Job& final_job) {
  uint32_t attempt = std::max<uint32_t>(1, job.attempt());
  if (final_job.state() == v1::JOB_STATE_SUCCEEDED) {
    LogIfFailed(job.id(), "cannot record the schedule's outcome",
                o_.store->SetScheduleOutcome(job.schedule(),
                                             absl::StrCat("succeeded: backup ", job.backup_id())));
    return std::nullopt;
  }
  absl::StatusOr<v1::Schedule> sched = o_.store->GetSchedule(job.schedule());
  if (sched.ok() && sched->enabled() && attempt < std::max<uint32_t>(1, sched->max_attempts())) {
    absl::Duration backoff =
        absl::Seconds(sched->retry_backoff_s() == 0 ? 60 : sched->retry_backoff_s()) *
        (int64_t{1} << std::min<uint32_t>(attempt - 1, 16));
    BackupSettings s = ScheduledBackupSettings(*sched);
    s.database = job.database();
    s.attempt = attempt + 1;
    s.not_before = o_.clock->Now() + backoff;
    absl::StatusOr<StoredJob> retry = factory_.PrepareBackup(s);
    absl::Status st = retry.ok() ? o_.store->CreateJob(retry->job, retry->request) : retry.status();
    if (st.ok()) {
      LogIfFailed(job.id(), "cannot record the schedule's outcome",
                  o_.store->SetScheduleOutcome(
                      job.schedule(),
                      absl::StrCat("attempt ", attempt, " failed (", final_job.error(), "); retry ",
                                   attempt + 1, "/", sched->max_attempts(), " at ",
                                   retry->job.not_before(), " as ", retry->job.id())));
      LogInfo("controller", "job ", job.id(), " failed; retry ", retry->job.id(), " at ",
              retry->job.not_before());
      return *std::move(retry);
    }
    LogWarn("controller", "job ", job.id(), ": cannot queue a retry: ", st.message());
    return std::nullopt;
  }
  LogIfFailed(job.id(), "cannot record the schedule's outcome",
              o_.store->SetScheduleOutcome(
                  job.schedule(), absl::StrCat("failed after ", attempt, " attempt",
                                               attempt == 1 ? "" : "s", ": ", final_job.error())));
  return std::nullopt;
}

void JobOutcome::Notify(const v1::Job& job) {
  if (o_.notifier == nullptr) return;
  bool ok = job.state() == v1::JOB_STATE_SUCCEEDED;
  Notification n;
  n.event = ok ? NotificationEvent::kBackupSucceeded : NotificationEvent::kBackupFailed;
  n.database = job.database();
  n.summary = absl::StrCat("backup of ", job.database(), ok ? " succeeded" : " failed");
  n.fields = {{"job", job.id()},
              {"state", v1::JobState_Name(job.state())},
              {"agent", job.agent()},
              {"attempt", absl::StrCat(job.attempt())}};
  if (!job.schedule().empty()) n.fields["schedule"] = job.schedule();
  if (ok) n.fields["backup"] = job.backup_id();
  if (!job.error().empty()) n.fields["error"] = job.error();
  n.time = o_.clock->Now();
  o_.notifier->Notify(n);
}

}  // namespace dbdump
