#include "controller/dispatcher.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "common/compression.h"
#include "common/grpc_status.h"
#include "common/local_storage.h"
#include "common/log.h"
#include "common/names.h"
#include "common/sha256_filter.h"
#include "common/status_macros.h"

namespace dbdump {
namespace {

bool Terminal(v1::JobState s) {
  return s == v1::JOB_STATE_SUCCEEDED || s == v1::JOB_STATE_FAILED ||
         s == v1::JOB_STATE_CANCELLED || s == v1::JOB_STATE_LOST;
}

// Status codes with which an agent refuses a job outright.
bool IsRefusal(grpc::StatusCode c) {
  return c == grpc::StatusCode::INVALID_ARGUMENT || c == grpc::StatusCode::FAILED_PRECONDITION ||
         c == grpc::StatusCode::PERMISSION_DENIED || c == grpc::StatusCode::UNIMPLEMENTED;
}

}  // namespace

Dispatcher::Dispatcher(Store* store, AgentClients* agents, DispatcherOptions options)
    : store_(store), agents_(agents), options_(options) {}

Dispatcher::~Dispatcher() { Shutdown(); }

bool Dispatcher::IsOnline(const v1::Agent& agent, absl::Time now) const {
  absl::Time last = TimeFromString(agent.last_heartbeat());
  return now - last <= options_.heartbeat_interval * 3;
}

absl::StatusOr<v1::Agent> Dispatcher::OnlineAgent(const std::string& name) {
  ASSIGN_OR_RETURN(v1::Agent agent, store_->GetAgent(name));
  if (!IsOnline(agent, absl::Now())) {
    return absl::UnavailableError(absl::StrCat(
        "agent \"", name, "\" is offline (last heartbeat ",
        agent.last_heartbeat().empty() ? "never" : agent.last_heartbeat(),
        "): start dbdump-agent on its host"));
  }
  return agent;
}

absl::StatusOr<v1::Job> Dispatcher::StartBackup(const v1::StartBackupRequest& req) {
  RETURN_IF_ERROR(ValidateResourceName("database name", req.database()));
  ASSIGN_OR_RETURN(v1::Database db, store_->GetDatabase(req.database()));
  ASSIGN_OR_RETURN(v1::Agent agent, OnlineAgent(db.target().agent()));
  ASSIGN_OR_RETURN(v1::StorageDestination storage, store_->GetStorage(db.storage()));
  v1::Compression codec =
      req.compression() == v1::COMPRESSION_UNSPECIFIED ? v1::COMPRESSION_ZSTD : req.compression();
  NullSink probe;
  RETURN_IF_ERROR(MakeCompressor(codec, req.compression_level(), 0, &probe).status());

  absl::Time now = absl::Now();
  v1::BackupJob bj;
  bj.set_job_id(NewJobId(now));
  bj.set_backup_id(NewBackupId(now));
  *bj.mutable_target() = db.target();
  *bj.mutable_storage() = storage;
  bj.set_compression(codec);
  bj.set_compression_level(req.compression_level());

  v1::Job job;
  job.set_id(bj.job_id());
  job.set_kind(v1::JOB_KIND_BACKUP);
  job.set_state(v1::JOB_STATE_QUEUED);
  job.set_database(db.target().name());
  job.set_agent(agent.name());
  job.set_backup_id(bj.backup_id());
  job.set_created_at(TimeToString(now));
  std::string request = bj.SerializeAsString();
  RETURN_IF_ERROR(store_->CreateJob(job, request));
  LogInfo("controller", "backup job ", job.id(), " of ", job.database(), " dispatched to ", agent.name());
  Spawn(job, request, /*reattach=*/false);
  return job;
}

absl::StatusOr<v1::Job> Dispatcher::StartRestore(const v1::StartRestoreRequest& req) {
  RETURN_IF_ERROR(ValidateId("backup id", req.backup_id()));
  ASSIGN_OR_RETURN(v1::Backup backup, store_->GetBackup(req.backup_id()));
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
  if (req.target().empty()) {
    return absl::InvalidArgumentError("a restore target is required (--target)");
  }
  if (target.engine() == v1::ENGINE_SQLITE) {
    RETURN_IF_ERROR(ValidateLocalRoot(req.target()));
    target.set_path(req.target());
  } else {
    RETURN_IF_ERROR(ValidatePgDatabaseName(req.target()));
    target.set_database(req.target());
  }
  ASSIGN_OR_RETURN(v1::Agent agent, OnlineAgent(target.agent()));
  ASSIGN_OR_RETURN(v1::StorageDestination storage, store_->GetStorage(backup.storage()));

  absl::Time now = absl::Now();
  v1::RestoreJob rj;
  rj.set_job_id(NewJobId(now));
  rj.set_backup_id(backup.id());
  rj.set_source_database(backup.database());
  *rj.mutable_storage() = storage;
  *rj.mutable_target() = target;

  v1::Job job;
  job.set_id(rj.job_id());
  job.set_kind(v1::JOB_KIND_RESTORE);
  job.set_state(v1::JOB_STATE_QUEUED);
  job.set_database(backup.database());
  job.set_agent(agent.name());
  job.set_backup_id(backup.id());
  job.set_restore_target(req.target());
  job.set_created_at(TimeToString(now));
  std::string request = rj.SerializeAsString();
  RETURN_IF_ERROR(store_->CreateJob(job, request));
  LogInfo("controller", "restore job ", job.id(), " of backup ", backup.id(), " dispatched to ",
          agent.name());
  Spawn(job, request, /*reattach=*/false);
  return job;
}

absl::Status Dispatcher::Recover() {
  ASSIGN_OR_RETURN(std::vector<StoredJob> active, store_->ActiveJobs());
  for (StoredJob& j : active) {
    LogInfo("controller", "re-attaching to job ", j.job.id(), " (", v1::JobState_Name(j.job.state()), ")");
    Spawn(j.job, j.request, /*reattach=*/true);
  }
  return absl::OkStatus();
}

void Dispatcher::Spawn(v1::Job job, std::string request, bool reattach) {
  {
    absl::MutexLock l(&mu_);
    if (shutdown_.HasBeenNotified()) return;
    ++followers_;
  }
  std::thread([this, job = std::move(job), request = std::move(request), reattach] {
    Follow(job, request, reattach);
    absl::MutexLock l(&mu_);
    --followers_;
  }).detach();
}

void Dispatcher::End(const v1::Job& job, v1::JobState state, const std::string& error) {
  absl::Status st = store_->TransitionJob(job.id(), state, error, absl::Now());
  if (!st.ok()) LogWarn("controller", "job ", job.id(), ": ", st.message());
  LogInfo("controller", "job ", job.id(), " ended ", v1::JobState_Name(state),
          error.empty() ? "" : ": ", error);
}

bool Dispatcher::Apply(const v1::Job& job, const v1::JobEvent& e, absl::Time* last_progress) {
  absl::Time now = absl::Now();
  if (e.state() == v1::JOB_STATE_RUNNING) {
    (void)store_->TransitionJob(job.id(), v1::JOB_STATE_RUNNING, "", now);
    if (now - *last_progress >= absl::Seconds(1)) {
      (void)store_->UpdateProgress(job.id(), e.progress());
      *last_progress = now;
    }
    return false;
  }
  if (!Terminal(e.state())) return false;
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
  End(job, e.state(), e.error());
  return true;
}

void Dispatcher::Follow(const v1::Job& job, const std::string& request, bool reattach) {
  absl::StatusOr<v1::Agent> agent = store_->GetAgent(job.agent());
  if (!agent.ok()) {
    End(job, v1::JOB_STATE_LOST, absl::StrCat("agent \"", job.agent(), "\" is no longer registered"));
    return;
  }
  auto stub = agents_->For(agent->address());
  // A queued job may never have reached the agent; Run* is idempotent per
  // job id at the agent, so sending it again is safe.
  bool use_watch = reattach && job.state() != v1::JOB_STATE_QUEUED;
  bool any_event = false;
  absl::Time last_progress = absl::InfinitePast();
  absl::Time give_up_at = absl::Now() + options_.reattach_for;
  absl::Duration backoff = absl::Milliseconds(250);
  std::string last_error;
  while (!shutdown_.HasBeenNotified()) {  // after shutdown the next controller re-attaches
    grpc::ClientContext ctx;
    {
      absl::MutexLock l(&mu_);
      calls_.insert(&ctx);
    }
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
        absl::MutexLock l(&mu_);
        calls_.erase(&ctx);
        return;
      }
    }
    grpc::Status st = reader->Finish();
    {
      absl::MutexLock l(&mu_);
      calls_.erase(&ctx);
    }
    if (shutdown_.HasBeenNotified()) return;
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
    use_watch = true;
  }
}

void Dispatcher::Shutdown() {
  absl::MutexLock l(&mu_);
  if (!shutdown_.HasBeenNotified()) shutdown_.Notify();
  for (grpc::ClientContext* c : calls_) c->TryCancel();
  // Jobs go on at the agents; a restarted controller re-attaches to them.
  mu_.Await(absl::Condition(+[](int* n) { return *n == 0; }, &followers_));
}

}  // namespace dbdump
