#include "controller/dispatch/dispatcher.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/io/compression.h"
#include "common/base/grpc_status.h"
#include "common/base/job_state.h"
#include "common/storage/local_storage.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/io/sha256_filter.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace {

// Status codes with which an agent refuses a job outright.
bool IsRefusal(grpc::StatusCode c) {
  return c == grpc::StatusCode::INVALID_ARGUMENT || c == grpc::StatusCode::FAILED_PRECONDITION ||
         c == grpc::StatusCode::PERMISSION_DENIED || c == grpc::StatusCode::UNIMPLEMENTED;
}

}  // namespace

Dispatcher::Dispatcher(Store* store, AgentClients* agents, DispatcherOptions options)
    : store_(store),
      agents_(agents),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : &real_clock_),
      started_(clock_->Now()) {}

Dispatcher::~Dispatcher() { Shutdown(); }

bool Dispatcher::IsOnline(const v1::Agent& agent, absl::Time now) const {
  absl::Time last = TimeFromString(agent.last_heartbeat());
  return now - last <= options_.heartbeat_interval * 3;
}

bool Dispatcher::SilentSinceStart(const v1::Agent& agent, absl::Time now) const {
  // Agents cannot heartbeat a controller that is down: silence counts only
  // from when this controller started.
  absl::Time last = std::max(TimeFromString(agent.last_heartbeat()), started_);
  return now - last > options_.heartbeat_interval * 3;
}

absl::StatusOr<v1::Agent> Dispatcher::OnlineAgent(const std::string& name) {
  ASSIGN_OR_RETURN(v1::Agent agent, store_->GetAgent(name));
  if (!IsOnline(agent, Now())) {
    return absl::UnavailableError(absl::StrCat(
        "agent \"", name, "\" is offline (last heartbeat ",
        agent.last_heartbeat().empty() ? "never" : agent.last_heartbeat(),
        "): start dbdump-agent on its host"));
  }
  return agent;
}

absl::StatusOr<StoredJob> Dispatcher::PrepareBackup(const BackupSettings& s) {
  RETURN_IF_ERROR(ValidateResourceName("database name", s.database));
  ASSIGN_OR_RETURN(v1::Database db, store_->GetDatabase(s.database));
  ASSIGN_OR_RETURN(v1::StorageDestination storage, store_->GetStorage(db.storage()));
  v1::Compression codec = EffectiveCompression(s.compression);
  RETURN_IF_ERROR(ValidateCompression(codec, s.compression_level));

  absl::Time now = Now();
  v1::BackupJob bj;
  bj.set_job_id(NewJobId(now));
  bj.set_backup_id(NewBackupId(now));
  *bj.mutable_target() = db.target();
  *bj.mutable_storage() = storage;
  bj.set_compression(codec);
  bj.set_compression_level(s.compression_level);

  StoredJob out;
  v1::Job& job = out.job;
  job.set_id(bj.job_id());
  job.set_kind(v1::JOB_KIND_BACKUP);
  job.set_state(v1::JOB_STATE_QUEUED);
  job.set_database(db.target().name());
  job.set_agent(db.target().agent());
  job.set_backup_id(bj.backup_id());
  job.set_created_at(TimeToString(now));
  job.set_schedule(s.schedule);
  job.set_attempt(s.attempt);
  job.set_timeout_s(s.timeout_s);
  if (s.not_before != absl::InfinitePast()) job.set_not_before(TimeToString(s.not_before));
  out.request = bj.SerializeAsString();
  return out;
}

absl::StatusOr<v1::Job> Dispatcher::StartBackup(const v1::StartBackupRequest& req) {
  RETURN_IF_ERROR(ValidateResourceName("database name", req.database()));
  ASSIGN_OR_RETURN(v1::Database db, store_->GetDatabase(req.database()));
  RETURN_IF_ERROR(OnlineAgent(db.target().agent()).status());
  BackupSettings settings;
  settings.database = req.database();
  settings.compression = req.compression();
  settings.compression_level = req.compression_level();
  ASSIGN_OR_RETURN(StoredJob job, PrepareBackup(settings));
  RETURN_IF_ERROR(store_->CreateJob(job.job, job.request));
  LogInfo("controller", "backup job ", job.job.id(), " of ", job.job.database(), " queued for ",
          job.job.agent());
  v1::Job out = job.job;
  Enqueue(std::move(job));
  return out;
}

