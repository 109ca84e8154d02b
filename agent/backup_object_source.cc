#include "agent/backup_object_source.h"

#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "common/s3/sigv4_signer.h"
#include "common/storage/backup_layout.h"
#include "common/storage/s3_storage.h"

namespace dbdump {
namespace {

constexpr char kManifestObject[] = "manifest.json";
constexpr uint32_t kMaxPresignTtlS = 3600;
constexpr size_t kMaxManifestBytes = 1 << 20;

bool Listed(const v1::Manifest& m, const std::string& object) {
  if (object == m.dump_object()) return true;
  for (const v1::StoredObject& o : m.extra_objects()) {
    if (object == o.object()) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<OpenedBackupObject> OpenBackupObject(const v1::ReadBackupObjectRequest& req) {
  const v1::StoredBackupRef& ref = req.backup();
  RETURN_IF_ERROR(ValidateResourceName("database name", ref.database()));
  RETURN_IF_ERROR(ValidateId("backup id", ref.backup_id()));
  if (req.presign_ttl_s() < 1 || req.presign_ttl_s() > kMaxPresignTtlS) {
    return absl::InvalidArgumentError(absl::StrCat(
        "presign_ttl_s is ", req.presign_ttl_s(), ": give 1 to ", kMaxPresignTtlS, " seconds"));
  }
  if (req.object().empty()) return absl::InvalidArgumentError("name the object to read");
  RETURN_IF_ERROR(ValidateObjectKey(req.object()));
  const std::string& prefix = ref.storage().prefix();

  OpenedBackupObject out;
  ASSIGN_OR_RETURN(out.storage, OpenStorage(ref.storage()));
  // Only what a committed backup lists is served: the manifest says which
  // objects are the backup's.
  ASSIGN_OR_RETURN(v1::Manifest manifest,
                   ReadManifest(out.storage.get(), prefix, ref.database(), ref.backup_id()));
  const bool is_manifest = req.object() == kManifestObject;
  if (!is_manifest && !Listed(manifest, req.object())) {
    return absl::NotFoundError(absl::StrCat("backup ", ref.backup_id(), " has no object \"",
                                            req.object(), "\" in its manifest"));
  }
  out.key = absl::StrCat(BackupDir(prefix, ref.database(), ref.backup_id()), "/", req.object());
  RETURN_IF_ERROR(ValidateObjectKey(out.key));

  if (is_manifest) {
    ASSIGN_OR_RETURN(std::string json,
                     ReadSmallObject(out.storage.get(), out.key, kMaxManifestBytes));
    out.header.set_sha256(HexSha256(json));
    out.header.set_size_bytes(json.size());
    out.bytes = std::move(json);
  } else {
    ASSIGN_OR_RETURN(ObjectInfo info, out.storage->Stat(out.key));
    out.header.set_size_bytes(info.size_bytes);
  }

  if (ref.storage().kind() == v1::STORAGE_KIND_S3) {
    auto* s3 = static_cast<S3Storage*>(out.storage.get());
    ASSIGN_OR_RETURN(PresignedUrl url, s3->client()->PresignGetObject(
                                           out.key, absl::Seconds(req.presign_ttl_s())));
    out.header.set_redirect_url(std::move(url.url));
    out.header.set_expires_at(TimeToString(url.expires_at));
    out.bytes.reset();
    return out;
  }
  if (!out.bytes.has_value()) {
    ASSIGN_OR_RETURN(out.reader, out.storage->NewReader(out.key));
  }
  return out;
}

}  // namespace dbdump
