#include "agent/agent_service_impl.h"

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/backup_object_source.h"
#include "common/storage/backup_layout.h"
#include "common/storage/object_lock.h"
#include "common/storage/s3_storage.h"
#include "common/base/grpc_status.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "common/base/version.h"

namespace dbdump {
namespace {

// The largest data message of ReadBackupObject; gRPC's default limit is 4 MiB.
constexpr size_t kChunkBytes = 1 << 20;

v1::JobState StateFor(const absl::Status& s) {
  if (s.ok()) return v1::JOB_STATE_SUCCEEDED;
  if (absl::IsCancelled(s)) return v1::JOB_STATE_CANCELLED;
  return v1::JOB_STATE_FAILED;
}

}  // namespace

AgentServiceImpl::AgentServiceImpl(std::string name,
                                   std::map<v1::Engine, std::unique_ptr<Engine>> engines,
                                   JobRegistry* registry, JobRunner* runner,
                                   LeftoverSweeper* sweeper)
    : name_(std::move(name)),
      engines_(std::move(engines)),
      registry_(registry),
      runner_(runner),
      sweeper_(sweeper) {}

grpc::Status AgentServiceImpl::OutcomePending(const std::string& job_id) {
  if (sweeper_ == nullptr || !sweeper_->Pending(job_id)) return grpc::Status::OK;
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      absl::StrCat("agent ", name_, " restarted while job ", job_id,
                                   " ran and is still establishing its outcome; ask again shortly"));
}

std::vector<v1::Engine> AgentServiceImpl::engines() const {
  std::vector<v1::Engine> out;
  // Only engines whose tools are installed: an engine without them could
  // take no backup, and the controller should not send it any.
  for (const auto& [k, e] : engines_) {
    if (!e->ToolVersion().empty()) out.push_back(k);
  }
  return out;
}

std::map<v1::Engine, std::string> AgentServiceImpl::tool_versions() const {
  std::map<v1::Engine, std::string> out;
  for (const auto& [k, e] : engines_) {
    std::string v = e->ToolVersion();
    if (!v.empty()) out[k] = std::move(v);
  }
  return out;
}

absl::StatusOr<Engine*> AgentServiceImpl::EngineFor(v1::Engine kind) {
  auto it = engines_.find(kind);
  if (it == engines_.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("agent ", name_, " does not support engine ", v1::Engine_Name(kind)));
  }
  return it->second.get();
}

grpc::Status AgentServiceImpl::GetAgentInfo(grpc::ServerContext*, const v1::GetAgentInfoRequest*,
                                            v1::GetAgentInfoResponse* resp) {
  resp->set_name(name_);
  resp->set_version(kVersion);
  for (const auto& [kind, engine] : engines_) {
    std::string tool_version = engine->ToolVersion();
    if (tool_version.empty()) continue;  // its tools are not installed
    auto* info = resp->add_engines();
    info->set_engine(kind);
    info->set_tool_version(tool_version);
    *info->mutable_capabilities() = engine->Capabilities();
  }
  return grpc::Status::OK;
}

grpc::Status AgentServiceImpl::TestConnection(grpc::ServerContext*,
                                              const v1::TestConnectionRequest* req,
                                              v1::TestConnectionResponse* resp) {
  auto engine = EngineFor(req->target().engine());
  if (!engine.ok()) return ToGrpc(engine.status());
  // Options the engine cannot honour are refused before anything is stored.
  if (absl::Status st = (*engine)->ValidateDumpOptions(req->target().dump_options()); !st.ok()) {
    return ToGrpc(st);
  }
  auto version = (*engine)->TestConnection(req->target());
  if (!version.ok()) return ToGrpc(version.status());
  resp->set_server_version(*version);
  return grpc::Status::OK;
}