absl::StatusOr<v1::Job> Dispatcher::StartRestore(const v1::StartRestoreRequest& req) {
  RETURN_IF_ERROR(ValidateId("backup id", req.backup_id()));
  ASSIGN_OR_RETURN(v1::Backup backup, store_->GetBackup(req.backup_id()));
  if (!backup.deleted_at().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "backup ", backup.id(), " was deleted by retention at ", backup.deleted_at(),
        ": pick another with `dbdumpctl backup list`"));
  }
  std::string via = req.via_database().empty() ? backup.database() : req.via_database();
  RETURN_IF_ERROR(ValidateResourceName("database name", via));
  absl::StatusOr<v1::Database> db = store_->GetDatabase(via);
  if (absl::IsNotFound(db.status()) && req.via_database().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "database \"", via, "\" of this backup no longer exists: pass --via=<database> to restore "
        "through another target of the same engine"));
  }
  RETURN_IF_ERROR(db.status());
  if (db->target().engine() != backup.manifest().engine()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "backup ", backup.id(), " is ", v1::Engine_Name(backup.manifest().engine()), " but \"",
        via, "\" is ", v1::Engine_Name(db->target().engine())));
  }
  v1::DatabaseTarget target = db->target();
  const v1::RestoreOptions& options = req.options();
  if (options.dry_run() && options.test_restore()) {
    return absl::InvalidArgumentError("a restore is either a dry run or a test restore, not both");
  }
  // A dry run touches no database and a test restore uses a scratch one the
  // agent names; otherwise the target defaults to the original database.
  bool no_target = options.dry_run() || options.test_restore();
  std::string restore_target;
  if (!no_target) {
    restore_target = req.target();
    if (restore_target.empty() && !req.via_database().empty()) {
      // The default is the backup's own database, which --via is not.
      return absl::InvalidArgumentError(
          "--via restores through another database's connection: name the target with --target");
    }
    if (restore_target.empty()) {
      restore_target = target.engine() == v1::ENGINE_SQLITE ? target.path() : target.database();
    }
    if (target.engine() == v1::ENGINE_SQLITE) {
      RETURN_IF_ERROR(ValidateLocalRoot(restore_target));
      target.set_path(restore_target);
    } else {
      // A backup of every database (MySQL --all-databases, MongoDB without
      // a database) goes back into the databases it names.
      if (target.engine() == v1::ENGINE_POSTGRES) {
        RETURN_IF_ERROR(ValidatePgDatabaseName(restore_target));
      } else if (!restore_target.empty()) {
        RETURN_IF_ERROR(ValidateServerDatabaseName("target", restore_target, 64));
      }
      target.set_database(restore_target);
    }
  } else if (!req.target().empty()) {
    return absl::InvalidArgumentError(
        "a dry run or test restore takes no --target: it restores into no database of yours");
  }
  ASSIGN_OR_RETURN(v1::Agent agent, OnlineAgent(target.agent()));
  ASSIGN_OR_RETURN(v1::StorageDestination storage, store_->GetStorage(backup.storage()));

  absl::Time now = Now();
  v1::RestoreJob rj;
  rj.set_job_id(NewJobId(now));
  rj.set_backup_id(backup.id());
  rj.set_source_database(backup.database());
  *rj.mutable_storage() = storage;
  *rj.mutable_target() = target;
  *rj.mutable_options() = options;

  StoredJob sj;
  v1::Job& job = sj.job;
  job.set_id(rj.job_id());
  job.set_kind(v1::JOB_KIND_RESTORE);
  job.set_state(v1::JOB_STATE_QUEUED);
  job.set_database(backup.database());
  job.set_agent(agent.name());
  job.set_backup_id(backup.id());
  job.set_restore_target(options.test_restore() ? "(scratch database)"
                         : options.dry_run()   ? "(dry run)"
                                               : restore_target);
  *job.mutable_restore_options() = options;
  job.set_created_at(TimeToString(now));
  job.set_attempt(1);
  sj.request = rj.SerializeAsString();
  RETURN_IF_ERROR(store_->CreateJob(job, sj.request));
  LogInfo("controller", "restore job ", job.id(), " of backup ", backup.id(), " queued for ",
          agent.name());
  v1::Job out = job;
  Enqueue(std::move(sj));
  return out;
}

