// StorageTable: where backups are stored.
#include "controller/store/storage_table.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "controller/store/db/stmt.h"

namespace dbdump {

using sqlite::Stmt;

absl::Status StorageTable::Add(const v1::StorageDestination& d, absl::Time now) {
  absl::Status st = Stmt(db_, "INSERT INTO storages(name, kind, path, prefix, created_at, config) "
                              "VALUES (?, ?, ?, ?, ?, ?)")
                        .Bind(1, d.name())
                        .Bind(2, int64_t{d.kind()})
                        .Bind(3, d.path())
                        .Bind(4, d.prefix())
                        .Bind(5, TimeToString(now))
                        .BindBlob(6, d.SerializeAsString())
                        .Run();
  if (absl::IsAlreadyExists(st)) {
    return absl::AlreadyExistsError(absl::StrCat("storage \"", d.name(), "\" already exists"));
  }
  return st;
}

absl::StatusOr<std::vector<v1::StorageDestination>> StorageTable::List() {
  Stmt s(db_, "SELECT name, kind, path, prefix, config FROM storages ORDER BY name");
  std::vector<v1::StorageDestination> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    v1::StorageDestination d;
    std::string config = s.Blob(4);
    if (config.empty() || !d.ParseFromString(config)) {
      // Rows from schema version 1 have only these columns.
      d.set_name(s.Text(0));
      d.set_kind(static_cast<v1::StorageKind>(s.Int(1)));
      d.set_path(s.Text(2));
      d.set_prefix(s.Text(3));
    }
    out.push_back(d);
  }
  return out;
}

absl::StatusOr<v1::StorageDestination> StorageTable::Get(const std::string& name) {
  ASSIGN_OR_RETURN(std::vector<v1::StorageDestination> all, List());
  for (auto& d : all) {
    if (d.name() == name) return d;
  }
  return absl::NotFoundError(
      absl::StrCat("unknown storage \"", name, "\": see `dbdumpctl storage list`"));
}

absl::Status StorageTable::Update(const v1::StorageDestination& d) {
  RETURN_IF_ERROR(Stmt(db_, "UPDATE storages SET path = ?, prefix = ?, config = ? WHERE name = ?")
                      .Bind(1, d.path())
                      .Bind(2, d.prefix())
                      .BindBlob(3, d.SerializeAsString())
                      .Bind(4, d.name())
                      .Run());
  if (sqlite3_changes(db_) == 0) {
    return absl::NotFoundError(absl::StrCat("unknown storage \"", d.name(), "\""));
  }
  return absl::OkStatus();
}

absl::Status StorageTable::Remove(const std::string& name) {
  // A copy destination is referenced by name in a list, which no foreign
  // key sees: checked here.
  Stmt copy(db_, "SELECT name FROM databases WHERE instr(',' || copies || ',', ',' || ? || ',') > 0 "
                 "ORDER BY name LIMIT 1");
  copy.Bind(1, name);
  ASSIGN_OR_RETURN(bool used, copy.Step());
  if (used) {
    return absl::FailedPreconditionError(absl::StrCat(
        "storage \"", name, "\" is a copy destination of database \"", copy.Text(0),
        "\": drop it from the database's copies first (dbdumpctl database update ", copy.Text(0),
        " --copies=...)"));
  }
  absl::Status st = Stmt(db_, "DELETE FROM storages WHERE name = ?").Bind(1, name).Run();
  if (absl::IsAlreadyExists(st)) {  // foreign key: still referenced
    return absl::FailedPreconditionError(absl::StrCat(
        "storage \"", name, "\" is used by a database: move those databases to another storage "
        "first (dbdumpctl database update NAME --storage=OTHER) or remove them"));
  }
  RETURN_IF_ERROR(st);
  if (sqlite3_changes(db_) == 0) {
    return absl::NotFoundError(absl::StrCat("unknown storage \"", name, "\""));
  }
  return absl::OkStatus();
}

}  // namespace dbdump
