// The records of the controller's security: API tokens, agent join tokens,
// issued agent certificates and the audit log. Plain values; none holds a
// secret (tokens are kept only as hashes).
#pragma once

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace dbdump {

// An API token of a user or automation, known by its name; only the hash of
// the token itself is kept.
struct ApiTokenRecord {
  std::string name;
  std::string token_hash;
  std::string role;
  std::string created_by;
  absl::Time created_at;
  // InfiniteFuture: never expires.
  absl::Time expires_at = absl::InfiniteFuture();
  // InfinitePast: not revoked.
  absl::Time revoked_at = absl::InfinitePast();
  // InfinitePast: never used.
  absl::Time last_used_at = absl::InfinitePast();

  bool revoked() const { return revoked_at != absl::InfinitePast(); }
};

// A one-time token an agent presents to enrol as `agent_name`.
struct JoinTokenRecord {
  std::string token_hash;
  std::string agent_name;
  std::string created_by;
  absl::Time created_at;
  absl::Time expires_at;
};

// A certificate the controller issued to an agent, kept so it can be revoked.
struct CertificateRecord {
  std::string serial;
  std::string agent_name;
  std::string fingerprint;
  absl::Time not_after;
  absl::Time issued_at;
  bool revoked = false;
};

// One entry of the hash-chained audit log. `seq`, `prev_hash` and `hash` are
// assigned when it is appended. Names and ids only, never a secret.
struct AuditEntry {
  int64_t seq = 0;
  absl::Time at;
  std::string actor;
  std::string peer;
  std::string rpc;
  std::string target;
  std::string outcome;
  std::string detail;
  std::string prev_hash;
  std::string hash;
};

// Which audit entries to list, newest first. Empty strings match anything.
struct AuditFilter {
  std::string actor;
  // A substring of the RPC's name.
  std::string rpc_contains;
  std::string outcome;
  // At or after `since`, before `until`.
  absl::Time since = absl::InfinitePast();
  absl::Time until = absl::InfiniteFuture();
  // At most this many (at most 1000; 0 or less: 100).
  int limit = 100;
  // Only entries older than this seq, to page back; 0 = from the newest.
  int64_t before_seq = 0;
};

}  // namespace dbdump
