#include "controller/api/admin_services.h"

#include <grpcpp/grpcpp.h>

#include <google/protobuf/util/message_differencer.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/grpc_status.h"
#include "common/base/job_state.h"
#include "common/storage/local_storage.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/secret_ref.h"
#include "common/base/status_macros.h"
#include "common/storage/storage.h"
#include "controller/api/storage_validation.h"

namespace dbdump {
namespace {

absl::Status ValidateTarget(const v1::DatabaseTarget& t) {
  RETURN_IF_ERROR(ValidateResourceName("database name", t.name()));
  RETURN_IF_ERROR(ValidateResourceName("agent name", t.agent()));
  RETURN_IF_ERROR(ValidateSecretRef(t.password_ref()));
  switch (t.engine()) {
    case v1::ENGINE_POSTGRES:
      if (t.host().empty()) return absl::InvalidArgumentError("postgres target needs a host (--host)");
      if (t.port() > 65535) return absl::InvalidArgumentError("port must be 1 to 65535");
      if (!t.path().empty()) return absl::InvalidArgumentError("--path is for sqlite targets only");
      return ValidatePgDatabaseName(t.database());
    case v1::ENGINE_SQLITE:
      if (!t.host().empty() || !t.database().empty() || t.port() != 0) {
        return absl::InvalidArgumentError("sqlite targets take only --path, not host, port or dbname");
      }
      if (absl::Status s = ValidateLocalRoot(t.path()); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "sqlite path \"", t.path(), "\" must be absolute without \".\" or \"..\" segments"));
      }
      return absl::OkStatus();
    case v1::ENGINE_MYSQL:
    case v1::ENGINE_MONGODB: {
      bool mysql = t.engine() == v1::ENGINE_MYSQL;
      std::string label = mysql ? "mysql" : "mongodb";
      if (t.host().empty()) return absl::InvalidArgumentError(label + " target needs a host (--host)");
      if (t.port() > 65535) return absl::InvalidArgumentError("port must be 1 to 65535");
      if (!t.path().empty()) return absl::InvalidArgumentError("--path is for sqlite targets only");
      // Every database (MySQL --all-databases; MongoDB without --dbname)
      // needs no name.
      if (t.database().empty() && (!mysql || t.dump_options().all_databases())) {
        return absl::OkStatus();
      }
      return ValidateServerDatabaseName(label, t.database(), 64);
    }
    default:
      return absl::InvalidArgumentError("unknown engine: use postgres, mysql, mongodb or sqlite");
  }
}

grpc::ClientContext* WithDeadline(grpc::ClientContext* ctx, int seconds) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return ctx;
}

}  // namespace

grpc::Status AgentAdminServiceImpl::ListAgents(grpc::ServerContext*, const v1::ListAgentsRequest*,
                                               v1::ListAgentsResponse* resp) {
  auto agents = c_.store->ListAgents();
  if (!agents.ok()) return ToGrpc(agents.status());
  absl::Time now = absl::Now();
  for (v1::Agent& a : *agents) {
    a.set_online(c_.dispatcher->IsOnline(a, now));
    *resp->add_agents() = a;
  }
  return grpc::Status::OK;
}

absl::Status DatabaseServiceImpl::Add(const v1::AddDatabaseRequest& req, v1::Database* out) {
  v1::DatabaseTarget t = req.database();
  if (t.port() == 0) {
    if (t.engine() == v1::ENGINE_POSTGRES) t.set_port(5432);
    if (t.engine() == v1::ENGINE_MYSQL) t.set_port(3306);
    if (t.engine() == v1::ENGINE_MONGODB) t.set_port(27017);
  }
  RETURN_IF_ERROR(ValidateTarget(t));
  RETURN_IF_ERROR(ValidateResourceName("storage name", req.storage()));
  RETURN_IF_ERROR(c_.store->GetStorage(req.storage()).status());
  ASSIGN_OR_RETURN(v1::Agent agent, c_.store->GetAgent(t.agent()));
  v1::Database db;
  *db.mutable_target() = t;
  db.set_storage(req.storage());
  if (!req.skip_connection_test()) {
    if (!c_.dispatcher->IsOnline(agent, absl::Now())) {
      return absl::UnavailableError(absl::StrCat(
          "agent \"", agent.name(), "\" is offline, so the connection cannot be tested: start "
          "it, or pass --skip-connection-test"));
    }
    grpc::ClientContext ctx;
    v1::TestConnectionRequest treq;
    *treq.mutable_target() = t;
    v1::TestConnectionResponse tresp;
    grpc::Status st = c_.agents->For(agent.address())->TestConnection(WithDeadline(&ctx, 30), treq, &tresp);
    if (!st.ok()) {
      absl::Status s = FromGrpc(st);
      return absl::Status(s.code(), absl::StrCat("connection test through agent \"", agent.name(),
                                                 "\" failed: ", s.message()));
    }
    db.set_server_version(tresp.server_version());
  }
  RETURN_IF_ERROR(c_.store->AddDatabase(db, absl::Now()));
  ASSIGN_OR_RETURN(*out, c_.store->GetDatabase(t.name()));
  LogInfo("controller", "database ", t.name(), " added");
  return absl::OkStatus();
}