void Dispatcher::Enqueue(StoredJob job, bool launch) {
  {
    absl::MutexLock l(&mu_);
    queue_.push_back(std::move(job));
  }
  if (launch) Launch();
}

void Dispatcher::Launch() {
  std::vector<StoredJob> start;
  absl::Time now = Now();
  {
    absl::MutexLock l(&mu_);
    if (shutdown_.HasBeenNotified()) return;
    for (auto it = queue_.begin(); it != queue_.end();) {
      if (options_.max_running_jobs > 0 &&
          static_cast<int>(followed_.size()) >= options_.max_running_jobs) {
        break;
      }
      if (!it->job.not_before().empty() && TimeFromString(it->job.not_before()) > now) {
        ++it;
        continue;
      }
      int& on_agent = running_per_agent_[it->job.agent()];
      if (options_.max_running_jobs_per_agent > 0 &&
          on_agent >= options_.max_running_jobs_per_agent) {
        ++it;
        continue;
      }
      ++on_agent;
      followed_[it->job.id()] = Follower{it->job.agent(), nullptr, ""};
      stats_.peak_running = std::max(stats_.peak_running, static_cast<int>(followed_.size()));
      stats_.peak_running_per_agent = std::max(stats_.peak_running_per_agent, on_agent);
      ++stats_.started_total;
      start.push_back(std::move(*it));
      it = queue_.erase(it);
    }
  }
  for (StoredJob& j : start) {
    // A job recovered as QUEUED may already have reached its agent; Run* is
    // idempotent per job id there, so sending it again is safe.
    bool recovered;
    {
      absl::MutexLock l(&mu_);
      recovered = recovered_.erase(j.job.id()) > 0;
    }
    Spawn(std::move(j.job), std::move(j.request), recovered);
  }
}

absl::Status Dispatcher::Recover() {
  ASSIGN_OR_RETURN(std::vector<StoredJob> active, store_->ActiveJobs());
  std::vector<StoredJob> running;
  {
    absl::MutexLock l(&mu_);
    for (StoredJob& j : active) {
      if (j.job.state() == v1::JOB_STATE_RUNNING) {
        LogInfo("controller", "re-attaching to job ", j.job.id(), " (JOB_STATE_RUNNING)");
        // Already running at the agent: follow it whatever the limits say.
        ++running_per_agent_[j.job.agent()];
        followed_[j.job.id()] = Follower{j.job.agent(), nullptr, ""};
        running.push_back(std::move(j));
      } else {
        LogInfo("controller", "re-queueing job ", j.job.id(),
                " (JOB_STATE_QUEUED; it is sent again, the agent runs a job id once)");
        recovered_.insert(j.job.id());
        queue_.push_back(std::move(j));
      }
    }
  }
  for (StoredJob& j : running) Spawn(std::move(j.job), std::move(j.request), /*reattach=*/true);
  Launch();
  return absl::OkStatus();
}

void Dispatcher::Spawn(v1::Job job, std::string request, bool reattach) {
  {
    absl::MutexLock l(&mu_);
    ++followers_;
  }
  std::thread([this, job = std::move(job), request = std::move(request), reattach] {
    if (!shutdown_.HasBeenNotified()) Follow(job, request, reattach);
    bool ended = !shutdown_.HasBeenNotified();
    {
      absl::MutexLock l(&mu_);
      followed_.erase(job.id());
      --running_per_agent_[job.agent()];
    }
    if (ended) {
      AfterEnd(job);
      Launch();
    }
    absl::MutexLock l(&mu_);
    --followers_;
  }).detach();
}

