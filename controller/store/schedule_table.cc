// ScheduleTable: schedules, their run and verification slots.
#include "controller/store/schedule_table.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "controller/store/db/stmt.h"

namespace dbdump {

using sqlite::CollectRows;
using sqlite::Stmt;

namespace {

constexpr const char* kScheduleColumns =
    "name, database, enabled, next_run_at, spec, last_run_at, last_job_id, last_outcome, "
    "created_at, next_verify_at, last_result";

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
  sc.set_last_result(static_cast<v1::ScheduleRunResult>(s.Int(10)));
  return sc;
}

}  // namespace

absl::Status ScheduleTable::Create(const v1::Schedule& sc, absl::Time now) {
  v1::Schedule spec = sc;
  for (auto* f : {spec.mutable_next_run_at(), spec.mutable_last_run_at(), spec.mutable_last_job_id(),
                  spec.mutable_last_outcome(), spec.mutable_created_at(),
                  spec.mutable_next_verify_at()}) {
    f->clear();
  }
  spec.clear_next_runs();
  absl::Status st = Stmt(db_, absl::StrCat("INSERT INTO schedules(", kScheduleColumns,
                                           ") VALUES (?, ?, ?, ?, ?, '', '', '', ?, ?, 0)")
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

absl::StatusOr<std::vector<v1::Schedule>> ScheduleTable::List(const std::string& database) {
  Stmt s(db_, absl::StrCat("SELECT ", kScheduleColumns,
                           " FROM schedules WHERE (?1 = '' OR database = ?1) ORDER BY name")
                  .c_str());
  s.Bind(1, database);
  return CollectRows<v1::Schedule>(s, ScheduleFromRow);
}

absl::StatusOr<v1::Schedule> ScheduleTable::Get(const std::string& name) {
  Stmt s(db_, absl::StrCat("SELECT ", kScheduleColumns, " FROM schedules WHERE name = ?").c_str());
  s.Bind(1, name);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) {
    return absl::NotFoundError(
        absl::StrCat("unknown schedule \"", name, "\": see `dbdumpctl schedule list`"));
  }
  return ScheduleFromRow(s);
}

absl::Status ScheduleTable::SetEnabled(const std::string& name, bool enabled,
                                       const std::string& next_run_at,
                                       const std::string& next_verify_at) {
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

absl::Status ScheduleTable::Update(const v1::Schedule& sc) {
  v1::Schedule spec = sc;
  for (auto* f :
       {spec.mutable_next_run_at(), spec.mutable_last_run_at(), spec.mutable_last_job_id(),
        spec.mutable_last_outcome(), spec.mutable_created_at(), spec.mutable_next_verify_at()}) {
    f->clear();
  }
  spec.clear_next_runs();
  spec.clear_last_result();
  absl::Status st = Stmt(db_, "UPDATE schedules SET database = ?, enabled = ?, next_run_at = ?, "
                              "spec = ?, next_verify_at = ? WHERE name = ?")
                        .Bind(1, sc.database())
                        .Bind(2, int64_t{sc.enabled() ? 1 : 0})
                        .Bind(3, sc.next_run_at())
                        .BindBlob(4, spec.SerializeAsString())
                        .Bind(5, sc.next_verify_at())
                        .Bind(6, sc.name())
                        .Run();
  if (absl::IsAlreadyExists(st)) {  // foreign key
    return absl::NotFoundError(absl::StrCat("unknown database \"", sc.database(),
                                            "\": see `dbdumpctl database list`"));
  }
  RETURN_IF_ERROR(st);
  if (sqlite3_changes(db_) == 0) {
    return absl::NotFoundError(absl::StrCat("unknown schedule \"", sc.name(), "\""));
  }
  return absl::OkStatus();
}

absl::Status ScheduleTable::Delete(const std::string& name) {
  RETURN_IF_ERROR(Stmt(db_, "DELETE FROM schedules WHERE name = ?").Bind(1, name).Run());
  if (sqlite3_changes(db_) == 0) {
    return absl::NotFoundError(absl::StrCat("unknown schedule \"", name, "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Schedule>> ScheduleTable::Due(absl::Time now) {
  // RFC 3339 UTC with whole seconds sorts as text.
  Stmt s(db_, absl::StrCat("SELECT ", kScheduleColumns,
                           " FROM schedules WHERE enabled = 1 AND next_run_at != '' AND "
                           "next_run_at <= ? ORDER BY next_run_at, name")
                  .c_str());
  s.Bind(1, TimeToString(now));
  return CollectRows<v1::Schedule>(s, ScheduleFromRow);
}

absl::Status ScheduleTable::AdvanceRun(const std::string& name, const std::string& expected,
                                       const std::string& next, absl::Time now) {
  RETURN_IF_ERROR(Stmt(db_, "UPDATE schedules SET next_run_at = ?, last_run_at = ? "
                            "WHERE name = ? AND next_run_at = ? AND enabled = 1")
                      .Bind(1, next)
                      .Bind(2, TimeToString(now))
                      .Bind(3, name)
                      .Bind(4, expected)
                      .Run());
  if (sqlite3_changes(db_) == 0) {
    return absl::AbortedError(
        absl::StrCat("schedule \"", name, "\" changed or was already run for this slot"));
  }
  return absl::OkStatus();
}

absl::Status ScheduleTable::RecordRun(const std::string& name, const std::string& job_id,
                                      const ScheduleOutcome& outcome) {
  return Stmt(db_, "UPDATE schedules SET last_job_id = CASE ?1 WHEN '' THEN last_job_id "
                   "ELSE ?1 END, last_outcome = ?2, last_result = ?3 WHERE name = ?4")
      .Bind(1, job_id)
      .Bind(2, outcome.text)
      .Bind(3, static_cast<int64_t>(outcome.result))
      .Bind(4, name)
      .Run();
}

absl::Status ScheduleTable::SetOutcome(const std::string& name, const ScheduleOutcome& outcome) {
  return Stmt(db_, "UPDATE schedules SET last_outcome = ?, last_result = ? WHERE name = ?")
      .Bind(1, outcome.text)
      .Bind(2, static_cast<int64_t>(outcome.result))
      .Bind(3, name)
      .Run();
}

absl::StatusOr<std::vector<v1::Schedule>> ScheduleTable::DueVerifications(absl::Time now) {
  Stmt s(db_, absl::StrCat("SELECT ", kScheduleColumns,
                           " FROM schedules WHERE enabled = 1 AND next_verify_at != '' AND "
                           "next_verify_at <= ? ORDER BY next_verify_at, name")
                  .c_str());
  s.Bind(1, TimeToString(now));
  return CollectRows<v1::Schedule>(s, ScheduleFromRow);
}

absl::Status ScheduleTable::ClaimVerification(const std::string& name, const std::string& expected,
                                              const std::string& next) {
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


}  // namespace dbdump
