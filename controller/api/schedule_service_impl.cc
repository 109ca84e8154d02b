#include "controller/api/schedule_service_impl.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controller/api/page_token.h"
#include "controller/api/update_mask.h"
#include "common/io/compression.h"
#include "common/base/grpc_status.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "controller/schedule/cron_expression.h"
#include "controller/retention/backup_maintainer.h"
#include "controller/schedule/scheduler.h"

namespace dbdump {
namespace {

constexpr int kMaxNextRuns = 100;

absl::Status CheckAtMost(const char* what, uint64_t value, uint64_t max) {
  if (value > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is ", value, ": it must be at most ", max));
  }
  return absl::OkStatus();
}


// Fills next_runs (RFC 3339 UTC) for an enabled schedule.
void AddNextRuns(v1::Schedule* s, absl::Time now, int n) {
  if (!s->enabled() || n <= 0) return;
  auto cron = CronExpression::Parse(s->cron());
  auto zone = LoadScheduleTimeZone(s->time_zone());
  if (!cron.ok() || !zone.ok()) return;
  // A slot already due but not yet taken comes first.
  absl::Time from = now;
  if (!s->next_run_at().empty() && TimeFromString(s->next_run_at()) <= now) {
    s->add_next_runs(s->next_run_at());
    --n;
  }
  auto runs = cron->NextN(from, *zone, n);
  if (!runs.ok()) return;
  for (absl::Time t : *runs) s->add_next_runs(TimeToString(t));
}

}  // namespace

absl::Status ScheduleServiceImpl::Prepare(v1::Schedule* sp) {
  v1::Schedule& s = *sp;
  RETURN_IF_ERROR(ValidateResourceName("schedule name", s.name()));
  RETURN_IF_ERROR(ValidateResourceName("database name", s.database()));
  if (s.time_zone().empty()) {
    return absl::InvalidArgumentError(
        "a time zone is required (e.g. --tz=Europe/Berlin or --tz=UTC): schedules never fall "
        "back to UTC silently");
  }
  ASSIGN_OR_RETURN(CronExpression cron, CronExpression::Parse(s.cron()));
  ASSIGN_OR_RETURN(absl::TimeZone zone, LoadScheduleTimeZone(s.time_zone()));
  s.set_cron(cron.text());
  absl::StatusOr<absl::Time> next = cron.Next(clock_->Now(), zone);
  if (absl::IsNotFound(next.status())) return absl::InvalidArgumentError(next.status().message());
  RETURN_IF_ERROR(next.status());
  RETURN_IF_ERROR(BackupMaintainer::ValidateRules(s.retention()));
  RETURN_IF_ERROR(CheckAtMost("max_attempts", s.max_attempts(), 20));
  RETURN_IF_ERROR(CheckAtMost("retry_backoff_s", s.retry_backoff_s(), 86400));
  RETURN_IF_ERROR(CheckAtMost("timeout_s", s.timeout_s(), 7 * 86400));
  v1::Compression codec = EffectiveCompression(s.compression());
  s.set_compression(codec);
  RETURN_IF_ERROR(ValidateCompression(codec, s.compression_level()));
  RETURN_IF_ERROR(store_->GetDatabase(s.database()).status());
  if (!s.verify_cron().empty()) {
    absl::StatusOr<CronExpression> verify = CronExpression::Parse(s.verify_cron());
    if (!verify.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("verify_cron: ", verify.status().message()));
    }
    s.set_verify_cron(verify->text());
  }
  s.set_next_run_at(s.enabled() ? TimeToString(*next) : "");
  s.set_next_verify_at("");
  if (s.enabled()) {
    ASSIGN_OR_RETURN(std::string next_verify, Scheduler::NextVerify(s, clock_->Now()));
    s.set_next_verify_at(next_verify);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Schedule> ScheduleServiceImpl::Create(const v1::CreateScheduleRequest& req) {
  v1::Schedule s = req.schedule();
  s.set_enabled(!req.start_disabled());
  RETURN_IF_ERROR(Prepare(&s));
  RETURN_IF_ERROR(store_->CreateSchedule(s, clock_->Now()));
  LogInfo("controller", "schedule ", s.name(), " of ", s.database(), ": \"", s.cron(), "\" in ",
          s.time_zone(), ", next run ", s.next_run_at());
  return Get(s.name(), 5);
}

absl::StatusOr<v1::Schedule> ScheduleServiceImpl::Get(const std::string& name, int next_runs) {
  RETURN_IF_ERROR(ValidateResourceName("schedule name", name));
  ASSIGN_OR_RETURN(v1::Schedule s, store_->GetSchedule(name));
  AddNextRuns(&s, clock_->Now(), next_runs);
  return s;
}

absl::StatusOr<v1::Schedule> ScheduleServiceImpl::Update(const v1::UpdateScheduleRequest& req) {
  static const UpdatableFields kFields{
      v1::Schedule::descriptor(),
      {"database", "cron", "time_zone", "enabled", "compression", "compression_level", "retention",
       "max_attempts", "retry_backoff_s", "timeout_s", "verify_cron"}};
  RETURN_IF_ERROR(ValidateResourceName("schedule name", req.name()));
  if (!req.schedule().name().empty() && req.schedule().name() != req.name()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "schedule.name \"", req.schedule().name(), "\" differs from the name \"", req.name(),
        "\" of the schedule to update: a schedule cannot be renamed"));
  }
  RETURN_IF_ERROR(CheckUpdateMask(req.update_mask(), kFields));
  ASSIGN_OR_RETURN(v1::Schedule s, store_->GetSchedule(req.name()));
  ApplyUpdateMask(req.schedule(), req.update_mask(), &s);
  // The next slot follows the new settings from now; none is made up for.
  RETURN_IF_ERROR(Prepare(&s));
  RETURN_IF_ERROR(store_->UpdateSchedule(s));
  LogInfo("controller", "schedule ", s.name(), " updated (",
          absl::StrJoin(req.update_mask().paths(), ", "), "): next run ",
          s.next_run_at().empty() ? "none (disabled)" : s.next_run_at());
  return Get(s.name(), 5);
}

