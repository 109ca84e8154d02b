// DumpReadBack: reads a stored dump back through the checks a restore and a
// verification share: stored sha256 -> [age decrypt] -> decompress -> raw
// sha256 -> a sink.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/io/pump.h"
#include "common/io/sink.h"
#include "common/storage/storage.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump {

struct AgeDecryptKeys;

// What reading the dump back saw. Digests are empty when the stream did not
// reach its end.
struct ReadBackResult {
  absl::Status pumped;
  std::string stored_sha256;
  uint64_t stored_bytes = 0;
  std::string raw_sha256;
  uint64_t raw_bytes = 0;
};

// Stateless functions; thread-safe.
// Reads `dump_key` into `out` through the checksums, decrypting with `keys`
// when they are set (an encrypted backup). Errors are for a dump that cannot
// be opened or a codec that cannot be set up; a read or write failure part
// way (a chunk that does not authenticate) is in `pumped`.
absl::StatusOr<ReadBackResult> ReadBackDump(Storage* storage, const std::string& dump_key,
                                            dbdump::v1::Compression compression,
                                            const std::shared_ptr<const AgeDecryptKeys>& keys,
                                            Sink* out, const PumpOptions& options);

// Reads only the stored bytes of `dump_key` and their checksum: what can be
// verified of an encrypted backup without its identity.
absl::StatusOr<ReadBackResult> ReadBackStored(Storage* storage, const std::string& dump_key,
                                              const PumpOptions& options);

// Opens the age header of `dump_key` with `keys` (no payload is read): an
// encrypted restore's check, before anything is restored, that the identity
// it was given decrypts the backup.
absl::Status CheckDumpKeys(Storage* storage, const std::string& dump_key,
                           const AgeDecryptKeys& keys, const std::string& backup_id);

// Judges a read-back against the manifest: DataLoss naming the mismatching
// checksum (the stored one first, since a changed object explains a failed
// decompression), else the pump's error, else OK.
absl::Status CheckReadBack(const ReadBackResult& r, const dbdump::v1::Manifest& m,
                           const std::string& backup_id);
// The same against one object of the backup (the main dump or an extra one).
absl::Status CheckReadBack(const ReadBackResult& r, const dbdump::v1::StoredObject& expected,
                           const std::string& backup_id);
// A ReadBackStored result against the manifest: the stored checksum and size.
absl::Status CheckStoredOnly(const ReadBackResult& r, const dbdump::v1::Manifest& m,
                             const std::string& backup_id);

// The manifest's main dump as a StoredObject (role "dump").
dbdump::v1::StoredObject MainObject(const dbdump::v1::Manifest& m);

}  // namespace dbdump
