// Store: storage destinations and the database targets that use them.
#include "controller/store/store.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "controller/store/db/sqlite_exec.h"
#include "controller/store/db/stmt.h"

namespace dbdump {

using sqlite::CollectRows;
using sqlite::InTransaction;
using sqlite::Stmt;

namespace {

constexpr const char* kDatabaseColumns =
    "name, engine, agent, storage, host, port, user, dbname, path, password_ref, "
    "server_version, created_at, dump_options";

v1::Database DatabaseFromRow(Stmt& s) {
  v1::Database d;
  auto* t = d.mutable_target();
  t->set_name(s.Text(0));
  t->set_engine(static_cast<v1::Engine>(s.Int(1)));
  t->set_agent(s.Text(2));
  d.set_storage(s.Text(3));
  t->set_host(s.Text(4));
  t->set_port(static_cast<uint32_t>(s.Int(5)));
  t->set_user(s.Text(6));
  t->set_database(s.Text(7));
  t->set_path(s.Text(8));
  t->set_password_ref(s.Text(9));
  d.set_server_version(s.Text(10));
  d.set_created_at(s.Text(11));
  t->mutable_dump_options()->ParseFromString(s.Blob(12));
  return d;
}

}  // namespace

absl::Status Store::AddStorage(const v1::StorageDestination& d, absl::Time now) {
  absl::MutexLock l(&mu_);
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

absl::StatusOr<std::vector<v1::StorageDestination>> Store::ListStorages() {
  absl::MutexLock l(&mu_);
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

absl::StatusOr<v1::StorageDestination> Store::GetStorage(const std::string& name) {
  ASSIGN_OR_RETURN(std::vector<v1::StorageDestination> all, ListStorages());
  for (auto& d : all) {
    if (d.name() == name) return d;
  }
  return absl::NotFoundError(
      absl::StrCat("unknown storage \"", name, "\": see `dbdumpctl storage list`"));
}

absl::Status Store::RemoveStorage(const std::string& name) {
  absl::MutexLock l(&mu_);
  absl::Status st = Stmt(db_, "DELETE FROM storages WHERE name = ?").Bind(1, name).Run();
  if (absl::IsAlreadyExists(st)) {  // foreign key: still referenced
    return absl::FailedPreconditionError(absl::StrCat(
        "storage \"", name, "\" is used by a database: remove or move those databases first"));
  }
  RETURN_IF_ERROR(st);
  if (sqlite3_changes(db_) == 0) {
    return absl::NotFoundError(absl::StrCat("unknown storage \"", name, "\""));
  }
  return absl::OkStatus();
}

absl::Status Store::AddDatabase(const v1::Database& d, absl::Time now) {
  absl::MutexLock l(&mu_);
  const v1::DatabaseTarget& t = d.target();
  absl::Status st =
      Stmt(db_, absl::StrCat("INSERT INTO databases(", kDatabaseColumns,
                             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                    .c_str())
          .Bind(1, t.name())
          .Bind(2, int64_t{t.engine()})
          .Bind(3, t.agent())
          .Bind(4, d.storage())
          .Bind(5, t.host())
          .Bind(6, int64_t{t.port()})
          .Bind(7, t.user())
          .Bind(8, t.database())
          .Bind(9, t.path())
          .Bind(10, t.password_ref())
          .Bind(11, d.server_version())
          .Bind(12, TimeToString(now))
          .BindBlob(13, t.dump_options().SerializeAsString())
          .Run();
  if (absl::IsAlreadyExists(st)) {
    return absl::AlreadyExistsError(absl::StrCat("database \"", t.name(), "\" already exists"));
  }
  return st;
}

absl::StatusOr<std::vector<v1::Database>> Store::ListDatabases() {
  absl::MutexLock l(&mu_);
  Stmt s(db_, absl::StrCat("SELECT ", kDatabaseColumns, " FROM databases ORDER BY name").c_str());
  return CollectRows<v1::Database>(s, DatabaseFromRow);
}

absl::StatusOr<v1::Database> Store::GetDatabase(const std::string& name) {
  absl::MutexLock l(&mu_);
  Stmt s(db_, absl::StrCat("SELECT ", kDatabaseColumns, " FROM databases WHERE name = ?").c_str());
  s.Bind(1, name);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) {
    return absl::NotFoundError(
        absl::StrCat("unknown database \"", name, "\": see `dbdumpctl database list`"));
  }
  return DatabaseFromRow(s);
}

absl::Status Store::RemoveDatabase(const std::string& name) {
  absl::MutexLock l(&mu_);
  return InTransaction(db_, [&]() -> absl::Status {
    Stmt active(db_, "SELECT COUNT(*) FROM jobs WHERE database = ? AND state IN (1, 2)");
    active.Bind(1, name);
    ASSIGN_OR_RETURN(bool row, active.Step());
    if (row && active.Int(0) > 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "database \"", name, "\" has a job in progress: wait for it or cancel it first"));
    }
    RETURN_IF_ERROR(Stmt(db_, "DELETE FROM databases WHERE name = ?").Bind(1, name).Run());
    if (sqlite3_changes(db_) == 0) {
      return absl::NotFoundError(absl::StrCat("unknown database \"", name, "\""));
    }
    return absl::OkStatus();
  });
}

}  // namespace dbdump
