#include "common/engines/dump_read_back.h"

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/crypto/age_keys.h"
#include "common/crypto/age_stream.h"
#include "common/io/filter_chain.h"
#include "common/io/sha256_filter.h"

namespace dbdump {

absl::StatusOr<ReadBackResult> ReadBackDump(Storage* storage, const std::string& dump_key,
                                            v1::Compression compression,
                                            const std::shared_ptr<const AgeDecryptKeys>& keys,
                                            Sink* out, const PumpOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<ObjectReader> reader, storage->NewReader(dump_key));
  FilterChain chain;
  chain.AddSha256("stored");
  if (keys != nullptr) chain.AddDecryptor(keys);
  chain.AddDecompressor(compression);
  chain.AddSha256("raw");
  RETURN_IF_ERROR(chain.EndAt(out));
  ReadBackResult r;
  r.pumped = Pump(reader.get(), chain.head(), options);
  r.stored_sha256 = chain.sha256_hex("stored");
  r.stored_bytes = chain.bytes("stored");
  r.raw_sha256 = chain.sha256_hex("raw");
  r.raw_bytes = chain.bytes("raw");
  return r;
}

absl::StatusOr<ReadBackResult> ReadBackStored(Storage* storage, const std::string& dump_key,
                                              const PumpOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<ObjectReader> reader, storage->NewReader(dump_key));
  NullSink discard;
  FilterChain chain;
  chain.AddSha256("stored");
  RETURN_IF_ERROR(chain.EndAt(&discard));
  ReadBackResult r;
  r.pumped = Pump(reader.get(), chain.head(), options);
  r.stored_sha256 = chain.sha256_hex("stored");
  r.stored_bytes = chain.bytes("stored");
  return r;
}

absl::Status CheckDumpKeys(Storage* storage, const std::string& dump_key,
                           const AgeDecryptKeys& keys, const std::string& backup_id) {
  ASSIGN_OR_RETURN(std::unique_ptr<ObjectReader> reader, storage->NewReader(dump_key));
  absl::Status opened = CheckAgeKeysOpen(reader.get(), keys);
  if (opened.ok()) return opened;
  if (absl::IsDataLoss(opened)) {
    return absl::DataLossError(absl::StrCat("nothing was restored: backup ", backup_id,
                                            " is corrupted: ", opened.message()));
  }
  return absl::Status(opened.code(),
                      absl::StrCat("nothing was restored: backup ", backup_id, ": ",
                                   opened.message(),
                                   "; give the right one with identity_ref (dbdumpctl restore "
                                   "--identity file:/path or env:NAME)"));
}

absl::Status CheckStoredOnly(const ReadBackResult& r, const v1::Manifest& m,
                             const std::string& backup_id) {
  if (!r.pumped.ok()) {
    return absl::Status(r.pumped.code(), absl::StrCat("backup ", backup_id,
                                                      " cannot be read: ", r.pumped.message()));
  }
  if (r.stored_sha256 != m.stored_sha256()) {
    return absl::DataLossError(absl::StrCat("backup ", backup_id, " is corrupted: stored sha256 ",
                                            r.stored_sha256, " does not match the manifest's ",
                                            m.stored_sha256()));
  }
  if (r.stored_bytes != m.stored_size_bytes()) {
    return absl::DataLossError(absl::StrCat("backup ", backup_id, " does not match its manifest: ",
                                            r.stored_bytes, " stored bytes, the manifest says ",
                                            m.stored_size_bytes()));
  }
  return absl::OkStatus();
}

v1::StoredObject MainObject(const v1::Manifest& m) {
  v1::StoredObject o;
  o.set_role("dump");
  o.set_object(m.dump_object());
  o.set_dump_format(m.dump_format());
  o.set_raw_size_bytes(m.raw_size_bytes());
  o.set_stored_size_bytes(m.stored_size_bytes());
  o.set_raw_sha256(m.raw_sha256());
  o.set_stored_sha256(m.stored_sha256());
  return o;
}

absl::Status CheckReadBack(const ReadBackResult& r, const v1::StoredObject& expected,
                           const std::string& backup_id) {
  // The main dump is named as "backup X"; a further object by its role.
  std::string what = expected.role() == "dump" || expected.role().empty()
                         ? absl::StrCat("backup ", backup_id)
                         : absl::StrCat(expected.role(), " of backup ", backup_id);
  if (!r.stored_sha256.empty() && r.stored_sha256 != expected.stored_sha256()) {
    return absl::DataLossError(absl::StrCat(what, " is corrupted: stored sha256 ",
                                            r.stored_sha256, " does not match the manifest's ",
                                            expected.stored_sha256()));
  }
  if (!r.pumped.ok()) {
    return absl::Status(r.pumped.code(),
                        absl::StrCat(what, " cannot be read: ", r.pumped.message()));
  }
  if (r.raw_sha256 != expected.raw_sha256()) {
    return absl::DataLossError(
        absl::StrCat(what, " is corrupted: raw sha256 does not match the manifest"));
  }
  // Checksums that match with sizes that do not mean the manifest itself was
  // altered: nothing about it can be trusted.
  if (r.stored_bytes != expected.stored_size_bytes() || r.raw_bytes != expected.raw_size_bytes()) {
    return absl::DataLossError(absl::StrCat(
        what, " does not match its manifest: ", r.stored_bytes, " stored and ", r.raw_bytes,
        " raw bytes, the manifest says ", expected.stored_size_bytes(), " and ",
        expected.raw_size_bytes()));
  }
  return absl::OkStatus();
}

absl::Status CheckReadBack(const ReadBackResult& r, const v1::Manifest& m,
                           const std::string& backup_id) {
  return CheckReadBack(r, MainObject(m), backup_id);
}

}  // namespace dbdump
