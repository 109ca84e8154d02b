#include "common/engines/dump_read_back.h"

#include "absl/strings/str_cat.h"
#include "common/io/filter_chain.h"
#include "common/base/status_macros.h"

namespace dbdump {

absl::StatusOr<ReadBackResult> ReadBackDump(Storage* storage, const std::string& dump_key,
                                            v1::Compression compression, Sink* out,
                                            const PumpOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<ObjectReader> reader, storage->NewReader(dump_key));
  FilterChain chain;
  chain.AddSha256("stored");
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
