#include "controller/schedule/scheduler.h"

#include "absl/strings/str_cat.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "controller/schedule/cron_expression.h"

namespace dbdump {

Scheduler::Scheduler(Store* store, Dispatcher* dispatcher, SchedulerOptions options)
    : store_(store),
      dispatcher_(dispatcher),
      options_(options),
      clock_(options.clock ? options.clock : &real_clock_) {}

Scheduler::~Scheduler() { Stop(); }

absl::StatusOr<absl::Time> Scheduler::NextRun(const v1::Schedule& schedule, absl::Time after) {
  ASSIGN_OR_RETURN(CronExpression cron, CronExpression::Parse(schedule.cron()));
  ASSIGN_OR_RETURN(absl::TimeZone zone, LoadScheduleTimeZone(schedule.time_zone()));
  return cron.Next(after, zone);
}

absl::StatusOr<std::string> Scheduler::NextVerify(const v1::Schedule& schedule, absl::Time after) {
  if (schedule.verify_cron().empty()) return std::string();
  ASSIGN_OR_RETURN(CronExpression cron, CronExpression::Parse(schedule.verify_cron()));
  ASSIGN_OR_RETURN(absl::TimeZone zone, LoadScheduleTimeZone(schedule.time_zone()));
  ASSIGN_OR_RETURN(absl::Time t, cron.Next(after, zone));
  return TimeToString(t);
}

BackupSettings Scheduler::SettingsOf(const v1::Schedule& s) { return ScheduledBackupSettings(s); }

absl::StatusOr<int> Scheduler::Tick() {
  absl::Time now = clock_->Now();
  dispatcher_->CheckAgents();
  dispatcher_->ResolveLostJobs();
  ASSIGN_OR_RETURN(std::vector<v1::Schedule> due, store_->DueSchedules(now));
  int queued = 0;
  for (const v1::Schedule& s : due) {
    ScheduleRunClaim claim;
    claim.schedule = s.name();
    claim.expected_next_run_at = s.next_run_at();
    absl::StatusOr<absl::Time> next = NextRun(s, now);
    // A schedule that can no longer run (e.g. never matches) stops, saying why.
    claim.next_run_at = next.ok() ? TimeToString(*next) : "";
    absl::StatusOr<StoredJob> job = dispatcher_->PrepareBackup(SettingsOf(s));
    if (!job.ok()) {
      claim.outcome.result = v1::SCHEDULE_RUN_RESULT_NOT_QUEUED;
      claim.outcome.text = absl::StrCat("failed to queue: ", job.status().message());
    } else {
      claim.job = *job;
      claim.outcome.result = v1::SCHEDULE_RUN_RESULT_QUEUED;
      claim.outcome.text =
          absl::StrCat("queued ", job->job.id(), " for the slot of ", s.next_run_at());
      if (next.ok() && now - TimeFromString(s.next_run_at()) > absl::Minutes(1)) {
        absl::StrAppend(&claim.outcome.text, " (run late, once, for all slots missed until ",
                        TimeToString(now), ")");
      }
    }
    if (!next.ok()) {
      absl::StrAppend(&claim.outcome.text, "; schedule stopped: ", next.status().message());
    }
    ScheduleOutcome outcome;
    absl::StatusOr<bool> created = store_->ClaimScheduleRun(claim, now, &outcome);
    if (absl::IsAborted(created.status())) continue;  // someone else took the slot
    RETURN_IF_ERROR(created.status());
    LogInfo("scheduler", "schedule ", s.name(), ": ", outcome.text);
    if (*created) {
      dispatcher_->Enqueue(std::move(claim.job), /*launch=*/false);
      ++queued;
    }
  }
  dispatcher_->Launch();
  if (options_.maintainer != nullptr) {
    ASSIGN_OR_RETURN(std::vector<v1::Schedule> verify, store_->DueVerifications(now));
    for (const v1::Schedule& s : verify) {
      absl::StatusOr<std::string> next = NextVerify(s, now);
      if (!store_->ClaimVerification(s.name(), s.next_verify_at(), next.ok() ? *next : "").ok()) {
        continue;
      }
      LogInfo("scheduler", "schedule ", s.name(), ": verifying the newest backup of ", s.database());
      options_.maintainer->VerifyNewestLater(s.database());
    }
  }
  return queued;
}

void Scheduler::Start() {
  if (thread_) return;
  thread_ = std::make_unique<std::thread>([this] {
    do {
      absl::StatusOr<int> n = Tick();
      if (!n.ok()) LogWarn("scheduler", "pass failed: ", n.status().message());
      if (options_.on_tick) options_.on_tick(clock_->Now());
    } while (!stop_.WaitForNotificationWithTimeout(options_.tick));
  });
}

void Scheduler::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_ && thread_->joinable()) thread_->join();
}

}  // namespace dbdump
