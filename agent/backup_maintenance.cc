#include "agent/backup_maintenance.h"

#include "absl/strings/str_cat.h"
#include "common/backup_layout.h"
#include "common/compression.h"
#include "common/names.h"
#include "common/pump.h"
#include "common/sha256_filter.h"
#include "common/status_macros.h"

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
  absl::StatusOr<std::unique_ptr<ObjectReader>> reader = storage->NewReader(dump_key);
  if (!reader.ok()) {
    resp.set_error(absl::StrCat("dump ", m->dump_object(), " unreadable: ", reader.status().message()));
    return resp;
  }
  NullSink discard;
  Sha256Filter raw_hash(&discard);
  ASSIGN_OR_RETURN(std::unique_ptr<Sink> decompressor, MakeDecompressor(m->compression(), &raw_hash));
  Sha256Filter stored_hash(decompressor.get());
  PumpOptions po;
  po.buffer_bytes = buffer_bytes_;
  po.buffers = buffers_;
  absl::Status pumped = Pump(reader->get(), &stored_hash, po);
  resp.set_stored_size_bytes(stored_hash.bytes());
  resp.set_raw_size_bytes(raw_hash.bytes());
  resp.set_stored_sha256(stored_hash.hex_digest());
  resp.set_raw_sha256(raw_hash.hex_digest());
  // The stored checksum is checked first: it says whether the object changed,
  // which explains any decompression error after it.
  if (!stored_hash.hex_digest().empty() && stored_hash.hex_digest() != m->stored_sha256()) {
    resp.set_error(absl::StrCat("stored sha256 ", stored_hash.hex_digest(),
                                " does not match the manifest's ", m->stored_sha256()));
  } else if (!pumped.ok()) {
    resp.set_error(absl::StrCat("dump cannot be read back: ", pumped.message()));
  } else if (stored_hash.bytes() != m->stored_size_bytes()) {
    resp.set_error(absl::StrCat("stored size ", stored_hash.bytes(), " bytes, manifest says ",
                                m->stored_size_bytes()));
  } else if (raw_hash.hex_digest() != m->raw_sha256() || raw_hash.bytes() != m->raw_size_bytes()) {
    resp.set_error("raw sha256 or size does not match the manifest");
  }
  resp.set_ok(resp.error().empty());
  return resp;
}

}  // namespace dbdump