grpc::Status AgentServiceImpl::RunBackup(grpc::ServerContext* ctx, const v1::RunBackupRequest* req,
                                         grpc::ServerWriter<v1::JobEvent>* writer) {
  const v1::BackupJob& job = req->job();
  absl::Status valid = ValidateId("job id", job.job_id());
  auto engine = EngineFor(job.target().engine());
  if (valid.ok()) valid = engine.status();
  if (!valid.ok()) return ToGrpc(valid);
  if (grpc::Status pending = OutcomePending(job.job_id()); !pending.ok()) return pending;
  // A retried dispatch of a finished job only reports its outcome.
  if (registry_->Find(job.job_id()) == nullptr && !registry_->Journaled(job.job_id())) {
    LogInfo("agent", "backup ", job.job_id(), " of ", job.target().name(), " started");
    registry_->Start(job.job_id(), [this, job, e = *engine](JobTracker* t) {
      // Every line this job's thread logs carries its job and database.
      ScopedLogFields fields(job.job_id(), job.target().name());
      std::vector<v1::CopyResult> copies;
      absl::StatusOr<v1::Manifest> m = runner_->Backup(job, e, t, &copies);
      t->Finish(StateFor(m.status()), std::string(m.status().message()), m.ok() ? &*m : nullptr,
                nullptr, &copies);
      LogInfo("agent", "backup ", job.job_id(), " ended: ",
              m.ok() ? "succeeded" : std::string(m.status().message()));
    });
  }
  return Stream(ctx, job.job_id(), writer);
}

grpc::Status AgentServiceImpl::RunRestore(grpc::ServerContext* ctx, const v1::RunRestoreRequest* req,
                                          grpc::ServerWriter<v1::JobEvent>* writer) {
  const v1::RestoreJob& job = req->job();
  absl::Status valid = ValidateId("job id", job.job_id());
  auto engine = EngineFor(job.target().engine());
  if (valid.ok()) valid = engine.status();
  if (!valid.ok()) return ToGrpc(valid);
  if (grpc::Status pending = OutcomePending(job.job_id()); !pending.ok()) return pending;
  if (registry_->Find(job.job_id()) == nullptr && !registry_->Journaled(job.job_id())) {
    LogInfo("agent", "restore ", job.job_id(), " of backup ", job.backup_id(), " started");
    registry_->Start(job.job_id(), [this, job, e = *engine](JobTracker* t) {
      ScopedLogFields fields(job.job_id(), job.source_database());
      v1::RestoreReport report;
      absl::Status s = runner_->Restore(job, e, t, &report);
      // A restore that did something besides the dump (roles, settings)
      // says so too.
      bool reported = job.options().dry_run() || job.options().test_restore() ||
                      report.notes_size() > 0 || !report.summary().empty();
      t->Finish(StateFor(s), std::string(s.message()), nullptr, reported ? &report : nullptr);
      LogInfo("agent", "restore ", job.job_id(), " ended: ", s.ok() ? "succeeded" : std::string(s.message()));
    });
  }
  return Stream(ctx, job.job_id(), writer);
}

grpc::Status AgentServiceImpl::RunCopy(grpc::ServerContext* ctx, const v1::RunCopyRequest* req,
                                       grpc::ServerWriter<v1::JobEvent>* writer) {
  const v1::CopyJob& job = req->job();
  if (absl::Status valid = ValidateId("job id", job.job_id()); !valid.ok()) return ToGrpc(valid);
  if (grpc::Status pending = OutcomePending(job.job_id()); !pending.ok()) return pending;
  if (registry_->Find(job.job_id()) == nullptr && !registry_->Journaled(job.job_id())) {
    LogInfo("agent", "copy ", job.job_id(), " of backup ", job.backup_id(), " to ",
            job.destination().name(), " started");
    registry_->Start(job.job_id(), [this, job](JobTracker* t) {
      ScopedLogFields fields(job.job_id(), job.database());
      absl::StatusOr<v1::CopyResult> r = runner_->Copy(job, t);
      std::vector<v1::CopyResult> copies(1);
      if (r.ok()) {
        copies[0] = *r;
      } else {
        copies[0].set_storage(job.destination().name());
        copies[0].set_error(std::string(r.status().message()));
      }
      t->Finish(StateFor(r.status()), std::string(r.status().message()), nullptr, nullptr, &copies);
      LogInfo("agent", "copy ", job.job_id(), " ended: ",
              r.ok() ? "succeeded" : std::string(r.status().message()));
    });
  }
  return Stream(ctx, job.job_id(), writer);
}

grpc::Status AgentServiceImpl::WatchJob(grpc::ServerContext* ctx, const v1::WatchJobRequest* req,
                                        grpc::ServerWriter<v1::JobEvent>* writer) {
  return Stream(ctx, req->job_id(), writer);
}