grpc::Status ScheduleServiceImpl::UpdateSchedule(grpc::ServerContext*,
                                                 const v1::UpdateScheduleRequest* req,
                                                 v1::UpdateScheduleResponse* resp) {
  absl::StatusOr<v1::Schedule> s = Update(*req);
  if (!s.ok()) return ToGrpc(s.status());
  *resp->mutable_schedule() = *std::move(s);
  return grpc::Status::OK;
}

absl::StatusOr<v1::Schedule> ScheduleServiceImpl::SetEnabled(const std::string& name,
                                                             bool enabled) {
  RETURN_IF_ERROR(ValidateResourceName("schedule name", name));
  ASSIGN_OR_RETURN(v1::Schedule s, store_->GetSchedule(name));
  std::string next, next_verify;
  if (enabled) {
    // Slots that passed while disabled are not made up for.
    ASSIGN_OR_RETURN(absl::Time t, Scheduler::NextRun(s, clock_->Now()));
    next = TimeToString(t);
    ASSIGN_OR_RETURN(next_verify, Scheduler::NextVerify(s, clock_->Now()));
  }
  RETURN_IF_ERROR(store_->SetScheduleEnabled(name, enabled, next, next_verify));
  return Get(name, 5);
}

absl::StatusOr<v1::Job> ScheduleServiceImpl::RunNow(const std::string& name) {
  RETURN_IF_ERROR(ValidateResourceName("schedule name", name));
  ASSIGN_OR_RETURN(v1::Schedule s, store_->GetSchedule(name));
  ASSIGN_OR_RETURN(StoredJob job, dispatcher_->PrepareBackup(Scheduler::SettingsOf(s)));
  RETURN_IF_ERROR(store_->CreateJob(job.job, job.request));
  ScheduleOutcome outcome;
  outcome.result = v1::SCHEDULE_RUN_RESULT_QUEUED;
  outcome.text = absl::StrCat("run now: queued ", job.job.id());
  if (absl::Status st = store_->SetScheduleOutcome(name, outcome); !st.ok()) {
    // The job is queued all the same; only the schedule's note is missing.
    LogWarn("controller", "schedule ", name, ": cannot record the run: ", st.message());
  }
  v1::Job out = job.job;
  dispatcher_->Enqueue(std::move(job));
  return out;
}

