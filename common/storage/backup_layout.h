// Where a backup's objects live and how its manifest is (de)serialised.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/storage/storage.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump {

// <prefix>/<database>/<backup-id>/{dump.<ext>,manifest.json}
std::string BackupDir(const std::string& prefix, const std::string& database,
                      const std::string& backup_id);
std::string ManifestKey(const std::string& prefix, const std::string& database,
                        const std::string& backup_id);

// Manifest <-> JSON (protobuf's JSON mapping, field names as in the proto).
std::string ManifestToJson(const dbdump::v1::Manifest& manifest);
absl::StatusOr<dbdump::v1::Manifest> ManifestFromJson(const std::string& json);

// Reads and parses one backup's manifest.
absl::StatusOr<dbdump::v1::Manifest> ReadManifest(Storage* storage, const std::string& prefix,
                                                  const std::string& database,
                                                  const std::string& backup_id);
// Every committed backup under `prefix` (optionally of one database), oldest
// first. Unreadable manifests are reported in `problems`, not fatal.
absl::StatusOr<std::vector<dbdump::v1::Manifest>> ListManifests(
    Storage* storage, const std::string& prefix, const std::string& database,
    std::vector<std::string>* problems);

class S3Storage;
// Opens an S3 destination with the credentials it references (or the
// process environment), assuming its role when it names one. When the
// destination has an Object Lock and `lock_retain_until` is set, every
// object written is locked in its mode until then (see object_lock.h);
// InfinitePast(): nothing written is locked (probes, reads, deletes).
absl::StatusOr<std::unique_ptr<S3Storage>> OpenS3Storage(
    const dbdump::v1::StorageDestination& dest,
    absl::Time lock_retain_until = absl::InfinitePast());
// Opens the storage driver a destination names; `lock_retain_until` as for
// OpenS3Storage (local storage has no lock).
absl::StatusOr<std::unique_ptr<Storage>> OpenStorage(
    const dbdump::v1::StorageDestination& dest,
    absl::Time lock_retain_until = absl::InfinitePast());

}  // namespace dbdump