bool Dispatcher::SetCall(const std::string& job_id, grpc::ClientContext* ctx) {
  absl::MutexLock l(&mu_);
  auto it = followed_.find(job_id);
  if (it == followed_.end()) return false;
  it->second.ctx = ctx;
  return ctx == nullptr || (!shutdown_.HasBeenNotified() && it->second.offline_reason.empty());
}

std::string Dispatcher::OfflineReason(const std::string& job_id) {
  absl::MutexLock l(&mu_);
  auto it = followed_.find(job_id);
  return it == followed_.end() ? "" : it->second.offline_reason;
}

void Dispatcher::CheckAgents() {
  absl::StatusOr<std::vector<v1::Agent>> agents = store_->ListAgents();
  if (!agents.ok()) return;
  absl::Time now = Now();
  std::map<std::string, const v1::Agent*> by_name;
  for (const v1::Agent& a : *agents) by_name[a.name()] = &a;
  absl::MutexLock l(&mu_);
  for (auto& [id, f] : followed_) {
    auto it = by_name.find(f.agent);
    if (it == by_name.end() || !SilentSinceStart(*it->second, now) || !f.offline_reason.empty()) {
      continue;
    }
    f.offline_reason = absl::StrCat("agent offline: \"", f.agent,
                                    "\" stopped answering and sent no heartbeat since ",
                                    it->second->last_heartbeat(),
                                    "; the job's outcome at the agent is unknown");
    if (f.ctx != nullptr) f.ctx->TryCancel();
  }
}

void Dispatcher::End(const v1::Job& job, v1::JobState state, const std::string& error) {
  absl::Status st = store_->TransitionJob(job.id(), state, error, Now());
  if (!st.ok()) LogWarn("controller", "job ", job.id(), ": ", st.message());
  LogInfo("controller", "job ", job.id(), " ended ", v1::JobState_Name(state),
          error.empty() ? "" : ": ", error);
}

void Dispatcher::AfterEnd(const v1::Job& job) {
  absl::StatusOr<v1::Job> final_job = store_->GetJob(job.id());
  if (!final_job.ok() || !IsTerminalJobState(final_job->state())) return;
  if (job.kind() == v1::JOB_KIND_BACKUP && !job.schedule().empty()) {
    absl::StatusOr<v1::Schedule> sched = store_->GetSchedule(job.schedule());
    uint32_t attempt = std::max<uint32_t>(1, job.attempt());
    if (final_job->state() == v1::JOB_STATE_SUCCEEDED) {
      (void)store_->SetScheduleOutcome(job.schedule(),
                                       absl::StrCat("succeeded: backup ", job.backup_id()));
    } else if (sched.ok() && sched->enabled() &&
               attempt < std::max<uint32_t>(1, sched->max_attempts())) {
      absl::Duration backoff =
          absl::Seconds(sched->retry_backoff_s() == 0 ? 60 : sched->retry_backoff_s()) *
          (int64_t{1} << std::min<uint32_t>(attempt - 1, 16));
      BackupSettings s;
      s.database = job.database();
      s.compression = sched->compression();
      s.compression_level = sched->compression_level();
      s.schedule = job.schedule();
      s.attempt = attempt + 1;
      s.timeout_s = sched->timeout_s();
      s.not_before = Now() + backoff;
      absl::StatusOr<StoredJob> retry = PrepareBackup(s);
      absl::Status st = retry.ok() ? store_->CreateJob(retry->job, retry->request) : retry.status();
      if (st.ok()) {
        (void)store_->SetScheduleOutcome(
            job.schedule(), absl::StrCat("attempt ", attempt, " failed (", final_job->error(),
                                         "); retry ", attempt + 1, "/", sched->max_attempts(),
                                         " at ", retry->job.not_before(), " as ", retry->job.id()));
        LogInfo("controller", "job ", job.id(), " failed; retry ", retry->job.id(), " at ",
                retry->job.not_before());
        absl::MutexLock l(&mu_);
        queue_.push_back(*std::move(retry));
      } else {
        LogWarn("controller", "job ", job.id(), ": cannot queue a retry: ", st.message());
      }
    } else {
      (void)store_->SetScheduleOutcome(
          job.schedule(), absl::StrCat("failed after ", attempt, " attempt", attempt == 1 ? "" : "s",
                                       ": ", final_job->error()));
    }
  }
  if (options_.on_job_end) options_.on_job_end(*final_job);
}

