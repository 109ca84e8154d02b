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

v1::BackupCopy CopyFromResult(const v1::CopyResult& r, absl::Time now) {
  v1::BackupCopy c;
  c.set_storage(r.storage());
  c.set_state(r.committed() ? v1::BACKUP_COPY_STATE_COMMITTED : v1::BACKUP_COPY_STATE_PENDING);
  c.set_error(r.committed() ? "" : r.error());
  c.set_updated_at(TimeToString(now));
  c.set_locked_until(r.locked_until());
  c.set_lock_mode(r.lock_mode());
  c.set_stored_size_bytes(r.stored_size_bytes());
  return c;
}

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
  JobEnd end;
  end.job_id = job.id();
  end.state = e.state();
  end.error = e.error();
  end.progress = e.progress();
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
    end.backup = std::move(b);
    // Each copy destination's outcome: committed, or pending for a copy job.
    end.copies_of = e.manifest().backup_id();
    for (const v1::CopyResult& r : e.copies()) end.copies.push_back(CopyFromResult(r, o_.clock->Now()));
  }
  if (job.kind() == v1::JOB_KIND_COPY) {
    end.copies_of = job.backup_id();
    for (const v1::CopyResult& r : e.copies()) end.copies.push_back(CopyFromResult(r, o_.clock->Now()));
  }
  if (e.has_restore_report()) {
    end.restore_report = e.restore_report();
    // A test restore's verdict is recorded on the backup, pass or fail
    // (not when it was cancelled: then there is no verdict).
    if (job.restore_options().test_restore() &&
        (e.state() == v1::JOB_STATE_SUCCEEDED || e.state() == v1::JOB_STATE_FAILED)) {
      end.test_restore = JobEnd::Verdict{job.backup_id(),
                                         e.state() == v1::JOB_STATE_SUCCEEDED ? "" : e.error()};
    }
  }
  Finish(job, std::move(end), /*from_agent=*/true, e.note());
}

void JobOutcome::RecordLost(const v1::Job& job, const std::string& error, bool outcome_pending,
                            bool reported_running) {
  JobEnd end;
  end.job_id = job.id();
  end.state = v1::JOB_STATE_LOST;
  end.error = error;
  end.outcome_pending = outcome_pending;
  end.reported_running = reported_running;
  Finish(job, std::move(end));
}

std::string JobOutcome::NoteAfterLostContact(const v1::Job& job, const JobEnd& end,
                                             bool from_agent) const {
  std::string contact =
      absl::StrCat("contact with agent \"", job.agent(), "\" was lost at ", job.lost_at());
  std::string now = TimeToString(end.now);
  if (from_agent) {
    return absl::StrCat(contact, "; the outcome was learned from the agent at ", now);
  }
  if (end.state == v1::JOB_STATE_LOST && end.outcome_pending) {
    return absl::StrCat(contact, "; followed again, contact was lost again at ", now);
  }
  return absl::StrCat(contact, "; at ", now, " the outcome could not be learned from the agent");
}

void JobOutcome::RecordEnd(const v1::Job& job, v1::JobState state, const std::string& error) {
  JobEnd end;
  end.job_id = job.id();
  end.state = state;
  end.error = error;
  Finish(job, std::move(end));
}

void JobOutcome::CancelRequested(const std::string& job_id) {
  absl::MutexLock l(&mu_);
  cancel_requested_.insert(job_id);
}

bool JobOutcome::CancelledOnRequest(const std::string& job_id, v1::JobState state) {
  if (state != v1::JOB_STATE_CANCELLED) return false;
  absl::MutexLock l(&mu_);
  return cancel_requested_.count(job_id) > 0;
}

void JobOutcome::Finish(const v1::Job& job, JobEnd end, bool from_agent,
                        const std::string& agent_note) {
  end.now = o_.clock->Now();
  // lost_at is set only on a job followed again after lost contact.
  if (!job.lost_at().empty()) end.note = NoteAfterLostContact(job, end, from_agent);
  if (!agent_note.empty()) end.note = end.note.empty() ? agent_note : absl::StrCat(end.note, "; ", agent_note);
  if (CancelledOnRequest(job.id(), end.state)) {
    end.error = "cancelled on request";
    if (job.kind() == v1::JOB_KIND_BACKUP && !job.schedule().empty()) {
      end.schedule = job.schedule();
      end.schedule_outcome.result = v1::SCHEDULE_RUN_RESULT_CANCELLED;
      end.schedule_outcome.text = absl::StrCat("cancelled on request: job ", job.id());
    }
  } else if (job.kind() == v1::JOB_KIND_BACKUP && !job.schedule().empty()) {
    AddScheduleOutcome(job, &end);
  }
  // A copy job that ended without the agent's word on its copy (lost for
  // good, never started, timed out, cancelled while queued): the copy is
  // still pending, with this end as its error.
  if (job.kind() == v1::JOB_KIND_COPY && end.copies.empty() && !job.copy_storage().empty() &&
      !(end.state == v1::JOB_STATE_LOST && end.outcome_pending)) {
    v1::CopyResult r;
    r.set_storage(job.copy_storage());
    r.set_committed(false);
    r.set_error(end.error.empty() ? std::string(v1::JobState_Name(end.state)) : end.error);
    end.copies_of = job.backup_id();
    end.copies.push_back(CopyFromResult(r, end.now));
  }
  absl::Status st = o_.store->EndJob(end);
  if (!st.ok() && end.retry) {
    // E.g. another backup of the database was queued meanwhile: the end
    // goes in without the retry, as it would have without a schedule.
    LogWarn("controller", "job ", job.id(), ": cannot queue a retry: ", st.message());
    end.retry.reset();
    end.schedule.clear();
    st = o_.store->EndJob(end);
  }
  if (st.ok()) {
    if (end.backup) {
      LogInfo("controller", "job ", job.id(), " succeeded: backup ", end.backup->id());
    } else {
      LogInfo("controller", "job ", job.id(), " ended ", v1::JobState_Name(end.state),
              end.error.empty() ? "" : ": ", end.error);
    }
    if (end.retry) {
      LogInfo("controller", "job ", job.id(), " failed; retry ", end.retry->job.id(), " at ",
              end.retry->job.not_before());
      absl::MutexLock l(&mu_);
      retries_[job.id()] = *std::move(end.retry);
    }
  } else {
    // The job ends all the same, with the state alone; a backup that cannot
    // be catalogued is not a good backup as far as anyone can see.
    LogWarn("controller", "job ", job.id(), ": cannot record its end: ", st.message());
    v1::JobState state = end.backup ? v1::JOB_STATE_FAILED : end.state;
    std::string error =
        end.backup ? absl::StrCat("backup ", end.backup->id(),
                                  " was stored but cannot be catalogued: ", st.message())
                   : end.error;
    LogIfFailed(job.id(), "cannot record its end either way",
                o_.store->TransitionJob(job.id(), state, error, end.now));
    LogInfo("controller", "job ", job.id(), " ended ", v1::JobState_Name(state),
            error.empty() ? "" : ": ", error);
  }
  Publish(job.id());
}

