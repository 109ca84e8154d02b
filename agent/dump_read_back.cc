#include "agent/dump_read_back.h"

#include "absl/strings/str_cat.h"
#include "common/compression.h"
#include "common/sha256_filter.h"
#include "common/status_macros.h"

namespace dbdump {

absl::StatusOr<ReadBackResult> ReadBackDump(Storage* storage, const std::string& dump_key,
                                            v1::Compression compression, Sink* out,
                                            const PumpOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<ObjectReader> reader, storage->NewReader(dump_key));
  Sha256Filter raw_hash(out);
  ASSIGN_OR_RETURN(std::unique_ptr<Sink> decompressor, MakeDecompressor(compression, &raw_hash));
  Sha256Filter stored_hash(decompressor.get());
  ReadBackResult r;
  r.pumped = Pump(reader.get(), &stored_hash, options);
  r.stored_sha256 = stored_hash.hex_digest();
  r.stored_bytes = stored_hash.bytes();
  r.raw_sha256 = raw_hash.hex_digest();
  r.raw_bytes = raw_hash.bytes();
  return r;
}

absl::Status CheckReadBack(const ReadBackResult& r, const v1::Manifest& m,
                           const std::string& backup_id) {
  if (!r.stored_sha256.empty() && r.stored_sha256 != m.stored_sha256()) {
    return absl::DataLossError(absl::StrCat("backup ", backup_id, " is corrupted: stored sha256 ",
                                            r.stored_sha256, " does not match the manifest's ",
                                            m.stored_sha256()));
  }
  if (!r.pumped.ok()) {
    return absl::Status(r.pumped.code(),
                        absl::StrCat("backup ", backup_id, " cannot be read: ", r.pumped.message()));
  }
  if (r.raw_sha256 != m.raw_sha256()) {
    return absl::DataLossError(
        absl::StrCat("backup ", backup_id, " is corrupted: raw sha256 does not match the manifest"));
  }
  return absl::OkStatus();
}

}  // namespace dbdump