bool Dispatcher::Apply(const v1::Job& job, const v1::JobEvent& e, absl::Time* last_progress) {
  absl::Time now = Now();
  if (e.state() == v1::JOB_STATE_RUNNING) {
    (void)store_->TransitionJob(job.id(), v1::JOB_STATE_RUNNING, "", now);
    if (now - *last_progress >= absl::Seconds(1)) {
      (void)store_->UpdateProgress(job.id(), e.progress());
      *last_progress = now;
    }
    return false;
  }
  if (!IsTerminalJobState(e.state())) return false;
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
    absl::StatusOr<v1::Database> db = store_->GetDatabase(job.database());
    b.set_storage(db.ok() ? db->storage() : "");
    absl::Status st = store_->CompleteBackupJob(job.id(), b, e.progress(), now);
    if (!st.ok()) {
      LogWarn("controller", "job ", job.id(), ": cannot catalogue backup: ", st.message());
    } else {
      LogInfo("controller", "job ", job.id(), " succeeded: backup ", b.id());
    }
    return true;
  }
  (void)store_->UpdateProgress(job.id(), e.progress());
  if (e.has_restore_report()) {
    (void)store_->SetRestoreReport(job.id(), e.restore_report());
    // A test restore's verdict is recorded on the backup, pass or fail
    // (not when it was cancelled: then there is no verdict).
    if (job.restore_options().test_restore() &&
        (e.state() == v1::JOB_STATE_SUCCEEDED || e.state() == v1::JOB_STATE_FAILED)) {
      absl::Status st = store_->RecordTestRestore(
          job.backup_id(), e.state() == v1::JOB_STATE_SUCCEEDED ? "" : e.error(),
          e.restore_report(), now);
      if (!st.ok()) {
        LogWarn("controller", "job ", job.id(), ": cannot record the test restore: ", st.message());
      }
    }
  }
  End(job, e.state(), e.error());
  return true;
}