grpc::Status AgentServiceImpl::Stream(grpc::ServerContext* ctx, const std::string& job_id,
                                      grpc::ServerWriter<v1::JobEvent>* writer) {
  bool first = true;
  while (true) {
    std::shared_ptr<JobTracker> t = registry_->Find(job_id);
    v1::JobEvent e;
    bool terminal = false;
    if (t == nullptr) {
      auto journaled = registry_->Journaled(job_id);
      if (!journaled) {
        if (grpc::Status pending = OutcomePending(job_id); !pending.ok()) return pending;
        return grpc::Status(grpc::StatusCode::NOT_FOUND,
                            absl::StrCat("agent ", name_, " has no record of job ", job_id));
      }
      e = *journaled;
      terminal = true;
    } else {
      terminal = t->WaitTerminal(first ? absl::ZeroDuration() : absl::Seconds(1));
      e = t->Snapshot();
    }
    first = false;
    if (!writer->Write(e) || ctx->IsCancelled()) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "watcher went away; the job goes on");
    }
    if (terminal) return grpc::Status::OK;
  }
}

grpc::Status AgentServiceImpl::CancelJob(grpc::ServerContext*,
                                         const v1::AgentCancelJobRequest* req,
                                         v1::AgentCancelJobResponse*) {
  std::shared_ptr<JobTracker> t = registry_->Find(req->job_id());
  if (t == nullptr) {
    if (registry_->Journaled(req->job_id())) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          absl::StrCat("job ", req->job_id(), " has already ended"));
    }
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("agent ", name_, " has no record of job ", req->job_id()));
  }
  LogInfo("agent", "cancelling job ", req->job_id());
  t->Cancel();
  return grpc::Status::OK;
}

namespace {

// A destination that locks objects needs a bucket with Object Lock enabled:
// checked before anything is written, so the answer is that one line.
absl::Status ProbeObjectLock(const v1::StorageDestination& dest) {
  RETURN_IF_ERROR(ValidateObjectLock(dest));
  if (!HasObjectLock(dest)) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::unique_ptr<S3Storage> s3, OpenS3Storage(dest));
  return CheckBucketObjectLock(s3->client(), dest);
}

}  // namespace

grpc::Status AgentServiceImpl::ProbeStorage(grpc::ServerContext*, const v1::ProbeStorageRequest* req,
                                            v1::ProbeStorageResponse*) {
  if (absl::Status lock = ProbeObjectLock(req->storage()); !lock.ok()) {
    LogWarn("agent", "storage probe of ", req->storage().name(), ": ", lock.message());
    return ToGrpc(lock);
  }
  auto storage = OpenStorage(req->storage());
  if (!storage.ok()) return ToGrpc(storage.status());
  absl::BitGen gen;
  std::string name = absl::StrFormat(".dbdump-probe-%s-%016x", name_, absl::Uniform<uint64_t>(gen));
  std::string key = req->storage().prefix().empty() ? name : req->storage().prefix() + "/" + name;
  std::string payload = "dbdump storage probe";
  absl::Status st = WriteSmallObject(storage->get(), key, payload);
  if (st.ok()) {
    auto back = ReadSmallObject(storage->get(), key, 1024);
    if (!back.ok()) {
      st = back.status();
    } else if (*back != payload) {
      st = absl::DataLossError("the probe object read back differs from what was written");
    }
    absl::Status removed = (*storage)->Remove(key);
    if (st.ok()) st = removed;
  }
  if (!st.ok()) {
    LogWarn("agent", "storage probe of ", req->storage().name(), " failed: ", st.message());
    return ToGrpc(absl::Status(st.code(), absl::StrCat("storage probe failed: ", st.message())));
  }
  return grpc::Status::OK;
}

grpc::Status AgentServiceImpl::DeleteBackup(grpc::ServerContext*,
                                            const v1::AgentDeleteBackupRequest* req,
                                            v1::AgentDeleteBackupResponse* resp) {
  auto removed = maintenance_.Delete(req->backup());
  if (!removed.ok()) return ToGrpc(removed.status());
  for (const std::string& k : *removed) resp->add_removed_keys(k);
  LogInfo("agent", "backup ", req->backup().backup_id(), " of ", req->backup().database(),
          " deleted (", removed->size(), " objects)");
  return grpc::Status::OK;
}

grpc::Status AgentServiceImpl::VerifyBackup(grpc::ServerContext*, const v1::VerifyBackupRequest* req,
                                            v1::VerifyBackupResponse* resp) {
  auto r = maintenance_.Verify(req->backup());
  if (!r.ok()) return ToGrpc(r.status());
  *resp = *r;
  LogInfo("agent", "backup ", req->backup().backup_id(), " verified: ",
          r->ok() ? "checksums match" : r->error());
  return grpc::Status::OK;
}

