// RetentionTable: retention rules a database has of its own.
#pragma once

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dbdump/v1/controller_service.pb.h"

struct sqlite3;

namespace dbdump {

// The `database_retention` table. Not thread-safe: the Store calls it holding
// its mutex, and runs the transactions that span table groups.
class RetentionTable {
 public:
  explicit RetentionTable(sqlite3* db) : db_(db) {}

  // Empty rules remove them.
  absl::Status Set(const std::string& database, const dbdump::v1::RetentionRules& rules,
                   const std::string& time_zone, absl::Time now);
  // The rules and the zone their periods are counted in; NotFound when the
  // database has none of its own.
  absl::StatusOr<std::pair<dbdump::v1::RetentionRules, std::string>> Get(
      const std::string& database);
  // The same for one copy destination of the database (`copy_retention`).
  absl::Status SetForCopy(const std::string& database, const std::string& storage,
                          const dbdump::v1::RetentionRules& rules, const std::string& time_zone,
                          absl::Time now);
  absl::StatusOr<std::pair<dbdump::v1::RetentionRules, std::string>> GetForCopy(
      const std::string& database, const std::string& storage);

 private:
  sqlite3* db_;
};

}  // namespace dbdump
