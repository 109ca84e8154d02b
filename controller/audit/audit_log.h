// AuditLog: the controller's tamper-evident record of who did what. Entries
// are hash-chained in the Store and mirrored, one JSON line each, to an
// append-only file, so a changed, removed or truncated entry can be found.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/base/clock.h"
#include "controller/store/security_records.h"
#include "controller/store/store.h"

namespace dbdump {

// Appends audit entries and verifies the chain.
//
// Secrets never go in entries: callers pass names and ids only (a token's
// name, never the token or its hash; an agent's name, never a join token).
// Entries are kept forever and copied to the mirror file in clear text.
//
// Thread-safe: appends are serialised, so the mirror's lines are in seq
// order. Verify may run alongside appends; it checks the entries that
// existed when it started.
class AuditLog {
 public:
  // `store` (and `clock`) are not owned and outlive the log. `mirror_path`
  // empty: no mirror file. `clock` null: the wall clock.
  AuditLog(Store* store, std::string mirror_path, Clock* clock = nullptr);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Creates or opens the mirror file (0600, opened for appending only; a
  // wider mode is tightened). Call once before Append.
  absl::Status Open();

  // Stores `e` (its time set now; seq, prev_hash and hash assigned; see
  // Store::AppendAudit),
  // then writes it as one JSON line to the mirror. The store is the record:
  // failing to write the mirror is logged, not returned.
  absl::StatusOr<AuditEntry> Append(AuditEntry e);
  // Append for callers that cannot act on a failure: it is logged.
  void Record(AuditEntry e);

  struct Problem {
    // The entry concerned (0: a line of the mirror that is no entry).
    int64_t seq = 0;
    std::string what;
  };
  struct VerifyReport {
    // Entries read from the store.
    int64_t entries = 0;
    std::vector<Problem> problems;
    bool ok() const { return problems.empty(); }
  };
  // Walks the chain in the store from the first entry: each hash matches
  // the entry's contents, each prev_hash the previous entry, seqs follow
  // each other; then the mirror file, if any, line by line against the
  // store. Errors only when the store or the mirror cannot be read.
  absl::StatusOr<VerifyReport> Verify();

 private:
  void WriteMirror(const AuditEntry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Store* const store_;
  const std::string mirror_path_;
  Clock* const clock_;
  absl::Mutex mu_;
  int mirror_fd_ ABSL_GUARDED_BY(mu_) = -1;
};

// One JSON object of all of `e`'s fields, as the mirror holds it.
std::string AuditEntryToJson(const AuditEntry& e);
// The inverse; InvalidArgument for anything else.
absl::StatusOr<AuditEntry> AuditEntryFromJson(const std::string& line);

}  // namespace dbdump
