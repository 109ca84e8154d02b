// AuditTable: the rows of the hash-chained audit log.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "controller/store/security_records.h"

struct sqlite3;

namespace dbdump {

// The `audit_log` table. It stores entries as given; chaining them (seq,
// prev_hash, hash) is the Store's AppendAudit, in one transaction. Not
// thread-safe: the Store calls it holding its mutex.
class AuditTable {
 public:
  explicit AuditTable(sqlite3* db) : db_(db) {}

  // The entry with the highest seq; nullopt when the log is empty.
  absl::StatusOr<std::optional<AuditEntry>> Last();
  // AlreadyExists when its seq is taken.
  absl::Status Insert(const AuditEntry& e);
  // Newest first.
  absl::StatusOr<std::vector<AuditEntry>> List(const AuditFilter& f);
  // Entries with seq >= `from_seq`, oldest first, at most `limit`.
  absl::StatusOr<std::vector<AuditEntry>> Chain(int64_t from_seq, int limit);

 private:
  sqlite3* db_;
};

}  // namespace dbdump
