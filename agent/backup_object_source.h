// BackupObjectSource: one object of a stored backup, opened on the agent's
// host for a download. Local storage gives a reader of the bytes; S3 gives a
// presigned GET URL signed with the agent's own credentials, so the bytes
// never pass through the controller, which holds no storage credentials.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/storage/storage.h"
#include "dbdump/v1/agent_service.pb.h"

namespace dbdump {

// What a download reads: the header to send first, then, unless the header
// redirects, the bytes from `bytes` (small objects already read) or `reader`.
struct OpenedBackupObject {
  dbdump::v1::ReadBackupObjectHeader header;
  // The object's key, for logs.
  std::string key;
  std::optional<std::string> bytes;
  // Declared after `storage`, so it goes first.
  std::unique_ptr<Storage> storage;
  std::unique_ptr<ObjectReader> reader;
};

// Checks the request (names, an object the backup's manifest lists, a TTL
// of 1 to 3600 s) and opens the object. NotFound when the backup has no
// manifest or the object is missing; InvalidArgument for a bad request.
// The manifest itself (manifest.json) is read whole and its SHA-256 put in
// the header, since no manifest lists its own checksum.
absl::StatusOr<OpenedBackupObject> OpenBackupObject(
    const dbdump::v1::ReadBackupObjectRequest& request);

}  // namespace dbdump