void JobOutcome::Settle(const v1::Job& job, const std::function<void(StoredJob)>& queue_retry) {
  std::optional<StoredJob> retry;
  bool cancel_requested;
  {
    absl::MutexLock l(&mu_);
    cancel_requested = cancel_requested_.erase(job.id()) > 0;
    auto it = retries_.find(job.id());
    if (it != retries_.end()) {
      retry = std::move(it->second);
      retries_.erase(it);
    }
  }
  absl::StatusOr<v1::Job> final_job = o_.store->GetJob(job.id());
  if (!final_job.ok()) {
    LogWarn("controller", "job ", job.id(), ": cannot read its end: ", final_job.status().message());
    return;
  }
  if (!IsTerminalJobState(final_job->state())) return;
  if (retry) queue_retry(*std::move(retry));
  if (job.kind() == v1::JOB_KIND_BACKUP) {
    // Retention after every good backup (a no-op for databases without rules).
    if (final_job->state() == v1::JOB_STATE_SUCCEEDED && o_.maintainer != nullptr) {
      o_.maintainer->ApplyLater(job.database());
    }
    // Someone cancelled it: that is no failure to tell anyone about.
    if (!(cancel_requested && final_job->state() == v1::JOB_STATE_CANCELLED)) Notify(*final_job);
  }
  if (o_.on_end) o_.on_end(*final_job);
}

void JobOutcome::AddScheduleOutcome(const v1::Job& job, JobEnd* end) {
  uint32_t attempt = std::max<uint32_t>(1, job.attempt());
  if (!job.lost_at().empty()) {
    // Followed again after lost contact: when it was lost, the schedule
    // recorded that and queued its retry. Only a success is news now; any
    // other end leaves the schedule (and its retry) as it is.
    if (end->state != v1::JOB_STATE_SUCCEEDED) return;
    end->schedule = job.schedule();
    end->schedule_outcome.result = v1::SCHEDULE_RUN_RESULT_SUCCEEDED;
    end->schedule_outcome.text = absl::StrCat("succeeded: backup ", job.backup_id(),
                                              " (learned after contact with agent \"",
                                              job.agent(), "\" was lost)");
    return;
  }
  if (end->state == v1::JOB_STATE_SUCCEEDED) {
    end->schedule = job.schedule();
    end->schedule_outcome.result = v1::SCHEDULE_RUN_RESULT_SUCCEEDED;
    end->schedule_outcome.text = absl::StrCat("succeeded: backup ", job.backup_id());
    return;
  }
  absl::StatusOr<v1::Schedule> sched = o_.store->GetSchedule(job.schedule());
  if (sched.ok() && sched->enabled() && attempt < std::max<uint32_t>(1, sched->max_attempts())) {
    absl::Duration backoff =
        absl::Seconds(sched->retry_backoff_s() == 0 ? 60 : sched->retry_backoff_s()) *
        (int64_t{1} << std::min<uint32_t>(attempt - 1, 16));
    BackupSettings s = ScheduledBackupSettings(*sched);
    s.database = job.database();
    s.attempt = attempt + 1;
    s.not_before = end->now + backoff;
    absl::StatusOr<StoredJob> retry = factory_.PrepareBackup(s);
    if (!retry.ok()) {
      LogWarn("controller", "job ", job.id(), ": cannot queue a retry: ", retry.status().message());
      return;
    }
    end->schedule = job.schedule();
    end->schedule_outcome.result = v1::SCHEDULE_RUN_RESULT_RETRYING;
    end->schedule_outcome.text =
        absl::StrCat("attempt ", attempt, " failed (", end->error, "); retry ", attempt + 1, "/",
                     sched->max_attempts(), " at ", retry->job.not_before(), " as ", retry->job.id());
    end->retry = *std::move(retry);
    return;
  }
  end->schedule = job.schedule();
  end->schedule_outcome.result = v1::SCHEDULE_RUN_RESULT_FAILED;
  end->schedule_outcome.text = absl::StrCat("failed after ", attempt, " attempt", attempt == 1 ? "" : "s",
                                       ": ", end->error);
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
