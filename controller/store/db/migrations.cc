#include "controller/store/db/migrations.h"

#include <sqlite3.h>

#include <iterator>

#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "controller/store/db/sqlite_exec.h"
#include "controller/store/db/stmt.h"

namespace dbdump {
namespace sqlite {
namespace {

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
    // 7: what came of a schedule's last slot, as a value (ScheduleRunResult).
    R"sql(
ALTER TABLE schedules ADD COLUMN last_result INTEGER NOT NULL DEFAULT 0;
)sql",
    // 8: security: API tokens with roles, one-time join tokens of agents,
    // the certificates issued to agents, and the hash-chained audit log.
    // Tokens are kept as hashes only. Empty times mean "none"; audit times
    // carry microseconds (they are hashed).
    R"sql(
CREATE TABLE api_tokens (
  name TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  expires_at TEXT NOT NULL DEFAULT '',
  revoked_at TEXT NOT NULL DEFAULT '',
  last_used_at TEXT NOT NULL DEFAULT ''
);
CREATE TABLE join_tokens (
  token_hash TEXT PRIMARY KEY,
  agent_name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  expires_at TEXT NOT NULL,
  used_at TEXT NOT NULL DEFAULT ''
);
CREATE TABLE agent_certificates (
  serial TEXT PRIMARY KEY,
  agent_name TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  not_after TEXT NOT NULL,
  issued_at TEXT NOT NULL,
  revoked_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX agent_certificates_by_agent ON agent_certificates(agent_name);
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL DEFAULT '',
  peer TEXT NOT NULL DEFAULT '',
  rpc TEXT NOT NULL DEFAULT '',
  target TEXT NOT NULL DEFAULT '',
  outcome TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '',
  prev_hash TEXT NOT NULL DEFAULT '',
  hash TEXT NOT NULL
);
CREATE INDEX audit_log_by_at ON audit_log(at);
)sql",
    // 9: a backup whose objects were removed says so in its state, not only
    // in deleted_at (BACKUP_STATE_DELETED = 3).
    R"sql(
UPDATE backups SET state = 3 WHERE deleted_at != '';
)sql",
    // 10: outcomes learned after lost contact, and storage reconciliation.
    R"sql(
ALTER TABLE jobs ADD COLUMN lost_at TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN outcome_pending INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN note TEXT NOT NULL DEFAULT '';
CREATE INDEX jobs_outcome_pending ON jobs(outcome_pending) WHERE outcome_pending = 1;
ALTER TABLE backups ADD COLUMN found_at TEXT NOT NULL DEFAULT '';
ALTER TABLE backups ADD COLUMN missing_since TEXT NOT NULL DEFAULT '';
ALTER TABLE backups ADD COLUMN missing_reason TEXT NOT NULL DEFAULT '';
)sql",
    // 11: TLS to the database (a serialized DatabaseTls: paths and the key's
    // reference, never a key).
    R"sql(
ALTER TABLE databases ADD COLUMN tls BLOB NOT NULL DEFAULT x'';
)sql",
    // 12: encryption (a serialized Encryption: public keys and references),
    // copy destinations, copy jobs, copies of backups, Object Lock, and
    // retention rules per copy destination.
    R"sql(
ALTER TABLE databases ADD COLUMN encryption BLOB NOT NULL DEFAULT x'';
ALTER TABLE databases ADD COLUMN copies TEXT NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN tool_versions BLOB NOT NULL DEFAULT x'';
ALTER TABLE jobs ADD COLUMN copy_storage TEXT NOT NULL DEFAULT '';
ALTER TABLE backups ADD COLUMN locked_until TEXT NOT NULL DEFAULT '';
ALTER TABLE backups ADD COLUMN lock_mode INTEGER NOT NULL DEFAULT 0;
CREATE TABLE backup_copies (
  backup_id TEXT NOT NULL REFERENCES backups(id) ON DELETE CASCADE,
  storage TEXT NOT NULL,
  state INTEGER NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  updated_at TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0,
  locked_until TEXT NOT NULL DEFAULT '',
  lock_mode INTEGER NOT NULL DEFAULT 0,
  deleted_at TEXT NOT NULL DEFAULT '',
  stored_size_bytes INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (backup_id, storage)
);
CREATE INDEX backup_copies_storage ON backup_copies(storage, state);
CREATE TABLE copy_retention (
  database TEXT NOT NULL REFERENCES databases(name) ON DELETE CASCADE,
  storage TEXT NOT NULL,
  rules BLOB NOT NULL,
  time_zone TEXT NOT NULL DEFAULT 'UTC',
  updated_at TEXT NOT NULL,
  PRIMARY KEY (database, storage)
);
)sql",
    // 13: verification of each copy; at most one queued or running copy job
    // per backup and destination (a copy asked for by hand and the
    // controller's retry could otherwise both be queued). Duplicates from
    // before are settled first: a queued one is cancelled when the same copy
    // has a running job or an older queued one; a second running one is
    // LOST with its outcome pending, which the dispatcher's recovery asks
    // its agent about.
    R"sql(
ALTER TABLE backup_copies ADD COLUMN verified_at TEXT NOT NULL DEFAULT '';
ALTER TABLE backup_copies ADD COLUMN verify_error TEXT NOT NULL DEFAULT '';
UPDATE jobs SET state = 5,
    error = 'cancelled: another copy job of this backup to this storage was queued or running',
    finished_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
  WHERE kind = 3 AND state = 1 AND EXISTS (
    SELECT 1 FROM jobs o WHERE o.kind = 3 AND o.state IN (1, 2) AND o.backup_id = jobs.backup_id
      AND o.copy_storage = jobs.copy_storage AND (o.state = 2 OR o.rowid < jobs.rowid));
UPDATE jobs SET state = 6, outcome_pending = 1,
    error = 'another copy job of this backup to this storage was running'
  WHERE kind = 3 AND state = 2 AND EXISTS (
    SELECT 1 FROM jobs o WHERE o.kind = 3 AND o.state = 2 AND o.backup_id = jobs.backup_id
      AND o.copy_storage = jobs.copy_storage AND o.rowid < jobs.rowid);
CREATE UNIQUE INDEX jobs_one_active_copy ON jobs(backup_id, copy_storage)
  WHERE kind = 3 AND state IN (1, 2);
)sql",
};


}  // namespace

int LatestSchemaVersion() { return static_cast<int>(std::size(kMigrations)); }

absl::Status Migrate(sqlite3* db, absl::Time now) {
  RETURN_IF_ERROR(Exec(db,
                       "CREATE TABLE IF NOT EXISTS schema_migrations ("
                       "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"));
  ASSIGN_OR_RETURN(int current, SchemaVersion(db));
  if (current > LatestSchemaVersion()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the metadata store has schema version ", current, " but this controller knows only ",
        LatestSchemaVersion(), ": run a newer dbdump-controller"));
  }
  for (int v = current + 1; v <= LatestSchemaVersion(); ++v) {
    RETURN_IF_ERROR(InTransaction(db, [&]() -> absl::Status {
      RETURN_IF_ERROR(Exec(db, kMigrations[v - 1]));
      return Stmt(db, "INSERT INTO schema_migrations(version, applied_at) VALUES (?, ?)")
          .Bind(1, int64_t{v})
          .Bind(2, TimeToString(now))
          .Run();
    }));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> SchemaVersion(sqlite3* db) {
  Stmt s(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? static_cast<int>(s.Int(0)) : 0;
}

}  // namespace sqlite
}  // namespace dbdump
