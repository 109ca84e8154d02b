#include "controller/store/store.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/numbers.h"
#include "common/base/job_state.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace {

using v1::JobState;

// Schema migrations, applied in order; each runs once, in a transaction.
// Never edit a released migration: add a new one.
const char* const kMigrations[] = {
    // 1: initial schema.
    R"sql(
CREATE TABLE agents (
  name TEXT PRIMARY KEY,
  address TEXT NOT NULL,
  version TEXT NOT NULL,
  engines TEXT NOT NULL,
  registered_at TEXT NOT NULL,
  last_heartbeat TEXT NOT NULL
);
CREATE TABLE storages (
  name TEXT PRIMARY KEY,
  kind INTEGER NOT NULL,
  path TEXT NOT NULL,
  prefix TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL
);
CREATE TABLE databases (
  name TEXT PRIMARY KEY,
  engine INTEGER NOT NULL,
  agent TEXT NOT NULL REFERENCES agents(name),
  storage TEXT NOT NULL REFERENCES storages(name) ON DELETE RESTRICT,
  host TEXT NOT NULL DEFAULT '',
  port INTEGER NOT NULL DEFAULT 0,
  user TEXT NOT NULL DEFAULT '',
  dbname TEXT NOT NULL DEFAULT '',
  path TEXT NOT NULL DEFAULT '',
  password_ref TEXT NOT NULL DEFAULT '',
  server_version TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL
);
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  kind INTEGER NOT NULL,
  state INTEGER NOT NULL,
  database TEXT NOT NULL,
  agent TEXT NOT NULL,
  backup_id TEXT NOT NULL DEFAULT '',
  restore_target TEXT NOT NULL DEFAULT '',
  request BLOB NOT NULL,
  bytes_in INTEGER NOT NULL DEFAULT 0,
  bytes_out INTEGER NOT NULL DEFAULT 0,
  elapsed_s REAL NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  started_at TEXT NOT NULL DEFAULT '',
  finished_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX jobs_by_state ON jobs(state);
CREATE INDEX jobs_by_database ON jobs(database, created_at);
-- At most one queued or running backup per database.
CREATE UNIQUE INDEX jobs_one_active_backup ON jobs(database) WHERE kind = 1 AND state IN (1, 2);
CREATE TABLE backups (
  id TEXT PRIMARY KEY,
  database TEXT NOT NULL,
  storage TEXT NOT NULL,
  job_id TEXT NOT NULL REFERENCES jobs(id),
  state INTEGER NOT NULL,
  manifest BLOB NOT NULL,
  raw_size INTEGER NOT NULL,
  stored_size INTEGER NOT NULL,
  duration_s REAL NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX backups_by_database ON backups(database, id);
)sql",
    // 2: storage destinations keep their whole configuration (S3 fields).
    R"sql(
ALTER TABLE storages ADD COLUMN config BLOB NOT NULL DEFAULT x'';
)sql",
    // 3: schedules, retries and timeouts of jobs, retention and verification
    // of backups.
    R"sql(
CREATE TABLE schedules (
  name TEXT PRIMARY KEY,
  database TEXT NOT NULL REFERENCES databases(name) ON DELETE CASCADE,
  enabled INTEGER NOT NULL,
  next_run_at TEXT NOT NULL DEFAULT '',
  spec BLOB NOT NULL,
  last_run_at TEXT NOT NULL DEFAULT '',
  last_job_id TEXT NOT NULL DEFAULT '',
  last_outcome TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL
);
CREATE INDEX schedules_due ON schedules(enabled, next_run_at);
ALTER TABLE jobs ADD COLUMN schedule TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
ALTER TABLE jobs ADD COLUMN not_before TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN timeout_s INTEGER NOT NULL DEFAULT 0;
ALTER TABLE backups ADD COLUMN deleted_at TEXT NOT NULL DEFAULT '';
ALTER TABLE backups ADD COLUMN verified_at TEXT NOT NULL DEFAULT '';
ALTER TABLE backups ADD COLUMN verify_error TEXT NOT NULL DEFAULT '';
)sql",
    // 4: scheduled verification.
    R"sql(
ALTER TABLE schedules ADD COLUMN next_verify_at TEXT NOT NULL DEFAULT '';
)sql",
    // 5: retention rules of a database itself.
    R"sql(
