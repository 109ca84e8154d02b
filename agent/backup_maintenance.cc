#include "agent/backup_maintenance.h"

#include "common/engines/dump_read_back.h"

#include "common/crypto/age_settings.h"

#include "absl/strings/str_cat.h"
#include "common/storage/backup_layout.h"
#include "common/io/compression.h"
#include "common/base/names.h"
#include "common/io/pump.h"
#include "common/io/filter_chain.h"
#include "common/io/sha256_filter.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace {

absl::Status ValidateRef(const v1::StoredBackupRef& ref) {
  RETURN_IF_ERROR(ValidateResourceName("database name", ref.database()));
  return ValidateId("backup id", ref.backup_id());
}

}  // namespace

absl::StatusOr<std::vector<std::string>> BackupMaintenance::Delete(const v1::StoredBackupRef& ref) {
  RETURN_IF_ERROR(ValidateRef(ref));
  ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage, OpenStorage(ref.storage()));
  const std::string& prefix = ref.storage().prefix();
  std::string dir = BackupDir(prefix, ref.database(), ref.backup_id());
  std::string manifest_key = ManifestKey(prefix, ref.database(), ref.backup_id());
  std::vector<std::string> removed;
  absl::StatusOr<v1::Manifest> manifest =
      ReadManifest(storage.get(), prefix, ref.database(), ref.backup_id());
  // The commit point goes first: from here on no listing shows the backup.
  RETURN_IF_ERROR(storage->Remove(manifest_key));
  removed.push_back(manifest_key);
  if (manifest.ok() && !manifest->dump_object().empty()) {
    std::string dump_key = absl::StrCat(dir, "/", manifest->dump_object());
    RETURN_IF_ERROR(ValidateObjectKey(dump_key));
    RETURN_IF_ERROR(storage->Remove(dump_key));
    removed.push_back(dump_key);
  }
  ASSIGN_OR_RETURN(std::vector<ObjectInfo> rest, storage->List(dir + "/"));
  for (const ObjectInfo& o : rest) {
    RETURN_IF_ERROR(storage->Remove(o.key));
    removed.push_back(o.key);
  }
  return removed;
}

absl::StatusOr<v1::VerifyBackupResponse> BackupMaintenance::Verify(
    const v1::StoredBackupRef& ref) {
  RETURN_IF_ERROR(ValidateRef(ref));
  ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage, OpenStorage(ref.storage()));
  const std::string& prefix = ref.storage().prefix();
  v1::VerifyBackupResponse resp;
  absl::StatusOr<v1::Manifest> m = ReadManifest(storage.get(), prefix, ref.database(), ref.backup_id());
  if (!m.ok()) {
    resp.set_error(absl::StrCat("manifest unreadable: ", m.status().message()));
    return resp;
  }
  std::string dump_key =
      absl::StrCat(BackupDir(prefix, ref.database(), ref.backup_id()), "/", m->dump_object());
  NullSink discard;
  PumpOptions po;
  po.buffer_bytes = buffer_bytes_;
  po.buffers = buffers_;
  // The agent holds no identity: an encrypted backup is verified by its
  // stored checksum and size (its age chunks are authenticated, and its raw
  // checksum checked, by a restore or test restore with the identity).
  const bool encrypted = ManifestEncrypted(*m);
  absl::StatusOr<ReadBackResult> r =
      encrypted ? ReadBackStored(storage.get(), dump_key, po)
                : ReadBackDump(storage.get(), dump_key, m->compression(), nullptr, &discard, po);
  if (!r.ok()) {
    resp.set_error(absl::StrCat("dump ", m->dump_object(), " unreadable: ", r.status().message()));
    return resp;
  }
  if (!r->pumped.ok() && r->stored_sha256.empty()) {
    // Decompression stopped part way: hash the whole object alone, so the
    // report says whether the stored bytes changed (they usually did).
    absl::StatusOr<ReadBackResult> again = ReadBackStored(storage.get(), dump_key, po);
    if (again.ok() && again->pumped.ok()) {
      r->stored_sha256 = again->stored_sha256;
      r->stored_bytes = again->stored_bytes;
    }
  }
  resp.set_stored_size_bytes(r->stored_bytes);
  resp.set_raw_size_bytes(r->raw_bytes);
  resp.set_stored_sha256(r->stored_sha256);
  resp.set_raw_sha256(r->raw_sha256);
  // Checksums and sizes, as a restore checks them.
  absl::Status checked = encrypted ? CheckStoredOnly(*r, *m, ref.backup_id())
                                   : CheckReadBack(*r, *m, ref.backup_id());
  if (!checked.ok()) resp.set_error(std::string(checked.message()));
  resp.set_ok(resp.error().empty());
  return resp;
}

}  // namespace dbdump
