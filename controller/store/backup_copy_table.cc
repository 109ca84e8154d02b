#include "controller/store/backup_copy_table.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "controller/store/db/stmt.h"

namespace dbdump {

using sqlite::CollectRows;
using sqlite::Stmt;

namespace {

constexpr const char* kCopyColumns =
    "backup_id, storage, state, error, updated_at, attempts, locked_until, lock_mode, "
    "deleted_at, stored_size_bytes, verified_at, verify_error";

BackupCopyRow CopyFromRow(Stmt& s) {
  BackupCopyRow r;
  r.backup_id = s.Text(0);
  v1::BackupCopy& c = r.copy;
  c.set_storage(s.Text(1));
  c.set_state(static_cast<v1::BackupCopyState>(s.Int(2)));
  c.set_error(s.Text(3));
  c.set_updated_at(s.Text(4));
  c.set_attempts(static_cast<uint32_t>(s.Int(5)));
  c.set_locked_until(s.Text(6));
  c.set_lock_mode(static_cast<v1::ObjectLockMode>(s.Int(7)));
  c.set_deleted_at(s.Text(8));
  c.set_stored_size_bytes(static_cast<uint64_t>(s.Int(9)));
  c.set_verified_at(s.Text(10));
  c.set_verify_error(s.Text(11));
  return r;
}

}  // namespace

absl::Status BackupCopyTable::RecordAttempt(const std::string& backup_id,
                                            const v1::BackupCopy& c) {
  return Stmt(db_, "INSERT INTO backup_copies(backup_id, storage, state, error, updated_at, "
                   "attempts, locked_until, lock_mode, stored_size_bytes) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8) "
                   "ON CONFLICT(backup_id, storage) DO UPDATE SET state = ?3, error = ?4, "
                   "updated_at = ?5, attempts = attempts + 1, locked_until = ?6, lock_mode = ?7, "
                   "stored_size_bytes = ?8, verified_at = '', verify_error = ''")
      .Bind(1, backup_id)
      .Bind(2, c.storage())
      .Bind(3, int64_t{c.state()})
      .Bind(4, c.error())
      .Bind(5, c.updated_at())
      .Bind(6, c.locked_until())
      .Bind(7, int64_t{c.lock_mode()})
      .Bind(8, static_cast<int64_t>(c.stored_size_bytes()))
      .Run();
}

absl::StatusOr<std::vector<v1::BackupCopy>> BackupCopyTable::ListFor(const std::string& backup_id) {
  Stmt s(db_, absl::StrCat("SELECT ", kCopyColumns,
                           " FROM backup_copies WHERE backup_id = ? ORDER BY storage")
                  .c_str());
  s.Bind(1, backup_id);
  ASSIGN_OR_RETURN(std::vector<BackupCopyRow> rows, CollectRows<BackupCopyRow>(s, CopyFromRow));
  std::vector<v1::BackupCopy> out;
  for (BackupCopyRow& r : rows) out.push_back(std::move(r.copy));
  return out;
}

absl::StatusOr<std::vector<BackupCopyRow>> BackupCopyTable::ListInStorage(
    const std::string& storage, const std::vector<v1::BackupCopyState>& states) {
  Stmt s(db_, absl::StrCat("SELECT ", kCopyColumns,
                           " FROM backup_copies WHERE storage = ? ORDER BY backup_id")
                  .c_str());
  s.Bind(1, storage);
  ASSIGN_OR_RETURN(std::vector<BackupCopyRow> rows, CollectRows<BackupCopyRow>(s, CopyFromRow));
  if (states.empty()) return rows;
  std::vector<BackupCopyRow> out;
  for (BackupCopyRow& r : rows) {
    for (v1::BackupCopyState st : states) {
      if (r.copy.state() == st) {
        out.push_back(std::move(r));
        break;
      }
    }
  }
  return out;
}

absl::StatusOr<std::vector<BackupCopyRow>> BackupCopyTable::ListPending() {
  Stmt s(db_, "SELECT c.backup_id, c.storage, c.state, c.error, c.updated_at, c.attempts, "
              "c.locked_until, c.lock_mode, c.deleted_at, c.stored_size_bytes, c.verified_at, "
              "c.verify_error "
              "FROM backup_copies c JOIN backups b ON b.id = c.backup_id "
              "WHERE c.state = ? AND b.state = ? AND b.deleted_at = '' "
              "ORDER BY c.updated_at, c.backup_id");
  s.Bind(1, int64_t{v1::BACKUP_COPY_STATE_PENDING}).Bind(2, int64_t{v1::BACKUP_STATE_COMPLETED});
  return CollectRows<BackupCopyRow>(s, CopyFromRow);
}

absl::Status BackupCopyTable::RecordVerification(const std::string& backup_id,
                                                 const std::string& storage,
                                                 const std::string& error, absl::Time now) {
  RETURN_IF_ERROR(Stmt(db_, "UPDATE backup_copies SET verified_at = ?, verify_error = ? "
                            "WHERE backup_id = ? AND storage = ? AND state = ?")
                      .Bind(1, TimeToString(now))
                      .Bind(2, error)
                      .Bind(3, backup_id)
                      .Bind(4, storage)
                      .Bind(5, int64_t{v1::BACKUP_COPY_STATE_COMMITTED})
                      .Run());
  if (sqlite3_changes(db_) == 0) {
    return absl::NotFoundError(absl::StrCat("backup ", backup_id, " has no committed copy in storage \"",
                                            storage, "\" (it was deleted or rewritten meanwhile)"));
  }
  return absl::OkStatus();
}

absl::Status BackupCopyTable::MarkDeleted(const std::string& backup_id, const std::string& storage,
                                          absl::Time now) {
  RETURN_IF_ERROR(Stmt(db_, "UPDATE backup_copies SET state = ?, deleted_at = ?, updated_at = ? "
                            "WHERE backup_id = ? AND storage = ?")
                      .Bind(1, int64_t{v1::BACKUP_COPY_STATE_DELETED})
                      .Bind(2, TimeToString(now))
                      .Bind(3, TimeToString(now))
                      .Bind(4, backup_id)
                      .Bind(5, storage)
                      .Run());
  if (sqlite3_changes(db_) == 0) {
    return absl::NotFoundError(
        absl::StrCat("backup ", backup_id, " has no copy in storage \"", storage, "\""));
  }
  return absl::OkStatus();
}

}  // namespace dbdump
