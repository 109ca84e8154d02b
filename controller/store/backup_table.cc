// BackupTable: the backup catalogue, verification and test restores.
#include "controller/store/backup_table.h"

#include <sqlite3.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "controller/store/db/stmt.h"

namespace dbdump {

using sqlite::CollectRows;
using sqlite::Stmt;

namespace {

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
  b.set_found_at(s.Text(14));
  b.set_missing_since(s.Text(15));
  b.set_missing_reason(s.Text(16));
  b.set_locked_until(s.Text(17));
  b.set_lock_mode(static_cast<v1::ObjectLockMode>(s.Int(18)));
  return b;
}

constexpr const char* kBackupColumns =
    "id, database, storage, job_id, state, manifest, duration_s, created_at, deleted_at, "
    "verified_at, verify_error, test_restored_at, test_restore_error, test_restore_report, "
    "found_at, missing_since, missing_reason, locked_until, lock_mode";

}  // namespace

absl::Status BackupTable::Insert(const std::string& job_id, const v1::Backup& b) {
  // Storage reconciliation may have catalogued it from its manifest before
  // the job that made it reported (an outcome learned after lost contact):
  // then the entry is linked to its job and keeps what reconciliation
  // recorded (its state, when it was found). Another job's backup under the
  // same id is a clash.
  struct Existing {
    std::string database, job_id, found_at;
  };
  std::optional<Existing> existing;
  {
    Stmt q(db_, "SELECT database, job_id, found_at FROM backups WHERE id = ?");
    q.Bind(1, b.id());
    ASSIGN_OR_RETURN(bool found, q.Step());
    if (found) existing = Existing{q.Text(0), q.Text(1), q.Text(2)};
  }
  if (existing) {
    if (existing->database != b.database() ||
        (existing->found_at.empty() && existing->job_id != job_id)) {
      return absl::AlreadyExistsError(absl::StrCat("backup ", b.id(), " is already catalogued (",
                                                   existing->database, ", job ",
                                                   existing->job_id, ")"));
    }
    return Stmt(db_, "UPDATE backups SET job_id = ?, "
                     "duration_s = CASE duration_s WHEN 0 THEN ? ELSE duration_s END WHERE id = ?")
        .Bind(1, job_id)
        .BindDouble(2, b.duration_s())
        .Bind(3, b.id())
        .Run();
  }
  // The lock is the manifest's unless the caller says otherwise.
  bool own_lock = !b.locked_until().empty();
  return Stmt(db_, "INSERT INTO backups(id, database, storage, job_id, state, manifest, "
                   "raw_size, stored_size, duration_s, created_at, found_at, locked_until, "
                   "lock_mode) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
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
      .Bind(11, b.found_at())
      .Bind(12, own_lock ? b.locked_until() : b.manifest().locked_until())
      .Bind(13, int64_t{own_lock ? b.lock_mode() : b.manifest().lock_mode()})
      .Run();
}

absl::StatusOr<std::vector<v1::Backup>> BackupTable::List(const std::string& database) {
  Stmt s(db_, absl::StrCat("SELECT ", kBackupColumns,
                           " FROM backups WHERE (?1 = '' OR database = ?1) ORDER BY id")
                  .c_str());
  s.Bind(1, database);
  return CollectRows<v1::Backup>(s, BackupFromRow);
}

absl::StatusOr<std::map<std::string, BackupTotals>> BackupTable::Totals() {
  Stmt s(db_,
         "SELECT database, COUNT(*), SUM(CASE WHEN deleted_at = '' THEN stored_size ELSE 0 END), "
         "SUM(duration_s), SUM(raw_size), SUM(stored_size), MAX(created_at) FROM backups "
         "WHERE state IN (1, 3) GROUP BY database");
  std::map<std::string, BackupTotals> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    BackupTotals& t = out[s.Text(0)];
    t.good = s.Int(1);
    t.stored_now = static_cast<uint64_t>(s.Int(2));
    t.duration_sum_s = s.Double(3);
    t.raw = static_cast<uint64_t>(s.Int(4));
    t.stored = static_cast<uint64_t>(s.Int(5));
    t.last_good_at = s.Text(6);
  }
  return out;
}

