#include "controller/api/backup_service_impl.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "common/base/grpc_status.h"
#include "controller/auth/caller.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"

namespace dbdump {

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

grpc::Status BackupServiceImpl::StartRestore(grpc::ServerContext* ctx,
                                             const v1::StartRestoreRequest* req,
                                             v1::StartRestoreResponse* resp) {
  // Dry runs and test restores write nothing the user owns: an operator's.
  // A restore writes over or into a database: an admin's.
  if (!req->options().dry_run() && !req->options().test_restore()) {
    if (absl::Status s = RequireRole(CallerOf(*ctx), v1::ROLE_ADMIN, "a restore"); !s.ok()) {
      return ToGrpc(s);
    }
  }
  auto job = c_.dispatcher->StartRestore(*req);
  if (!job.ok()) return ToGrpc(job.status());
  *resp->mutable_job() = *job;
  return grpc::Status::OK;
}

}  // namespace dbdump