void Dispatcher::Follow(const v1::Job& job, const std::string& request, bool reattach) {
  absl::StatusOr<v1::Agent> agent = store_->GetAgent(job.agent());
  if (!agent.ok()) {
    End(job, v1::JOB_STATE_LOST, absl::StrCat("agent \"", job.agent(), "\" is no longer registered"));
    return;
  }
  if (!reattach && job.state() == v1::JOB_STATE_QUEUED && SilentSinceStart(*agent, Now())) {
    End(job, v1::JOB_STATE_FAILED,
        absl::StrCat("agent offline: \"", job.agent(), "\" sent no heartbeat since ",
                     agent->last_heartbeat().empty() ? "it registered" : agent->last_heartbeat(),
                     "; start dbdump-agent on its host"));
    return;
  }
  auto stub = agents_->For(agent->address());
  bool use_watch = reattach && job.state() != v1::JOB_STATE_QUEUED;
  bool any_event = false;
  absl::Time last_progress = absl::InfinitePast();
  absl::Time give_up_at = absl::Now() + options_.reattach_for;
  // The timeout counts from when the job started, also across a restart.
  absl::Time deadline = absl::InfiniteFuture();
  if (job.timeout_s() > 0) {
    absl::Time started = job.started_at().empty() ? absl::Now() : TimeFromString(job.started_at());
    deadline = started + absl::Seconds(job.timeout_s());
  }
  absl::Duration backoff = absl::Milliseconds(250);
  std::string last_error;
  while (true) {
    grpc::ClientContext ctx;
    if (deadline != absl::InfiniteFuture()) ctx.set_deadline(absl::ToChronoTime(deadline));
    if (!SetCall(job.id(), &ctx)) break;
    std::unique_ptr<grpc::ClientReaderInterface<v1::JobEvent>> reader;
    if (use_watch) {
      v1::WatchJobRequest req;
      req.set_job_id(job.id());
      reader = stub->WatchJob(&ctx, req);
    } else if (job.kind() == v1::JOB_KIND_BACKUP) {
      v1::RunBackupRequest req;
      req.mutable_job()->ParseFromString(request);
      reader = stub->RunBackup(&ctx, req);
    } else {
      v1::RunRestoreRequest req;
      req.mutable_job()->ParseFromString(request);
      reader = stub->RunRestore(&ctx, req);
    }
    v1::JobEvent e;
    while (reader->Read(&e)) {
      any_event = true;
      give_up_at = absl::Now() + options_.reattach_for;
      backoff = absl::Milliseconds(250);
      if (Apply(job, e, &last_progress)) {
        ctx.TryCancel();
        reader->Finish();
        SetCall(job.id(), nullptr);
        return;
      }
    }
    grpc::Status st = reader->Finish();
    SetCall(job.id(), nullptr);
    if (shutdown_.HasBeenNotified()) return;  // the next controller re-attaches
    if (std::string offline = OfflineReason(job.id()); !offline.empty()) {
      End(job, v1::JOB_STATE_LOST, offline);
      return;
    }
    if (absl::Now() >= deadline) {
      grpc::ClientContext cancel_ctx;
      cancel_ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
      v1::CancelJobRequest creq;
      creq.set_job_id(job.id());
      v1::CancelJobResponse cresp;
      grpc::Status cst = stub->CancelJob(&cancel_ctx, creq, &cresp);
      End(job, v1::JOB_STATE_FAILED,
          absl::StrCat("timed out after ", job.timeout_s(), "s; ",
                       cst.ok() ? "cancelled at the agent"
                                : absl::StrCat("cancelling at the agent failed: ", cst.error_message())));
      return;
    }
    last_error = st.error_message();
    if (!use_watch && !any_event && IsRefusal(st.error_code())) {
      End(job, v1::JOB_STATE_FAILED, st.error_message());
      return;
    }
    if (use_watch && st.error_code() == grpc::StatusCode::NOT_FOUND) {
      End(job, any_event || reattach ? v1::JOB_STATE_LOST : v1::JOB_STATE_FAILED,
          any_event || reattach
              ? absl::StrCat("agent \"", job.agent(), "\" has no record of the job (it restarted "
                             "before the job ended); run the job again")
              : absl::StrCat("agent \"", job.agent(), "\" at ", agent->address(),
                             " did not accept the job: ", last_error));
      return;
    }
    if (absl::Now() > give_up_at) {
      bool never_started = !any_event && !reattach;
      End(job, never_started ? v1::JOB_STATE_FAILED : v1::JOB_STATE_LOST,
          absl::StrCat("agent \"", job.agent(), "\" at ", agent->address(),
                       never_started ? " is unreachable: " : " stopped answering: ", last_error));
      return;
    }
    shutdown_.WaitForNotificationWithTimeout(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(5));
    // Once the agent has the job, follow it with WatchJob. Until then send
    // Run* again: the agent runs a job id at most once, and a channel still
    // backing off from an agent restart fails the first call at once.
    use_watch = use_watch || any_event;
  }
  // Stopped before the job ended: shutdown (the next controller re-attaches)
  // or the agent went offline.
  if (std::string offline = OfflineReason(job.id()); !offline.empty() && !shutdown_.HasBeenNotified()) {
    End(job, v1::JOB_STATE_LOST, offline);
  }
}

DispatcherStats Dispatcher::stats() {
  absl::MutexLock l(&mu_);
  DispatcherStats s = stats_;
  s.queued = static_cast<int>(queue_.size());
  s.running = static_cast<int>(followed_.size());
  return s;
}

void Dispatcher::Shutdown() {
  absl::MutexLock l(&mu_);
  if (!shutdown_.HasBeenNotified()) shutdown_.Notify();
  for (auto& [id, f] : followed_) {
    if (f.ctx != nullptr) f.ctx->TryCancel();
  }
  // Jobs go on at the agents; a restarted controller re-attaches to them.
  mu_.Await(absl::Condition(+[](int* n) { return *n == 0; }, &followers_));
}

}  // namespace dbdump