grpc::Status DatabaseServiceImpl::AddDatabase(grpc::ServerContext*, const v1::AddDatabaseRequest* req,
                                              v1::AddDatabaseResponse* resp) {
  return ToGrpc(Add(*req, resp->mutable_database()));
}

grpc::Status DatabaseServiceImpl::ListDatabases(grpc::ServerContext*, const v1::ListDatabasesRequest*,
                                                v1::ListDatabasesResponse* resp) {
  auto dbs = c_.store->ListDatabases();
  if (!dbs.ok()) return ToGrpc(dbs.status());
  for (auto& d : *dbs) *resp->add_databases() = d;
  return grpc::Status::OK;
}

grpc::Status DatabaseServiceImpl::RemoveDatabase(grpc::ServerContext*,
                                                 const v1::RemoveDatabaseRequest* req,
                                                 v1::RemoveDatabaseResponse*) {
  absl::Status st = ValidateResourceName("database name", req->name());
  if (st.ok()) st = c_.store->RemoveDatabase(req->name());
  if (st.ok()) LogInfo("controller", "database ", req->name(), " removed; its backups stay catalogued");
  return ToGrpc(st);
}

grpc::Status StorageServiceImpl::AddStorage(grpc::ServerContext*, const v1::AddStorageRequest* req,
                                            v1::AddStorageResponse* resp) {
  v1::StorageDestination s = req->storage();
  if (s.kind() == v1::STORAGE_KIND_S3 && s.region().empty()) s.set_region("us-east-1");
  absl::Status st = ValidateStorageDestination(s);
  if (st.ok()) st = Probe(s, *req);
  if (st.ok()) st = c_.store->AddStorage(s, absl::Now());
  if (!st.ok()) return ToGrpc(st);
  *resp->mutable_storage() = s;
  LogInfo("controller", "storage ", s.name(), " added");
  return grpc::Status::OK;
}

absl::Status StorageServiceImpl::Probe(const v1::StorageDestination& s,
                                       const v1::AddStorageRequest& req) {
  if (req.skip_probe()) return absl::OkStatus();
  // The controller holds no storage credentials: an agent proves it can
  // write, read and delete there.
  std::vector<v1::Agent> candidates;
  if (!req.probe_agent().empty()) {
    ASSIGN_OR_RETURN(v1::Agent a, c_.store->GetAgent(req.probe_agent()));
    if (!c_.dispatcher->IsOnline(a, absl::Now())) {
      return absl::UnavailableError(absl::StrCat("agent \"", a.name(), "\" is offline and cannot probe the storage"));
    }
    candidates.push_back(a);
  } else {
    ASSIGN_OR_RETURN(std::vector<v1::Agent> all, c_.store->ListAgents());
    for (auto& a : all) {
      if (c_.dispatcher->IsOnline(a, absl::Now())) candidates.push_back(a);
    }
  }
  if (candidates.empty()) {
    if (s.kind() == v1::STORAGE_KIND_LOCAL) return absl::OkStatus();  // checked at first backup
    return absl::FailedPreconditionError(
        "no agent is online to probe the storage: start an agent, or pass --skip-probe");
  }
  const v1::Agent& agent = candidates.front();
  grpc::ClientContext ctx;
  v1::ProbeStorageRequest preq;
  *preq.mutable_storage() = s;
  v1::ProbeStorageResponse presp;
  grpc::Status gs = c_.agents->For(agent.address())->ProbeStorage(WithDeadline(&ctx, 60), preq, &presp);
  if (!gs.ok()) {
    absl::Status a = FromGrpc(gs);
    return absl::Status(a.code(), absl::StrCat("storage \"", s.name(), "\" checked through agent \"",
                                               agent.name(), "\": ", a.message()));
  }
  return absl::OkStatus();
}

