// AuditEntryHash: SHA-256 over a length-prefixed encoding of an audit entry.
#include "controller/audit/audit_hash.h"

#include <openssl/evp.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace dbdump {
namespace {

constexpr char kAuditTimeFormat[] = "%Y-%m-%dT%H:%M:%E6SZ";
// Changing the encoding means a new tag (and verifiers that know both).
constexpr char kEncodingTag[] = "dbdump-audit-v1";

void AppendField(std::string* out, const std::string& v) {
  absl::StrAppend(out, v.size(), ":", v);
}

}  // namespace

std::string AuditTimeToString(absl::Time t) {
  return absl::FormatTime(kAuditTimeFormat, AuditTimeTruncate(t), absl::UTCTimeZone());
}

absl::Time AuditTimeFromString(const std::string& s) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(kAuditTimeFormat, s, absl::UTCTimeZone(), &t, &err)) {
    return absl::InfinitePast();
  }
  return t;
}

absl::Time AuditTimeTruncate(absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return t;
  return absl::FromUnixMicros(absl::ToUnixMicros(t));
}

std::string AuditEntryHash(const AuditEntry& e) {
  std::string enc;
  AppendField(&enc, kEncodingTag);
  AppendField(&enc, absl::StrCat(e.seq));
  AppendField(&enc, AuditTimeToString(e.at));
  for (const std::string* f : {&e.actor, &e.peer, &e.rpc, &e.target, &e.outcome, &e.detail,
                               &e.prev_hash}) {
    AppendField(&enc, *f);
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // One-shot digest of a string in memory: fails only when libcrypto cannot
  // allocate, and then an empty digest makes every check of the entry fail.
  if (EVP_Digest(enc.data(), enc.size(), md, &len, EVP_sha256(), nullptr) != 1) len = 0;
  return absl::StrCat("sha256:",
                      absl::BytesToHexString(
                          absl::string_view(reinterpret_cast<const char*>(md), len)));
}

}  // namespace dbdump