CREATE TABLE database_retention (
  database TEXT PRIMARY KEY REFERENCES databases(name) ON DELETE CASCADE,
  rules BLOB NOT NULL,
  time_zone TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
)sql",
    // 6: what a backup of a database holds (selective options), how a
    // restore runs and what it found, and test restores of backups.
    R"sql(
ALTER TABLE databases ADD COLUMN dump_options BLOB NOT NULL DEFAULT x'';
ALTER TABLE jobs ADD COLUMN restore_options BLOB NOT NULL DEFAULT x'';
ALTER TABLE jobs ADD COLUMN restore_report BLOB NOT NULL DEFAULT x'';
ALTER TABLE backups ADD COLUMN test_restored_at TEXT NOT NULL DEFAULT '';
ALTER TABLE backups ADD COLUMN test_restore_error TEXT NOT NULL DEFAULT '';
ALTER TABLE backups ADD COLUMN test_restore_report BLOB NOT NULL DEFAULT x'';
)sql",
};

// A prepared statement, finalised on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &st_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(st_); }
  Stmt& Bind(int i, const std::string& v) {
    sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(st_, i, v);
    return *this;
  }
  Stmt& BindDouble(int i, double v) {
    sqlite3_bind_double(st_, i, v);
    return *this;
  }
  Stmt& BindBlob(int i, const std::string& v) {
    sqlite3_bind_blob(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // True when a row is available.
  absl::StatusOr<bool> Step() {
    if (rc_ != SQLITE_OK) return Error(rc_);
    int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return Error(rc);
  }
  absl::Status Run() { return Step().status(); }
  std::string Text(int c) {
    const unsigned char* t = sqlite3_column_text(st_, c);
    return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(st_, c)) : "";
  }
  std::string Blob(int c) {
    const void* b = sqlite3_column_blob(st_, c);
    return b ? std::string(static_cast<const char*>(b), sqlite3_column_bytes(st_, c)) : "";
  }
  int64_t Int(int c) { return sqlite3_column_int64(st_, c); }
  double Double(int c) { return sqlite3_column_double(st_, c); }

 private:
  absl::Status Error(int rc) {
    std::string msg = absl::StrCat("metadata store: ", sqlite3_errmsg(db_));
    if ((rc & 0xff) == SQLITE_CONSTRAINT) return absl::AlreadyExistsError(msg);
    if ((rc & 0xff) == SQLITE_BUSY) return absl::UnavailableError(msg);
    return absl::InternalError(msg);
  }
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
  int rc_;
};

// Every remaining row of `s`, each turned into a T by `from_row`.
template <typename T, typename F>
absl::StatusOr<std::vector<T>> CollectRows(Stmt& s, F from_row) {
  std::vector<T> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(from_row(s));
  }
}

absl::Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return absl::InternalError(absl::StrCat("metadata store: ", msg));
  }
  return absl::OkStatus();
}

// Runs `body` in a transaction, committing when it succeeds.
template <typename F>
absl::Status InTransaction(sqlite3* db, F body) {
  RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE"));
  absl::Status st = body();
  if (st.ok()) st = Exec(db, "COMMIT");
  if (!st.ok()) (void)Exec(db, "ROLLBACK");
  return st;
}

constexpr const char* kJobColumns =
    "id, kind, state, database, agent, backup_id, restore_target, bytes_in, bytes_out, "
    "elapsed_s, error, created_at, started_at, finished_at, schedule, attempt, not_before, "
    "timeout_s, restore_options, restore_report";

v1::Job JobFromRow(Stmt& s) {
  v1::Job j;
  j.set_id(s.Text(0));
  j.set_kind(static_cast<v1::JobKind>(s.Int(1)));
  j.set_state(static_cast<JobState>(s.Int(2)));
  j.set_database(s.Text(3));
  j.set_agent(s.Text(4));
  j.set_backup_id(s.Text(5));
  j.set_restore_target(s.Text(6));
  j.mutable_progress()->set_bytes_in(s.Int(7));
  j.mutable_progress()->set_bytes_out(s.Int(8));
  j.mutable_progress()->set_elapsed_s(s.Double(9));
  j.set_error(s.Text(10));
  j.set_created_at(s.Text(11));
  j.set_started_at(s.Text(12));
  j.set_finished_at(s.Text(13));
  j.set_schedule(s.Text(14));
  j.set_attempt(static_cast<uint32_t>(s.Int(15)));
  j.set_not_before(s.Text(16));
  j.set_timeout_s(static_cast<uint32_t>(s.Int(17)));
  if (std::string o = s.Blob(18); !o.empty()) j.mutable_restore_options()->ParseFromString(o);
  if (std::string r = s.Blob(19); !r.empty()) j.mutable_restore_report()->ParseFromString(r);
  return j;
}

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

