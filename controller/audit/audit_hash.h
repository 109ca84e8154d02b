// AuditEntryHash: the hash that chains audit entries, and the time format it
// covers. A leaf library (dbdump_audit_hash: dbdump_base and libcrypto) so the
// Store can chain entries as it appends them and AuditLog can check them:
// dbdump_audit_hash <- dbdump_store <- dbdump_audit.
#pragma once

#include <string>

#include "absl/time/time.h"
#include "controller/store/security_records.h"

namespace dbdump {

// "sha256:" + lowercase hex of SHA-256 over a canonical encoding of `e`:
// a version tag, then seq, at (AuditTimeToString), actor, peer, rpc, target,
// outcome, detail and prev_hash, each as "<byte length>:<bytes>", so no two
// different entries encode alike. `e.hash` itself is not covered.
// Thread-safe (pure).
std::string AuditEntryHash(const AuditEntry& e);

// RFC 3339 UTC with microseconds, "2026-01-15T02:00:00.000000Z": how audit
// times are stored and hashed (sub-microsecond parts are dropped).
std::string AuditTimeToString(absl::Time t);
// The inverse; InfinitePast when `s` is not in that format.
absl::Time AuditTimeFromString(const std::string& s);
// `t` with what AuditTimeToString drops removed, so an entry read back equals
// the one hashed.
absl::Time AuditTimeTruncate(absl::Time t);

}  // namespace dbdump