absl::StatusOr<std::vector<v1::Backup>> BackupTable::Query(const BackupQuery& q) {
  // Ids begin with the backup's UTC time, so id order is newest-first order;
  // the primary key's index serves both the order and the page boundary.
  Stmt s(db_, absl::StrCat("SELECT ", kBackupColumns,
                           " FROM backups WHERE (?1 = '' OR database = ?1) AND (?2 = 0 OR state = ?2)"
                           " AND (?3 = '' OR created_at >= ?3) AND (?4 = '' OR created_at < ?4)"
                           " AND (?5 = '' OR id < ?5) ORDER BY id DESC LIMIT ?6")
                  .c_str());
  s.Bind(1, q.database)
      .Bind(2, int64_t{q.state})
      .Bind(3, q.created_after == absl::InfinitePast() ? "" : TimeToString(q.created_after))
      .Bind(4, q.created_before == absl::InfiniteFuture() ? "" : TimeToString(q.created_before))
      .Bind(5, q.before_id)
      .Bind(6, int64_t{q.limit});
  return CollectRows<v1::Backup>(s, BackupFromRow);
}

absl::StatusOr<v1::Backup> BackupTable::Get(const std::string& id) {
  Stmt s(db_, absl::StrCat("SELECT ", kBackupColumns, " FROM backups WHERE id = ?").c_str());
  s.Bind(1, id);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) {
    return absl::NotFoundError(absl::StrCat("unknown backup \"", id, "\": see `dbdumpctl backup list`"));
  }
  return BackupFromRow(s);
}

absl::StatusOr<int64_t> BackupTable::CountLive(const std::string& storage) {
  Stmt s(db_, "SELECT COUNT(*) FROM backups WHERE storage = ? AND deleted_at = ''");
  s.Bind(1, storage);
  ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.Int(0) : 0;
}

absl::Status BackupTable::MarkDeleted(const std::string& id, absl::Time now) {
  RETURN_IF_ERROR(Stmt(db_, "UPDATE backups SET deleted_at = ?, state = 3 "
                            "WHERE id = ? AND deleted_at = ''")
                      .Bind(1, TimeToString(now))
                      .Bind(2, id)
                      .Run());
  if (sqlite3_changes(db_) == 0) {
    return absl::NotFoundError(absl::StrCat("backup \"", id, "\" is unknown or already deleted"));
  }
  return absl::OkStatus();
}

absl::Status BackupTable::RecordVerification(const std::string& id, const std::string& error,
                                             absl::Time now) {
  RETURN_IF_ERROR(Stmt(db_, "UPDATE backups SET verified_at = ?, verify_error = ? WHERE id = ?")
                      .Bind(1, TimeToString(now))
                      .Bind(2, error)
                      .Bind(3, id)
                      .Run());
  if (sqlite3_changes(db_) == 0) return absl::NotFoundError(absl::StrCat("unknown backup \"", id, "\""));
  return absl::OkStatus();
}


absl::Status BackupTable::RecordTestRestore(const std::string& id, const std::string& error,
                                            const v1::RestoreReport& report, absl::Time now) {
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


absl::StatusOr<std::vector<v1::Backup>> BackupTable::ListByAge(const std::string& database) {
  Stmt s(db_, absl::StrCat("SELECT ", kBackupColumns,
                           " FROM backups WHERE (?1 = '' OR database = ?1) "
                           "ORDER BY created_at, rowid")
                  .c_str());
  s.Bind(1, database);
  return CollectRows<v1::Backup>(s, BackupFromRow);
}


absl::StatusOr<std::vector<v1::Backup>> BackupTable::ListInStorage(const std::string& storage) {
  Stmt s(db_, absl::StrCat("SELECT ", kBackupColumns,
                           " FROM backups WHERE storage = ?1 AND state != 3 ORDER BY id")
                  .c_str());
  s.Bind(1, storage);
  return CollectRows<v1::Backup>(s, BackupFromRow);
}

absl::Status BackupTable::MarkMissing(const std::string& id, const std::string& reason,
                                      absl::Time now) {
  RETURN_IF_ERROR(Stmt(db_, "UPDATE backups SET state = 4, missing_since = ?, missing_reason = ? "
                            "WHERE id = ? AND state = 1")
                      .Bind(1, TimeToString(now))
                      .Bind(2, reason)
                      .Bind(3, id)
                      .Run());
  if (sqlite3_changes(db_) == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("backup \"", id, "\" is unknown or not completed: not marked missing"));
  }
  return absl::OkStatus();
}

absl::Status BackupTable::MarkFound(const std::string& id) {
  RETURN_IF_ERROR(Stmt(db_, "UPDATE backups SET state = 1, missing_since = '', missing_reason = '' "
                            "WHERE id = ? AND state = 4")
                      .Bind(1, id)
                      .Run());
  if (sqlite3_changes(db_) == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("backup \"", id, "\" is unknown or not missing: not completed again"));
  }
  return absl::OkStatus();
}

}  // namespace dbdump
