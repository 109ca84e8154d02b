// DatabaseTable: the database targets, each backed up by one agent to one storage.
#include "controller/store/database_table.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
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
    "server_version, created_at, dump_options, tls, encryption, copies";

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
  t->mutable_tls()->ParseFromString(s.Blob(13));
  t->mutable_encryption()->ParseFromString(s.Blob(14));
  // Copy destinations, comma-joined (names cannot hold a comma).
  for (absl::string_view c : absl::StrSplit(s.Text(15), ',', absl::SkipEmpty())) {
    d.add_copies(std::string(c));
  }
  return d;
}

}  // namespace

absl::Status DatabaseTable::Add(const v1::Database& d, absl::Time now) {
  const v1::DatabaseTarget& t = d.target();
  absl::Status st =
      Stmt(db_, absl::StrCat("INSERT INTO databases(", kDatabaseColumns,
                             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
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
          .BindBlob(14, t.tls().SerializeAsString())
          .BindBlob(15, t.encryption().SerializeAsString())
          .Bind(16, absl::StrJoin(d.copies(), ","))
          .Run();
  if (absl::IsAlreadyExists(st)) {
    return absl::AlreadyExistsError(absl::StrCat("database \"", t.name(), "\" already exists"));
  }
  return st;
}

absl::StatusOr<std::vector<v1::Database>> DatabaseTable::List() {
  Stmt s(db_, absl::StrCat("SELECT ", kDatabaseColumns, " FROM databases ORDER BY name").c_str());
  return CollectRows<v1::Database>(s, DatabaseFromRow);
}

absl::StatusOr<v1::Database> DatabaseTable::Get(const std::string& name) {
  Stmt s(db_, absl::StrCat("SELECT ", kDatabaseColumns, " FROM databases WHERE name = ?").c_str());
  s.Bind(1, name);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) {
    return absl::NotFoundError(
        absl::StrCat("unknown database \"", name, "\": see `dbdumpctl database list`"));
  }
  return DatabaseFromRow(s);
}

absl::Status DatabaseTable::Update(const v1::Database& d) {
  const v1::DatabaseTarget& t = d.target();
  return InTransaction(db_, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(v1::Database old, Get(t.name()));
    if (old.target().agent() != t.agent() || old.storage() != d.storage()) {
      // A job's end is catalogued in the database's storage and its agent
      // holds its slot: neither may change under it.
      Stmt active(db_, "SELECT id FROM jobs WHERE database = ? AND state IN (1, 2) LIMIT 1");
      active.Bind(1, t.name());
      ASSIGN_OR_RETURN(bool row, active.Step());
      if (row) {
        return absl::FailedPreconditionError(absl::StrCat(
            "database \"", t.name(), "\" has job ", active.Text(0),
            " in progress: wait for it or cancel it (dbdumpctl job cancel ", active.Text(0),
            ") before moving the database"));
      }
    }
    return Stmt(db_, "UPDATE databases SET agent = ?, storage = ?, host = ?, port = ?, user = ?, "
                     "dbname = ?, path = ?, password_ref = ?, server_version = ?, dump_options = ?, "
                     "tls = ?, encryption = ?, copies = ? WHERE name = ?")
        .Bind(1, t.agent())
        .Bind(2, d.storage())
        .Bind(3, t.host())
        .Bind(4, int64_t{t.port()})
        .Bind(5, t.user())
        .Bind(6, t.database())
        .Bind(7, t.path())
        .Bind(8, t.password_ref())
        .Bind(9, d.server_version())
        .BindBlob(10, t.dump_options().SerializeAsString())
        .BindBlob(11, t.tls().SerializeAsString())
        .BindBlob(12, t.encryption().SerializeAsString())
        .Bind(13, absl::StrJoin(d.copies(), ","))
        .Bind(14, t.name())
        .Run();
  });
}

absl::Status DatabaseTable::Remove(const std::string& name) {
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
