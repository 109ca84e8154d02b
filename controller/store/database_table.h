// DatabaseTable: the database targets, each backed up by one agent to one storage.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dbdump/v1/controller_service.pb.h"

struct sqlite3;

namespace dbdump {

// The `databases` table. Holds only a reference to a password, never one. Not
// thread-safe: the Store calls it holding its mutex, and runs the transactions
// that span table groups.
class DatabaseTable {
 public:
  explicit DatabaseTable(sqlite3* db) : db_(db) {}

  absl::Status Add(const dbdump::v1::Database& db, absl::Time now);
  absl::StatusOr<std::vector<dbdump::v1::Database>> List();
  absl::StatusOr<dbdump::v1::Database> Get(const std::string& name);
  // FailedPrecondition while a job of it is active; its backups stay catalogued.
  absl::Status Remove(const std::string& name);
  // Replaces every field but the name, engine and creation time. Moving it
  // (another agent or storage) is FailedPrecondition while a job of it is
  // active. NotFound for an unknown name.
  absl::Status Update(const dbdump::v1::Database& db);

 private:
  sqlite3* db_;
};

}  // namespace dbdump
