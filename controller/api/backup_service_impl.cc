#include "controller/api/backup_service_impl.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "common/base/grpc_status.h"
#include "controller/api/backup_download.h"
#include "controller/api/page_token.h"
#include "controller/auth/caller.h"
#include "controller/retention/backup_maintainer.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"

namespace dbdump {

grpc::Status BackupServiceImpl::StartBackup(grpc::ServerContext* ctx,
                                            const v1::StartBackupRequest* req,
                                            v1::StartBackupResponse* resp) {
  // Right after a restart the dispatcher may wait for the agent to
  // reconnect; never past the caller's deadline.
  auto job = c_.dispatcher->StartBackup(*req, absl::FromChrono(ctx->deadline()));
  if (!job.ok()) return ToGrpc(job.status());
  *resp->mutable_job() = *job;
  return grpc::Status::OK;
}

namespace {

constexpr uint32_t kDefaultPageSize = 100;
constexpr uint32_t kMaxPageSize = 1000;

}  // namespace

grpc::Status BackupServiceImpl::ListBackups(grpc::ServerContext*, const v1::ListBackupsRequest* req,
                                            v1::ListBackupsResponse* resp) {
  if (!req->database().empty()) {
    if (absl::Status s = ValidateResourceName("database name", req->database()); !s.ok()) {
      return ToGrpc(s);
    }
  }
  if (!v1::BackupState_IsValid(req->state())) {
    return ToGrpc(absl::InvalidArgumentError("unknown backup state"));
  }
  if (req->page_size() > kMaxPageSize) {
    return ToGrpc(absl::InvalidArgumentError(
        absl::StrCat("page_size is at most ", kMaxPageSize, ", got ", req->page_size())));
  }
  BackupQuery q;
  q.database = req->database();
  q.state = req->state();
  absl::StatusOr<absl::Time> after =
      ParseTimeBound("created_after", req->created_after(), absl::InfinitePast());
  if (!after.ok()) return ToGrpc(after.status());
  absl::StatusOr<absl::Time> before =
      ParseTimeBound("created_before", req->created_before(), absl::InfiniteFuture());
  if (!before.ok()) return ToGrpc(before.status());
  q.created_after = *after;
  q.created_before = *before;
  // The token is tied to the filters it was made with.
  const std::string filters = absl::StrCat(req->database(), "\n", req->state(), "\n",
                                           req->created_after(), "\n", req->created_before());
  if (!req->page_token().empty()) {
    absl::StatusOr<std::string> position = DecodePageToken(req->page_token(), filters);
    if (!position.ok()) return ToGrpc(position.status());
    q.before_id = *position;
  }
  const int page = static_cast<int>(req->page_size() == 0 ? kDefaultPageSize : req->page_size());
  q.limit = page + 1;  // one more tells whether another page follows
  absl::StatusOr<std::vector<v1::Backup>> rows = c_.store->QueryBackups(q);
  if (!rows.ok()) return ToGrpc(rows.status());
  const bool more = static_cast<int>(rows->size()) > page;
  if (more) rows->pop_back();
  for (v1::Backup& b : *rows) *resp->add_backups() = std::move(b);
  if (more) resp->set_next_page_token(EncodePageToken(resp->backups().rbegin()->id(), filters));
  return grpc::Status::OK;
}

grpc::Status BackupServiceImpl::GetBackup(grpc::ServerContext*, const v1::GetBackupRequest* req,
                                          v1::GetBackupResponse* resp) {
  auto b = c_.store->GetBackup(req->id());
  if (!b.ok()) return ToGrpc(b.status());
  *resp->mutable_backup() = *b;
  return grpc::Status::OK;
}

grpc::Status BackupServiceImpl::DeleteBackup(grpc::ServerContext*,
                                             const v1::DeleteBackupRequest* req,
                                             v1::DeleteBackupResponse* resp) {
  absl::StatusOr<v1::DeleteBackupResponse> deleted = c_.maintainer->Delete(req->id());
  if (!deleted.ok()) return ToGrpc(deleted.status());
  *resp = *std::move(deleted);
  return grpc::Status::OK;
}

grpc::Status BackupServiceImpl::StartRestore(grpc::ServerContext* ctx,
                                             const v1::StartRestoreRequest* req,
                                             v1::StartRestoreResponse* resp) {
  // Dry runs and test restores write nothing the user owns: an operator's.
  // A restore writes over or into a database: an admin's.
  if (!req->options().dry_run() && !req->options().test_restore()) {
    if (absl::Status s = RequireRole(CallerOf(*ctx, c_.callers), v1::ROLE_ADMIN, "a restore"); !s.ok()) {
      return ToGrpc(s);
    }
  }
  auto job = c_.dispatcher->StartRestore(*req, absl::FromChrono(ctx->deadline()));
  if (!job.ok()) return ToGrpc(job.status());
  *resp->mutable_job() = *job;
  return grpc::Status::OK;
}

grpc::Status BackupServiceImpl::CopyBackup(grpc::ServerContext* ctx,
                                           const v1::CopyBackupRequest* req,
                                           v1::CopyBackupResponse* resp) {
  auto job = c_.dispatcher->StartCopy(*req, absl::FromChrono(ctx->deadline()));
  if (!job.ok()) return ToGrpc(job.status());
  *resp->mutable_job() = *job;
  return grpc::Status::OK;
}

grpc::Status BackupServiceImpl::DownloadBackup(
    grpc::ServerContext* ctx, const v1::DownloadBackupRequest* req,
    grpc::ServerWriter<v1::DownloadBackupResponse>* writer) {
  // Write blocks until gRPC's flow control takes the message: the agent's
  // stream is read no faster than the client reads this one.
  absl::Status st = BackupDownload(c_).Run(*req, [&](const v1::DownloadBackupResponse& m) {
    return !ctx->IsCancelled() && writer->Write(m);
  });
  return ToGrpc(st);
}

}  // namespace dbdump
