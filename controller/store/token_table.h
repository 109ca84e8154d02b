// TokenTable: API tokens and the one-time join tokens of agents.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controller/store/security_records.h"

struct sqlite3;

namespace dbdump {

// The `api_tokens` and `join_tokens` tables. Only hashes of tokens are kept.
// Not thread-safe: the Store calls it holding its mutex, and runs the
// transactions (RedeemJoin is one).
class TokenTable {
 public:
  explicit TokenTable(sqlite3* db) : db_(db) {}

  // AlreadyExists when the name (or the hash) is taken.
  absl::Status CreateApi(const ApiTokenRecord& t);
  absl::StatusOr<ApiTokenRecord> FindApiByHash(const std::string& hash);
  // By name.
  absl::StatusOr<std::vector<ApiTokenRecord>> ListApi();
  // NotFound for an unknown name; a second revocation keeps the first time.
  absl::Status RevokeApi(const std::string& name, absl::Time now);
  absl::Status TouchApi(const std::string& name, absl::Time now);

  // AlreadyExists when the hash is taken.
  absl::Status CreateJoin(const JoinTokenRecord& t);
  // Marks the token used and returns its agent; to be run in a transaction.
  // Changes nothing when it fails.
  absl::StatusOr<std::string> RedeemJoin(const std::string& hash, absl::Time now);

 private:
  sqlite3* db_;
};

}  // namespace dbdump
