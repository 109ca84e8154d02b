// StorageTable: where backups are stored.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dbdump/v1/controller_service.pb.h"

struct sqlite3;

namespace dbdump {

// The `storages` table: each destination's whole configuration. Not thread-
// safe: the Store calls it holding its mutex, and runs the transactions that
// span table groups.
class StorageTable {
 public:
  explicit StorageTable(sqlite3* db) : db_(db) {}

  absl::Status Add(const dbdump::v1::StorageDestination& s, absl::Time now);
  absl::StatusOr<std::vector<dbdump::v1::StorageDestination>> List();
  absl::StatusOr<dbdump::v1::StorageDestination> Get(const std::string& name);
  // FailedPrecondition while a database still uses it.
  absl::Status Remove(const std::string& name);
  // Replaces every field but the name and kind. NotFound for an unknown name.
  absl::Status Update(const dbdump::v1::StorageDestination& s);

 private:
  sqlite3* db_;
};

}  // namespace dbdump