v1::Agent AgentFromRow(Stmt& s) {
  v1::Agent a;
  a.set_name(s.Text(0));
  a.set_address(s.Text(1));
  a.set_version(s.Text(2));
  for (absl::string_view e : absl::StrSplit(s.Text(3), ',', absl::SkipEmpty())) {
    int v = 0;
    if (absl::SimpleAtoi(e, &v)) a.add_engines(static_cast<v1::Engine>(v));
  }
  a.set_registered_at(s.Text(4));
  a.set_last_heartbeat(s.Text(5));
  return a;
}

v1::Backup BackupFromRow(Stmt& s) {
  v1::Backup b;
  b.set_id(s.Text(0));
  b.set_database(s.Text(1));
  b.set_storage(s.Text(2));
  b.set_job_id(s.Text(3));
  b.set_state(static_cast<v1::BackupState>(s.Int(4)));
  b.mutable_manifest()->ParseFromString(s.Blob(5));
  b.set_duration_s(s.Double(6));
  b.set_created_at(s.Text(7));
  b.set_deleted_at(s.Text(8));
  b.set_verified_at(s.Text(9));
  b.set_verify_error(s.Text(10));
  b.set_test_restored_at(s.Text(11));
  b.set_test_restore_error(s.Text(12));
  b.mutable_test_restore_report()->ParseFromString(s.Blob(13));
  return b;
}

constexpr const char* kBackupColumns =
    "id, database, storage, job_id, state, manifest, duration_s, created_at, deleted_at, "
    "verified_at, verify_error, test_restored_at, test_restore_error, test_restore_report";

}  // namespace

int Store::latest_schema_version() { return static_cast<int>(std::size(kMigrations)); }

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open the metadata store ", path, ": ", msg));
  }
  sqlite3_busy_timeout(db, 5000);
  std::unique_ptr<Store> store(new Store(db));
  {
    absl::MutexLock l(&store->mu_);
    RETURN_IF_ERROR(Exec(db, "PRAGMA journal_mode=WAL"));
    RETURN_IF_ERROR(Exec(db, "PRAGMA foreign_keys=ON"));
    RETURN_IF_ERROR(Exec(db, "PRAGMA synchronous=NORMAL"));
  }
  RETURN_IF_ERROR(store->Migrate());
  return store;
}

Store::~Store() {
  absl::MutexLock l(&mu_);
  sqlite3_close_v2(db_);
}

absl::Status Store::Migrate() {
  absl::MutexLock l(&mu_);
  RETURN_IF_ERROR(Exec(db_,
                       "CREATE TABLE IF NOT EXISTS schema_migrations ("
                       "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"));
  int current = 0;
  {
    Stmt s(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) current = static_cast<int>(s.Int(0));
  }
  if (current > latest_schema_version()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the metadata store has schema version ", current, " but this controller knows only ",
        latest_schema_version(), ": run a newer dbdump-controller"));
  }
  for (int v = current + 1; v <= latest_schema_version(); ++v) {
    RETURN_IF_ERROR(InTransaction(db_, [&]() -> absl::Status {
      RETURN_IF_ERROR(Exec(db_, kMigrations[v - 1]));
      return Stmt(db_, "INSERT INTO schema_migrations(version, applied_at) VALUES (?, ?)")
          .Bind(1, int64_t{v})
          .Bind(2, TimeToString(absl::Now()))
          .Run();
    }));
  }
  return absl::OkStatus();
}