grpc::Status AgentServiceImpl::ReadBackupObject(
    grpc::ServerContext* ctx, const v1::ReadBackupObjectRequest* req,
    grpc::ServerWriter<v1::ReadBackupObjectResponse>* writer) {
  absl::StatusOr<OpenedBackupObject> opened = OpenBackupObject(*req);
  if (!opened.ok()) {
    LogWarn("agent", "read of ", req->object(), " of backup ", req->backup().backup_id(),
            " refused: ", opened.status().message());
    return ToGrpc(opened.status());
  }
  v1::ReadBackupObjectResponse resp;
  *resp.mutable_header() = opened->header;
  if (!writer->Write(resp)) return grpc::Status(grpc::StatusCode::CANCELLED, "reader went away");
  if (!opened->header.redirect_url().empty()) {
    // The URL is a credential for its lifetime: only that it was made is logged.
    LogInfo("agent", "presigned a download of ", opened->key, " until ",
            opened->header.expires_at());
    return grpc::Status::OK;
  }
  const uint64_t size = opened->header.size_bytes();
  uint64_t sent = 0;
  if (opened->bytes.has_value()) {
    const std::string& bytes = *opened->bytes;
    for (size_t at = 0; at < bytes.size(); at += kChunkBytes) {
      resp.set_data(bytes.substr(at, kChunkBytes));
      if (!writer->Write(resp)) return grpc::Status(grpc::StatusCode::CANCELLED, "reader went away");
      sent += resp.data().size();
    }
  } else {
    // One chunk in memory at a time; Write returns once gRPC's flow control
    // took it, so a slow reader slows the file's reading.
    std::string buffer(kChunkBytes, '\0');
    while (true) {
      absl::StatusOr<size_t> n = opened->reader->Read(buffer.data(), buffer.size());
      if (!n.ok()) {
        LogWarn("agent", "read of ", opened->key, " failed: ", n.status().message());
        return ToGrpc(n.status());
      }
      if (*n == 0) break;
      resp.set_data(buffer.data(), *n);
      if (ctx->IsCancelled() || !writer->Write(resp)) {
        LogInfo("agent", "download of ", opened->key, " stopped after ", sent, " bytes: reader went away");
        return grpc::Status(grpc::StatusCode::CANCELLED, "reader went away");
      }
      sent += *n;
    }
  }
  if (sent != size) {
    return ToGrpc(absl::DataLossError(absl::StrCat(opened->key, " changed while it was read: ", sent,
                                                   " bytes instead of ", size)));
  }
  LogInfo("agent", "download of ", opened->key, " sent (", sent, " bytes)");
  return grpc::Status::OK;
}

grpc::Status AgentServiceImpl::ReconcileStorage(grpc::ServerContext*,
                                                const v1::AgentReconcileStorageRequest* req,
                                                v1::AgentReconcileStorageResponse* resp) {
  auto storage = OpenStorage(req->storage());
  if (!storage.ok()) return ToGrpc(storage.status());
  auto r = reconciler_.Reconcile(storage->get(), *req);
  if (!r.ok()) {
    LogWarn("agent", "reconciliation of storage ", req->storage().name(), " failed: ",
            r.status().message());
    return ToGrpc(r.status());
  }
  *resp = *std::move(r);
  std::map<v1::ReconcileActionKind, int> kinds;
  int failed = 0;
  for (const v1::ReconcileAction& a : resp->actions()) {
    ++kinds[a.kind()];
    if (!a.error().empty()) ++failed;
  }
  // Names and counts only: the destination's credentials never reach the log.
  LogInfo("agent", "storage ", req->storage().name(), " reconciled", req->dry_run() ? " (dry run)" : "",
          ": ", resp->objects_seen(), " objects (", resp->objects_ignored(), " outside the layout), ",
          resp->manifests_seen(), " manifests; adopt ", kinds[v1::RECONCILE_ACTION_ADOPT],
          ", mark missing ", kinds[v1::RECONCILE_ACTION_MARK_MISSING], ", mark found ",
          kinds[v1::RECONCILE_ACTION_MARK_FOUND], ", remove ", kinds[v1::RECONCILE_ACTION_REMOVE_OBJECT],
          ", abort ", kinds[v1::RECONCILE_ACTION_ABORT_UPLOAD], ", keep ", kinds[v1::RECONCILE_ACTION_KEEP],
          ", failed ", failed);
  return grpc::Status::OK;
}

}  // namespace dbdump
