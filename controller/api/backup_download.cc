#include "controller/api/backup_download.h"

#include "controller/dispatch/copy_source.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace {

constexpr char kManifestObject[] = "manifest.json";

// The manifest's checksum of `object`; NotFound naming the objects there
// are when it lists no such object. Empty for the manifest itself, whose
// checksum the agent computes.
absl::StatusOr<std::string> StoredSha256(const v1::Backup& b, const std::string& object) {
  const v1::Manifest& m = b.manifest();
  if (object == kManifestObject) return std::string();
  if (object == m.dump_object()) return m.stored_sha256();
  std::vector<std::string> names = {m.dump_object(), kManifestObject};
  for (const v1::StoredObject& o : m.extra_objects()) {
    if (object == o.object()) return o.stored_sha256();
    names.push_back(o.object());
  }
  return absl::NotFoundError(absl::StrCat("backup ", b.id(), " has no object \"", object,
                                          "\"; its objects are ", absl::StrJoin(names, ", ")));
}

}  // namespace

std::string BackupDownload::FileName(const v1::Backup& backup, const std::string& object) {
  size_t slash = object.rfind('/');
  return absl::StrCat(backup.database(), "-", backup.id(), "-",
                      slash == std::string::npos ? object : object.substr(slash + 1));
}

absl::Status BackupDownload::Run(
    const v1::DownloadBackupRequest& req,
    const std::function<bool(const v1::DownloadBackupResponse&)>& write) {
  RETURN_IF_ERROR(ValidateId("backup id", req.id()));
  if (req.presign_ttl_s() > kMaxPresignTtlS) {
    return absl::InvalidArgumentError(absl::StrCat("presign_ttl_s is at most ", kMaxPresignTtlS,
                                                   ", got ", req.presign_ttl_s()));
  }
  ASSIGN_OR_RETURN(v1::Backup b, c_.store->GetBackup(req.id()));
  // A committed copy is read whatever became of the primary's objects.
  ASSIGN_OR_RETURN(std::string from, ReadableStorageOf(b, req.from_storage()));
  const bool from_primary = from == b.storage();
  if (!from_primary) {
    // Read from a committed copy: the primary's state does not matter.
  } else if (!b.deleted_at().empty() || b.state() == v1::BACKUP_STATE_DELETED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "backup ", b.id(), " was deleted", b.deleted_at().empty() ? "" : " at ", b.deleted_at(),
        ": its objects are gone from storage"));
  } else if (b.state() == v1::BACKUP_STATE_MISSING) {
    return absl::FailedPreconditionError(absl::StrCat(
        "backup ", b.id(), " is missing since ", b.missing_since(), " (", b.missing_reason(),
        "): its objects are gone from storage; see storage reconcile"));
  } else if (b.state() != v1::BACKUP_STATE_COMPLETED) {
    return absl::FailedPreconditionError(
        absl::StrCat("backup ", b.id(), " did not complete: it has nothing to download"));
  }
  const std::string object = req.object().empty() ? b.manifest().dump_object() : req.object();
  ASSIGN_OR_RETURN(std::string stored_sha256, StoredSha256(b, object));

  // The database's agent reads its storage; a database removed since is
  // served by the agent that made the backup.
  std::string agent_name = b.manifest().agent();
  absl::StatusOr<v1::Database> db = c_.store->GetDatabase(b.database());
  if (db.ok()) {
    agent_name = db->target().agent();
  } else if (!absl::IsNotFound(db.status())) {
    return db.status();
  }
  ASSIGN_OR_RETURN(v1::Agent agent, c_.store->GetAgent(agent_name));
  ASSIGN_OR_RETURN(v1::StorageDestination storage, c_.store->GetStorage(from));

  v1::ReadBackupObjectRequest read;
  *read.mutable_backup()->mutable_storage() = storage;
  read.mutable_backup()->set_database(b.database());
  read.mutable_backup()->set_backup_id(b.id());
  read.set_object(object);
  read.set_presign_ttl_s(req.presign_ttl_s() == 0 ? kDefaultPresignTtlS : req.presign_ttl_s());
  std::unique_ptr<BackupObjectStream> stream = c_.agents->For(agent)->ReadBackupObject(read);

  v1::ReadBackupObjectResponse in;
  if (!stream->Next(&in)) {
    absl::Status end = stream->Finish();
    RETURN_IF_ERROR_PREPEND(end, absl::StrCat("agent ", agent_name, ": "));
    return absl::UnavailableError(absl::StrCat("agent ", agent_name, " sent nothing for ", object));
  }
  if (!in.has_header()) {
    stream->Cancel();
    return absl::InternalError(absl::StrCat("agent ", agent_name, " sent data before the header"));
  }
  v1::DownloadBackupResponse out;
  v1::FileHeader* header = out.mutable_header();
  header->set_file_name(FileName(b, object));
  header->set_size_bytes(in.header().size_bytes());
  header->set_stored_sha256(stored_sha256.empty() ? in.header().sha256() : stored_sha256);
  header->set_redirect_url(in.header().redirect_url());
  header->set_expires_at(in.header().expires_at());
  const bool redirect = !header->redirect_url().empty();
  const uint64_t size = header->size_bytes();
  if (!write(out)) {
    stream->Cancel();
    return absl::CancelledError("the client went away");
  }
  uint64_t relayed = 0;
  while (stream->Next(&in)) {
    if (redirect || in.has_header()) {
      stream->Cancel();
      return absl::InternalError(absl::StrCat("agent ", agent_name, " sent a second header or ",
                                              "data after a redirect for ", object));
    }
    relayed += in.data().size();
    if (relayed > size) {
      // Beyond the announced length the client could not tell the end.
      stream->Cancel();
      return absl::DataLossError(absl::StrCat(object, " of backup ", b.id(), " is longer than the ",
                                              size, " bytes the agent announced"));
    }
    out.set_data(std::move(*in.mutable_data()));
    if (!write(out)) {
      stream->Cancel();
      return absl::CancelledError("the client went away");
    }
  }
  absl::Status end = stream->Finish();
  RETURN_IF_ERROR_PREPEND(end, absl::StrCat("agent ", agent_name, ": "));
  if (!redirect && relayed != size) {
    return absl::DataLossError(absl::StrCat(object, " of backup ", b.id(), " ended after ", relayed,
                                            " of ", size, " bytes"));
  }
  LogInfo("controller", redirect ? "presigned download of " : "download of ", object,
          " of backup ", b.id(), redirect ? " handed out" : " relayed", " (", size, " bytes)");
  return absl::OkStatus();
}

}  // namespace dbdump