absl::StatusOr<v1::PreviewScheduleResponse> ScheduleServiceImpl::Preview(
    const v1::PreviewScheduleRequest& req) {
  ASSIGN_OR_RETURN(CronExpression cron, CronExpression::Parse(req.cron()));
  ASSIGN_OR_RETURN(absl::TimeZone zone, LoadScheduleTimeZone(req.time_zone()));
  int n = req.count() == 0 ? 5 : static_cast<int>(req.count());
  RETURN_IF_ERROR(CheckAtMost("count", n, kMaxNextRuns));
  ASSIGN_OR_RETURN(std::vector<absl::Time> runs, cron.NextN(clock_->Now(), zone, n));
  v1::PreviewScheduleResponse resp;
  for (absl::Time t : runs) {
    resp.add_next_runs(TimeToString(t));
    resp.add_next_runs_local(absl::FormatTime("%Y-%m-%d %H:%M %Z (UTC%Ez)", t, zone));
  }
  return resp;
}

grpc::Status ScheduleServiceImpl::CreateSchedule(grpc::ServerContext*,
                                                 const v1::CreateScheduleRequest* req,
                                                 v1::CreateScheduleResponse* resp) {
  auto s = Create(*req);
  if (!s.ok()) return ToGrpc(s.status());
  *resp->mutable_schedule() = *s;
  return grpc::Status::OK;
}

grpc::Status ScheduleServiceImpl::ListSchedules(grpc::ServerContext*,
                                                const v1::ListSchedulesRequest* req,
                                                v1::ListSchedulesResponse* resp) {
  if (!req->database().empty()) {
    if (absl::Status st = ValidateResourceName("database name", req->database()); !st.ok()) {
      return ToGrpc(st);
    }
  }
  auto all = store_->ListSchedules(req->database());
  if (!all.ok()) return ToGrpc(all.status());
  absl::StatusOr<Page<v1::Schedule>> page =
      TakePage(*std::move(all), [](const v1::Schedule& s) { return s.name(); },
               PageRequest{req->page_size(), req->page_token(),
                           absl::StrCat("schedules\n", req->database())});
  if (!page.ok()) return ToGrpc(page.status());
  for (v1::Schedule& s : page->items) *resp->add_schedules() = std::move(s);
  resp->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status ScheduleServiceImpl::GetSchedule(grpc::ServerContext*,
                                              const v1::GetScheduleRequest* req,
                                              v1::GetScheduleResponse* resp) {
  if (req->next_runs() > kMaxNextRuns) {
    return ToGrpc(CheckAtMost("next_runs", req->next_runs(), kMaxNextRuns));
  }
  auto s = Get(req->name(), req->next_runs() == 0 ? 5 : static_cast<int>(req->next_runs()));
  if (!s.ok()) return ToGrpc(s.status());
  *resp->mutable_schedule() = *s;
  return grpc::Status::OK;
}

grpc::Status ScheduleServiceImpl::SetScheduleEnabled(grpc::ServerContext*,
                                                     const v1::SetScheduleEnabledRequest* req,
                                                     v1::SetScheduleEnabledResponse* resp) {
  auto s = SetEnabled(req->name(), req->enabled());
  if (!s.ok()) return ToGrpc(s.status());
  *resp->mutable_schedule() = *s;
  return grpc::Status::OK;
}

grpc::Status ScheduleServiceImpl::RunScheduleNow(grpc::ServerContext*,
                                                 const v1::RunScheduleNowRequest* req,
                                                 v1::RunScheduleNowResponse* resp) {
  auto job = RunNow(req->name());
  if (!job.ok()) return ToGrpc(job.status());
  *resp->mutable_job() = *job;
  return grpc::Status::OK;
}

grpc::Status ScheduleServiceImpl::DeleteSchedule(grpc::ServerContext*,
                                                 const v1::DeleteScheduleRequest* req,
                                                 v1::DeleteScheduleResponse*) {
  if (absl::Status st = ValidateResourceName("schedule name", req->name()); !st.ok()) {
    return ToGrpc(st);
  }
  return ToGrpc(store_->DeleteSchedule(req->name()));
}

grpc::Status ScheduleServiceImpl::PreviewSchedule(grpc::ServerContext*,
                                                  const v1::PreviewScheduleRequest* req,
                                                  v1::PreviewScheduleResponse* resp) {
  auto r = Preview(*req);
  if (!r.ok()) return ToGrpc(r.status());
  *resp = *r;
  return grpc::Status::OK;
}

}  // namespace dbdump
