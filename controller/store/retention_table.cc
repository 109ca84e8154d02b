// RetentionTable: retention rules a database has of its own.
#include "controller/store/retention_table.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "controller/store/db/stmt.h"

namespace dbdump {

using sqlite::Stmt;

absl::Status RetentionTable::Set(const std::string& database,
                                 const v1::RetentionRules& rules,
                                 const std::string& time_zone, absl::Time now) {
  if (rules.ByteSizeLong() == 0) {
    return Stmt(db_, "DELETE FROM database_retention WHERE database = ?").Bind(1, database).Run();
  }
  absl::Status st = Stmt(db_, "INSERT INTO database_retention(database, rules, time_zone, updated_at) "
                              "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(database) DO UPDATE SET "
                              "rules = ?2, time_zone = ?3, updated_at = ?4")
                        .Bind(1, database)
                        .BindBlob(2, rules.SerializeAsString())
                        .Bind(3, time_zone)
                        .Bind(4, TimeToString(now))
                        .Run();
  if (absl::IsAlreadyExists(st)) {
    return absl::NotFoundError(
        absl::StrCat("unknown database \"", database, "\": see `dbdumpctl database list`"));
  }
  return st;
}

absl::StatusOr<std::pair<v1::RetentionRules, std::string>> RetentionTable::Get(
    const std::string& database) {
  Stmt s(db_, "SELECT rules, time_zone FROM database_retention WHERE database = ?");
  s.Bind(1, database);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return absl::NotFoundError(absl::StrCat("database ", database, " has no own retention rules"));
  v1::RetentionRules r;
  r.ParseFromString(s.Blob(0));
  return std::make_pair(r, s.Text(1));
}

absl::Status RetentionTable::SetForCopy(const std::string& database, const std::string& storage,
                                        const v1::RetentionRules& rules,
                                        const std::string& time_zone, absl::Time now) {
  if (rules.ByteSizeLong() == 0) {
    return Stmt(db_, "DELETE FROM copy_retention WHERE database = ? AND storage = ?")
        .Bind(1, database)
        .Bind(2, storage)
        .Run();
  }
  absl::Status st =
      Stmt(db_, "INSERT INTO copy_retention(database, storage, rules, time_zone, updated_at) "
                "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(database, storage) DO UPDATE SET "
                "rules = ?3, time_zone = ?4, updated_at = ?5")
          .Bind(1, database)
          .Bind(2, storage)
          .BindBlob(3, rules.SerializeAsString())
          .Bind(4, time_zone)
          .Bind(5, TimeToString(now))
          .Run();
  if (absl::IsAlreadyExists(st)) {
    return absl::NotFoundError(
        absl::StrCat("unknown database \"", database, "\": see `dbdumpctl database list`"));
  }
  return st;
}

absl::StatusOr<std::pair<v1::RetentionRules, std::string>> RetentionTable::GetForCopy(
    const std::string& database, const std::string& storage) {
  Stmt s(db_, "SELECT rules, time_zone FROM copy_retention WHERE database = ? AND storage = ?");
  s.Bind(1, database).Bind(2, storage);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) {
    return absl::NotFoundError(absl::StrCat("database ", database,
                                            " has no retention rules for its copies in ", storage));
  }
  v1::RetentionRules r;
  r.ParseFromString(s.Blob(0));
  return std::make_pair(r, s.Text(1));
}

}  // namespace dbdump