grpc::Status StorageServiceImpl::ListStorages(grpc::ServerContext*, const v1::ListStoragesRequest*,
                                              v1::ListStoragesResponse* resp) {
  auto all = c_.store->ListStorages();
  if (!all.ok()) return ToGrpc(all.status());
  for (auto& s : *all) *resp->add_storages() = s;
  return grpc::Status::OK;
}

grpc::Status StorageServiceImpl::RemoveStorage(grpc::ServerContext*, const v1::RemoveStorageRequest* req,
                                               v1::RemoveStorageResponse*) {
  absl::Status st = ValidateResourceName("storage name", req->name());
  if (st.ok()) st = c_.store->RemoveStorage(req->name());
  return ToGrpc(st);
}

grpc::Status BackupServiceImpl::StartBackup(grpc::ServerContext*, const v1::StartBackupRequest* req,
                                            v1::StartBackupResponse* resp) {
  auto job = c_.dispatcher->StartBackup(*req);
  if (!job.ok()) return ToGrpc(job.status());
  *resp->mutable_job() = *job;
  return grpc::Status::OK;
}

grpc::Status BackupServiceImpl::ListBackups(grpc::ServerContext*, const v1::ListBackupsRequest* req,
                                            v1::ListBackupsResponse* resp) {
  auto all = c_.store->ListBackups(req->database());
  if (!all.ok()) return ToGrpc(all.status());
  for (auto& b : *all) *resp->add_backups() = b;
  return grpc::Status::OK;
}

grpc::Status BackupServiceImpl::GetBackup(grpc::ServerContext*, const v1::GetBackupRequest* req,
                                          v1::GetBackupResponse* resp) {
  auto b = c_.store->GetBackup(req->id());
  if (!b.ok()) return ToGrpc(b.status());
  *resp->mutable_backup() = *b;
  return grpc::Status::OK;
}

grpc::Status BackupServiceImpl::StartRestore(grpc::ServerContext*, const v1::StartRestoreRequest* req,
                                             v1::StartRestoreResponse* resp) {
  auto job = c_.dispatcher->StartRestore(*req);
  if (!job.ok()) return ToGrpc(job.status());
  *resp->mutable_job() = *job;
  return grpc::Status::OK;
}

grpc::Status JobServiceImpl::ListJobs(grpc::ServerContext*, const v1::ListJobsRequest* req,
                                      v1::ListJobsResponse* resp) {
  auto all = c_.store->ListJobs(req->database(), static_cast<int>(req->limit()));
  if (!all.ok()) return ToGrpc(all.status());
  for (auto& j : *all) *resp->add_jobs() = j;
  return grpc::Status::OK;
}

grpc::Status JobServiceImpl::GetJob(grpc::ServerContext*, const v1::GetJobRequest* req,
                                    v1::GetJobResponse* resp) {
  auto j = c_.store->GetJob(req->id());
  if (!j.ok()) return ToGrpc(j.status());
  *resp->mutable_job() = *j;
  return grpc::Status::OK;
}

grpc::Status JobServiceImpl::FollowJob(grpc::ServerContext* ctx, const v1::FollowJobRequest* req,
                                       grpc::ServerWriter<v1::FollowJobResponse>* writer) {
  v1::Job last;
  bool first = true;
  while (!ctx->IsCancelled()) {
    auto j = c_.store->GetJob(req->id());
    if (!j.ok()) return ToGrpc(j.status());
    if (first || !google::protobuf::util::MessageDifferencer::Equals(*j, last)) {
      v1::FollowJobResponse r;
      *r.mutable_job() = *j;
      if (!writer->Write(r)) return grpc::Status::CANCELLED;
      last = *j;
      first = false;
    }
    if (IsTerminalJobState(j->state())) return grpc::Status::OK;
    absl::SleepFor(absl::Milliseconds(250));
  }
  return grpc::Status::CANCELLED;
}

}  // namespace dbdump