int Store::schema_version() {
  absl::MutexLock l(&mu_);
  Stmt s(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  auto row = s.Step();
  return row.ok() && *row ? static_cast<int>(s.Int(0)) : 0;
}

absl::Status Store::UpsertAgent(const v1::Agent& a, absl::Time now) {
  absl::MutexLock l(&mu_);
  std::vector<std::string> engines;
  for (int e : a.engines()) engines.push_back(absl::StrCat(e));
  std::string t = TimeToString(now);
  return Stmt(db_,
              "INSERT INTO agents(name, address, version, engines, registered_at, last_heartbeat) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT(name) DO UPDATE SET "
              "address = ?2, version = ?3, engines = ?4, registered_at = ?5, last_heartbeat = ?5")
      .Bind(1, a.name())
      .Bind(2, a.address())
      .Bind(3, a.version())
      .Bind(4, absl::StrJoin(engines, ","))
      .Bind(5, t)
      .Run();
}

absl::Status Store::TouchAgent(const std::string& name, absl::Time now) {
  absl::MutexLock l(&mu_);
  RETURN_IF_ERROR(Stmt(db_, "UPDATE agents SET last_heartbeat = ? WHERE name = ?")
                      .Bind(1, TimeToString(now))
                      .Bind(2, name)
                      .Run());
  if (sqlite3_changes(db_) == 0) {
    return absl::NotFoundError(absl::StrCat("agent ", name, " is not registered"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Agent>> Store::ListAgents() {
  absl::MutexLock l(&mu_);
  Stmt s(db_, "SELECT name, address, version, engines, registered_at, last_heartbeat "
              "FROM agents ORDER BY name");
  return CollectRows<v1::Agent>(s, AgentFromRow);
}

absl::StatusOr<v1::Agent> Store::GetAgent(const std::string& name) {
  absl::MutexLock l(&mu_);
  Stmt s(db_, "SELECT name, address, version, engines, registered_at, last_heartbeat "
              "FROM agents WHERE name = ?");
  s.Bind(1, name);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) {
    return absl::NotFoundError(absl::StrCat(
        "unknown agent \"", name, "\": start dbdump-agent --name=", name,
        " or see `dbdumpctl agents list`"));
  }
  return AgentFromRow(s);
}

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

absl::Status Store::CreateJob(const v1::Job& j, const std::string& request) {
  absl::MutexLock l(&mu_);
  return CreateJobLocked(j, request);
}

absl::Status Store::CreateJobLocked(const v1::Job& j, const std::string& request) {
  absl::Status st =
      Stmt(db_, "INSERT INTO jobs(id, kind, state, database, agent, backup_id, restore_target, "
                "request, created_at, schedule, attempt, not_before, timeout_s, restore_options) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
          .Bind(1, j.id())
          .Bind(2, int64_t{j.kind()})
          .Bind(3, int64_t{j.state()})
          .Bind(4, j.database())
          .Bind(5, j.agent())
          .Bind(6, j.backup_id())
          .Bind(7, j.restore_target())
          .BindBlob(8, request)
          .Bind(9, j.created_at())
          .Bind(10, j.schedule())
          .Bind(11, int64_t{j.attempt() == 0 ? 1 : j.attempt()})
          .Bind(12, j.not_before())
          .Bind(13, int64_t{j.timeout_s()})
          .BindBlob(14, j.has_restore_options() ? j.restore_options().SerializeAsString() : "")
          .Run();
  if (absl::IsAlreadyExists(st)) {
    return absl::AlreadyExistsError(absl::StrCat(
        "a backup of \"", j.database(), "\" is already queued or running: wait for it to end"));
  }
  return st;
}

absl::Status Store::TransitionLocked(const std::string& id, JobState to, const std::string& error,
                                     absl::Time now) {
  Stmt cur(db_, "SELECT state FROM jobs WHERE id = ?");
  cur.Bind(1, id);
  ASSIGN_OR_RETURN(bool row, cur.Step());
  if (!row) return absl::NotFoundError(absl::StrCat("unknown job \"", id, "\""));
  int from = static_cast<int>(cur.Int(0));
  if (IsTerminalJobState(static_cast<JobState>(from))) {
    return absl::FailedPreconditionError(absl::StrCat(
        "job ", id, " already ended as ", v1::JobState_Name(static_cast<JobState>(from))));
  }
  if (to == v1::JOB_STATE_QUEUED || to == v1::JOB_STATE_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat("job ", id, " cannot move back to queued"));
  }
  if (to == v1::JOB_STATE_RUNNING) {
    if (from == v1::JOB_STATE_RUNNING) return absl::OkStatus();
    return Stmt(db_, "UPDATE jobs SET state = ?, started_at = ? WHERE id = ?")
        .Bind(1, int64_t{to})
        .Bind(2, TimeToString(now))
        .Bind(3, id)
        .Run();
  }
  return Stmt(db_, "UPDATE jobs SET state = ?, error = ?, finished_at = ?, "
                   "started_at = CASE started_at WHEN '' THEN ? ELSE started_at END WHERE id = ?")
      .Bind(1, int64_t{to})
      .Bind(2, error)
      .Bind(3, TimeToString(now))
      .Bind(4, TimeToString(now))
      .Bind(5, id)
      .Run();
}

absl::Status Store::TransitionJob(const std::string& id, JobState to, const std::string& error,
                                  absl::Time now) {
  absl::MutexLock l(&mu_);
  return TransitionLocked(id, to, error, now);
}

absl::Status Store::UpdateProgress(const std::string& id, const v1::Progress& p) {
  absl::MutexLock l(&mu_);
  return Stmt(db_, "UPDATE jobs SET bytes_in = ?, bytes_out = ?, elapsed_s = ? "
                   "WHERE id = ? AND state IN (1, 2)")
      .Bind(1, static_cast<int64_t>(p.bytes_in()))
      .Bind(2, static_cast<int64_t>(p.bytes_out()))
      .BindDouble(3, p.elapsed_s())
      .Bind(4, id)
      .Run();
}

absl::StatusOr<v1::Job> Store::GetJob(const std::string& id) {
  absl::MutexLock l(&mu_);
  Stmt s(db_, absl::StrCat("SELECT ", kJobColumns, " FROM jobs WHERE id = ?").c_str());
  s.Bind(1, id);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return absl::NotFoundError(absl::StrCat("unknown job \"", id, "\""));
  return JobFromRow(s);
}

absl::StatusOr<std::vector<v1::Job>> Store::ListJobs(const std::string& database, int limit) {
  absl::MutexLock l(&mu_);
  Stmt s(db_, absl::StrCat("SELECT ", kJobColumns,
                           " FROM jobs WHERE (?1 = '' OR database = ?1) "
                           "ORDER BY created_at DESC, id DESC LIMIT ?2")
                  .c_str());
  s.Bind(1, database).Bind(2, int64_t{limit <= 0 ? 50 : limit});
  return CollectRows<v1::Job>(s, JobFromRow);
}

absl::StatusOr<std::vector<StoredJob>> Store::ActiveJobs() {
  absl::MutexLock l(&mu_);
  Stmt s(db_, absl::StrCat("SELECT ", kJobColumns, ", request FROM jobs WHERE state IN (1, 2) "
                           "ORDER BY created_at")
                  .c_str());
  std::vector<StoredJob> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back({JobFromRow(s), s.Blob(20)});
  }
  return out;
}

absl::Status Store::CompleteBackupJob(const std::string& job_id, const v1::Backup& b,
                                      const v1::Progress& progress, absl::Time now) {
  absl::MutexLock l(&mu_);
  return InTransaction(db_, [&]() -> absl::Status {
    RETURN_IF_ERROR(Stmt(db_, "UPDATE jobs SET bytes_in = ?, bytes_out = ?, elapsed_s = ? "
                              "WHERE id = ?")
                        .Bind(1, static_cast<int64_t>(progress.bytes_in()))
                        .Bind(2, static_cast<int64_t>(progress.bytes_out()))
                        .BindDouble(3, progress.elapsed_s())
                        .Bind(4, job_id)
                        .Run());
    RETURN_IF_ERROR(TransitionLocked(job_id, v1::JOB_STATE_SUCCEEDED, "", now));
    return Stmt(db_, "INSERT INTO backups(id, database, storage, job_id, state, manifest, "
                     "raw_size, stored_size, duration_s, created_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .Bind(1, b.id())
        .Bind(2, b.database())
        .Bind(3, b.storage())
        .Bind(4, job_id)
        .Bind(5, int64_t{b.state()})
        .BindBlob(6, b.manifest().SerializeAsString())
        .Bind(7, static_cast<int64_t>(b.manifest().raw_size_bytes()))
        .Bind(8, static_cast<int64_t>(b.manifest().stored_size_bytes()))
        .BindDouble(9, b.duration_s())
        .Bind(10, b.created_at())
        .Run();
  });
}

absl::StatusOr<std::vector<v1::Backup>> Store::ListBackups(const std::string& database) {
  absl::MutexLock l(&mu_);
  Stmt s(db_, absl::StrCat("SELECT ", kBackupColumns,
                           " FROM backups WHERE (?1 = '' OR database = ?1) ORDER BY id")
                  .c_str());
  s.Bind(1, database);
  return CollectRows<v1::Backup>(s, BackupFromRow);
}

absl::StatusOr<v1::Backup> Store::GetBackup(const std::string& id) {
  absl::MutexLock l(&mu_);
  Stmt s(db_, absl::StrCat("SELECT ", kBackupColumns, " FROM backups WHERE id = ?").c_str());
  s.Bind(1, id);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) {
    return absl::NotFoundError(absl::StrCat("unknown backup \"", id, "\": see `dbdumpctl backup list`"));
  }
  return BackupFromRow(s);
}

absl::Status Store::MarkBackupDeleted(const std::string& id, absl::Time now) {
  absl::MutexLock l(&mu_);
  RETURN_IF_ERROR(Stmt(db_, "UPDATE backups SET deleted_at = ? WHERE id = ? AND deleted_at = ''")
                      .Bind(1, TimeToString(now))
                      .Bind(2, id)
                      .Run());
  if (sqlite3_changes(db_) == 0) {
    return absl::NotFoundError(absl::StrCat("backup \"", id, "\" is unknown or already deleted"));
  }
  return absl::OkStatus();
}

absl::Status Store::RecordVerification(const std::string& id, const std::string& error,
                                       absl::Time now) {
  absl::MutexLock l(&mu_);
  RETURN_IF_ERROR(Stmt(db_, "UPDATE backups SET verified_at = ?, verify_error = ? WHERE id = ?")
                      .Bind(1, TimeToString(now))
                      .Bind(2, error)
                      .Bind(3, id)
                      .Run());
  if (sqlite3_changes(db_) == 0) return absl::NotFoundError(absl::StrCat("unknown backup \"", id, "\""));
  return absl::OkStatus();
}

absl::Status Store::SetRestoreReport(const std::string& job_id, const v1::RestoreReport& report) {
  absl::MutexLock l(&mu_);
  return Stmt(db_, "UPDATE jobs SET restore_report = ? WHERE id = ?")
      .BindBlob(1, report.SerializeAsString())
      .Bind(2, job_id)
      .Run();
}

absl::Status Store::RecordTestRestore(const std::string& id, const std::string& error,
                                      const v1::RestoreReport& report, absl::Time now) {
  absl::MutexLock l(&mu_);
  RETURN_IF_ERROR(Stmt(db_, "UPDATE backups SET test_restored_at = ?, test_restore_error = ?, "
                            "test_restore_report = ? WHERE id = ?")
                      .Bind(1, TimeToString(now))
                      .Bind(2, error)
                      .BindBlob(3, report.SerializeAsString())
                      .Bind(4, id)
                      .Run());
  if (sqlite3_changes(db_) == 0) return absl::NotFoundError(absl::StrCat("unknown backup \"", id, "\""));
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, BackupJobCounts>> Store::CountBackupJobs() {
  absl::MutexLock l(&mu_);
  Stmt s(db_, "SELECT database, state, COUNT(*) FROM jobs WHERE kind = 1 GROUP BY database, state");
  std::map<std::string, BackupJobCounts> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    BackupJobCounts& c = out[s.Text(0)];
    int n = static_cast<int>(s.Int(2));
    switch (s.Int(1)) {
      case v1::JOB_STATE_QUEUED: c.queued += n; break;
      case v1::JOB_STATE_RUNNING: c.running += n; break;
      case v1::JOB_STATE_SUCCEEDED: c.succeeded += n; break;
      default: c.failed += n; break;
    }
  }
  return out;
}

namespace {

constexpr const char* kScheduleColumns =
    "name, database, enabled, next_run_at, spec, last_run_at, last_job_id, last_outcome, "
    "created_at, next_verify_at";

v1::Schedule ScheduleFromRow(Stmt& s) {
  v1::Schedule sc;
  sc.ParseFromString(s.Blob(4));
  sc.set_name(s.Text(0));
  sc.set_database(s.Text(1));
  sc.set_enabled(s.Int(2) != 0);
  sc.set_next_run_at(s.Text(3));
  sc.set_last_run_at(s.Text(5));
  sc.set_last_job_id(s.Text(6));
  sc.set_last_outcome(s.Text(7));
  sc.set_created_at(s.Text(8));
  sc.set_next_verify_at(s.Text(9));
  return sc;
}

}  // namespace

absl::Status Store::CreateSchedule(const v1::Schedule& sc, absl::Time now) {
  absl::MutexLock l(&mu_);
  v1::Schedule spec = sc;
  for (auto* f : {spec.mutable_next_run_at(), spec.mutable_last_run_at(), spec.mutable_last_job_id(),
                  spec.mutable_last_outcome(), spec.mutable_created_at(),
                  spec.mutable_next_verify_at()}) {
    f->clear();
  }
  spec.clear_next_runs();
  absl::Status st = Stmt(db_, absl::StrCat("INSERT INTO schedules(", kScheduleColumns,
                                           ") VALUES (?, ?, ?, ?, ?, '', '', '', ?, ?)")
                                  .c_str())
                        .Bind(1, sc.name())
                        .Bind(2, sc.database())
                        .Bind(3, int64_t{sc.enabled() ? 1 : 0})
                        .Bind(4, sc.next_run_at())
                        .BindBlob(5, spec.SerializeAsString())
                        .Bind(6, TimeToString(now))
                        .Bind(7, sc.next_verify_at())
                        .Run();
  if (absl::IsAlreadyExists(st)) {
    // The name is taken, or (foreign key) the database does not exist.
    Stmt exists(db_, "SELECT 1 FROM schedules WHERE name = ?");
    exists.Bind(1, sc.name());
    auto row = exists.Step();
    if (row.ok() && *row) {
      return absl::AlreadyExistsError(absl::StrCat("schedule \"", sc.name(), "\" already exists"));
    }
    return absl::NotFoundError(absl::StrCat("unknown database \"", sc.database(),
                                            "\": see `dbdumpctl database list`"));
  }
  return st;
}

absl::StatusOr<std::vector<v1::Schedule>> Store::ListSchedules(const std::string& database) {
  absl::MutexLock l(&mu_);
  Stmt s(db_, absl::StrCat("SELECT ", kScheduleColumns,
                           " FROM schedules WHERE (?1 = '' OR database = ?1) ORDER BY name")
                  .c_str());
  s.Bind(1, database);
  return CollectRows<v1::Schedule>(s, ScheduleFromRow);
}

absl::StatusOr<v1::Schedule> Store::GetSchedule(const std::string& name) {
  absl::MutexLock l(&mu_);
  Stmt s(db_, absl::StrCat("SELECT ", kScheduleColumns, " FROM schedules WHERE name = ?").c_str());
  s.Bind(1, name);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) {
    return absl::NotFoundError(
        absl::StrCat("unknown schedule \"", name, "\": see `dbdumpctl schedule list`"));
  }
  return ScheduleFromRow(s);
}

absl::Status Store::SetScheduleEnabled(const std::string& name, bool enabled,
                                       const std::string& next_run_at,
                                       const std::string& next_verify_at) {
  absl::MutexLock l(&mu_);
  RETURN_IF_ERROR(Stmt(db_, "UPDATE schedules SET enabled = ?, next_run_at = ?, next_verify_at = ? "
                            "WHERE name = ?")
                      .Bind(1, int64_t{enabled ? 1 : 0})
                      .Bind(2, next_run_at)
                      .Bind(3, next_verify_at)
                      .Bind(4, name)
                      .Run());
  if (sqlite3_changes(db_) == 0) {
    return absl::NotFoundError(absl::StrCat("unknown schedule \"", name, "\""));
  }
  return absl::OkStatus();
}

absl::Status Store::DeleteSchedule(const std::string& name) {
  absl::MutexLock l(&mu_);
  RETURN_IF_ERROR(Stmt(db_, "DELETE FROM schedules WHERE name = ?").Bind(1, name).Run());
  if (sqlite3_changes(db_) == 0) {
    return absl::NotFoundError(absl::StrCat("unknown schedule \"", name, "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Schedule>> Store::DueSchedules(absl::Time now) {
  absl::MutexLock l(&mu_);
  // RFC 3339 UTC with whole seconds sorts as text.
  Stmt s(db_, absl::StrCat("SELECT ", kScheduleColumns,
                           " FROM schedules WHERE enabled = 1 AND next_run_at != '' AND "
                           "next_run_at <= ? ORDER BY next_run_at, name")
                  .c_str());
  s.Bind(1, TimeToString(now));
  return CollectRows<v1::Schedule>(s, ScheduleFromRow);
}

absl::StatusOr<bool> Store::ClaimScheduleRun(const ScheduleRunClaim& c, absl::Time now,
                                             std::string* outcome) {
  absl::MutexLock l(&mu_);
  bool created = false;
  *outcome = c.outcome;
  RETURN_IF_ERROR(InTransaction(db_, [&]() -> absl::Status {
    RETURN_IF_ERROR(Stmt(db_, "UPDATE schedules SET next_run_at = ?, last_run_at = ? "
                              "WHERE name = ? AND next_run_at = ? AND enabled = 1")
                        .Bind(1, c.next_run_at)
                        .Bind(2, TimeToString(now))
                        .Bind(3, c.schedule)
                        .Bind(4, c.expected_next_run_at)
                        .Run());
    if (sqlite3_changes(db_) == 0) {
      return absl::AbortedError(absl::StrCat("schedule \"", c.schedule,
                                             "\" changed or was already run for this slot"));
    }
    std::string job_id;
    if (!c.job.job.id().empty()) {
      // Savepoint: a refused job must not undo the schedule's advance.
      RETURN_IF_ERROR(Exec(db_, "SAVEPOINT job"));
      absl::Status st = CreateJobLocked(c.job.job, c.job.request);
      if (absl::IsAlreadyExists(st)) {
        RETURN_IF_ERROR(Exec(db_, "ROLLBACK TO job"));
        *outcome = absl::StrCat("skipped: the previous backup of \"", c.job.job.database(),
                                "\" is still queued or running");
      } else {
        RETURN_IF_ERROR(st);
        created = true;
        job_id = c.job.job.id();
      }
      RETURN_IF_ERROR(Exec(db_, "RELEASE job"));
    }
    return Stmt(db_, "UPDATE schedules SET last_job_id = CASE ?1 WHEN '' THEN last_job_id "
                     "ELSE ?1 END, last_outcome = ?2 WHERE name = ?3")
        .Bind(1, job_id)
        .Bind(2, *outcome)
        .Bind(3, c.schedule)
        .Run();
  }));
  return created;
}

absl::Status Store::SetScheduleOutcome(const std::string& name, const std::string& outcome) {
  absl::MutexLock l(&mu_);
  return Stmt(db_, "UPDATE schedules SET last_outcome = ? WHERE name = ?")
      .Bind(1, outcome)
      .Bind(2, name)
      .Run();
}

absl::StatusOr<std::vector<v1::Schedule>> Store::DueVerifications(absl::Time now) {
  absl::MutexLock l(&mu_);
  Stmt s(db_, absl::StrCat("SELECT ", kScheduleColumns,
                           " FROM schedules WHERE enabled = 1 AND next_verify_at != '' AND "
                           "next_verify_at <= ? ORDER BY next_verify_at, name")
                  .c_str());
  s.Bind(1, TimeToString(now));
  return CollectRows<v1::Schedule>(s, ScheduleFromRow);
}

absl::Status Store::ClaimVerification(const std::string& name, const std::string& expected,
                                      const std::string& next) {
  absl::MutexLock l(&mu_);
  RETURN_IF_ERROR(Stmt(db_, "UPDATE schedules SET next_verify_at = ? WHERE name = ? AND "
                            "next_verify_at = ?")
                      .Bind(1, next)
                      .Bind(2, name)
                      .Bind(3, expected)
                      .Run());
  if (sqlite3_changes(db_) == 0) {
    return absl::AbortedError(absl::StrCat("verification slot of \"", name, "\" already taken"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Backup>> Store::ListBackupsByAge(const std::string& database) {
  absl::MutexLock l(&mu_);
  Stmt s(db_, absl::StrCat("SELECT ", kBackupColumns,
                           " FROM backups WHERE (?1 = '' OR database = ?1) "
                           "ORDER BY created_at, rowid")
                  .c_str());
  s.Bind(1, database);
  return CollectRows<v1::Backup>(s, BackupFromRow);
}

absl::Status Store::SetDatabaseRetention(const std::string& database,
                                         const v1::RetentionRules& rules,
                                         const std::string& time_zone, absl::Time now) {
  absl::MutexLock l(&mu_);
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

absl::StatusOr<std::pair<v1::RetentionRules, std::string>> Store::GetDatabaseRetention(
    const std::string& database) {
  absl::MutexLock l(&mu_);
  Stmt s(db_, "SELECT rules, time_zone FROM database_retention WHERE database = ?");
  s.Bind(1, database);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return absl::NotFoundError(absl::StrCat("database ", database, " has no own retention rules"));
  v1::RetentionRules r;
  r.ParseFromString(s.Blob(0));
  return std::make_pair(r, s.Text(1));
}

}  // namespace dbdump
