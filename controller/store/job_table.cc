// JobTable: jobs, their state machine and progress.
#include "controller/store/job_table.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "common/base/job_state.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "controller/store/db/stmt.h"

namespace dbdump {

using sqlite::CollectRows;
using sqlite::Stmt;
using v1::JobState;

namespace {

constexpr const char* kJobColumns =
    "id, kind, state, database, agent, backup_id, restore_target, bytes_in, bytes_out, "
    "elapsed_s, error, created_at, started_at, finished_at, schedule, attempt, not_before, "
    "timeout_s, restore_options, restore_report, lost_at, outcome_pending, note, copy_storage";
// The column after kJobColumns when a query adds the request.
constexpr int kRequestColumn = 24;

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
  j.set_lost_at(s.Text(20));
  j.set_outcome_pending(s.Int(21) != 0);
  j.set_note(s.Text(22));
  j.set_copy_storage(s.Text(23));
  return j;
}

}  // namespace

absl::Status JobTable::Create(const v1::Job& j, const std::string& request) {
  absl::Status st =
      Stmt(db_, "INSERT INTO jobs(id, kind, state, database, agent, backup_id, restore_target, "
                "request, created_at, schedule, attempt, not_before, timeout_s, restore_options, "
                "copy_storage) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
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
          .Bind(15, j.copy_storage())
          .Run();
  if (absl::IsAlreadyExists(st) && j.kind() == v1::JOB_KIND_COPY) {
    return absl::AlreadyExistsError(absl::StrCat(
        "a copy job of backup ", j.backup_id(), " to \"", j.copy_storage(),
        "\" is already queued or running: wait for it to end (dbdumpctl job list)"));
  }
  if (absl::IsAlreadyExists(st)) {
    return absl::AlreadyExistsError(absl::StrCat(
        "a backup of \"", j.database(), "\" is already queued or running: wait for it to end"));
  }
  return st;
}

absl::Status JobTable::Transition(const std::string& id, JobState to, const std::string& error,
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

absl::Status JobTable::UpdateProgress(const std::string& id, const v1::Progress& p) {
  return Stmt(db_, "UPDATE jobs SET bytes_in = ?, bytes_out = ?, elapsed_s = ? "
                   "WHERE id = ? AND state IN (1, 2)")
      .Bind(1, static_cast<int64_t>(p.bytes_in()))
      .Bind(2, static_cast<int64_t>(p.bytes_out()))
      .BindDouble(3, p.elapsed_s())
      .Bind(4, id)
      .Run();
}

absl::Status JobTable::SetProgress(const std::string& id, const v1::Progress& p) {
  return Stmt(db_, "UPDATE jobs SET bytes_in = ?, bytes_out = ?, elapsed_s = ? WHERE id = ?")
      .Bind(1, static_cast<int64_t>(p.bytes_in()))
      .Bind(2, static_cast<int64_t>(p.bytes_out()))
      .BindDouble(3, p.elapsed_s())
      .Bind(4, id)
      .Run();
}

absl::StatusOr<v1::Job> JobTable::Get(const std::string& id) {
  Stmt s(db_, absl::StrCat("SELECT ", kJobColumns, " FROM jobs WHERE id = ?").c_str());
  s.Bind(1, id);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return absl::NotFoundError(absl::StrCat("unknown job \"", id, "\""));
  return JobFromRow(s);
}

absl::StatusOr<std::vector<v1::Job>> JobTable::List(const std::string& database, int limit) {
  Stmt s(db_, absl::StrCat("SELECT ", kJobColumns,
                           " FROM jobs WHERE (?1 = '' OR database = ?1) "
                           "ORDER BY created_at DESC, id DESC LIMIT ?2")
                  .c_str());
  s.Bind(1, database).Bind(2, int64_t{limit <= 0 ? 50 : limit});
  return CollectRows<v1::Job>(s, JobFromRow);
}

absl::StatusOr<std::vector<v1::Job>> JobTable::Query(const JobQuery& q) {
  Stmt s(db_, absl::StrCat("SELECT ", kJobColumns,
                           " FROM jobs WHERE (?1 = '' OR database = ?1) AND (?2 = 0 OR state = ?2)"
                           " AND (?3 = '' OR created_at < ?3 OR (created_at = ?3 AND id < ?4))"
                           " ORDER BY created_at DESC, id DESC LIMIT ?5")
                  .c_str());
  s.Bind(1, q.database)
      .Bind(2, int64_t{q.state})
      .Bind(3, q.before_created_at)
      .Bind(4, q.before_id)
      .Bind(5, int64_t{q.limit});
  return CollectRows<v1::Job>(s, JobFromRow);
}

absl::StatusOr<std::vector<StoredJob>> JobTable::StoredJobs(const char* where_and_order) {
  Stmt s(db_, absl::StrCat("SELECT ", kJobColumns, ", request FROM jobs ", where_and_order).c_str());
  std::vector<StoredJob> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back({JobFromRow(s), s.Blob(kRequestColumn)});
  }
  return out;
}

absl::StatusOr<std::vector<StoredJob>> JobTable::Active() {
  return StoredJobs("WHERE state IN (1, 2) ORDER BY created_at");
}

absl::Status JobTable::MarkLost(const std::string& id, bool outcome_pending,
                                bool reported_running, absl::Time now) {
  return Stmt(db_, "UPDATE jobs SET outcome_pending = ?1, "
                   "lost_at = CASE ?1 WHEN 1 THEN ?2 ELSE lost_at END, "
                   "started_at = CASE ?4 WHEN 0 THEN '' ELSE started_at END "
                   "WHERE id = ?3 AND state = 6")
      .Bind(1, int64_t{outcome_pending ? 1 : 0})
      .Bind(2, TimeToString(now))
      .Bind(3, id)
      .Bind(4, int64_t{reported_running ? 1 : 0})
      .Run();
}

absl::Status JobTable::SetNote(const std::string& id, const std::string& note) {
  return Stmt(db_, "UPDATE jobs SET note = ? WHERE id = ?").Bind(1, note).Bind(2, id).Run();
}

absl::StatusOr<std::vector<StoredJob>> JobTable::PendingLost() {
  // outcome_pending = 1 is what the partial index jobs_outcome_pending covers.
  return StoredJobs("WHERE outcome_pending = 1 AND state = 6 ORDER BY lost_at, id");
}

absl::Status JobTable::ReopenLost(const std::string& id, const std::string& note) {
  RETURN_IF_ERROR(Stmt(db_, "UPDATE jobs SET state = 2, outcome_pending = 0, error = '', "
                            "finished_at = '', note = ? WHERE id = ? AND state = 6 "
                            "AND outcome_pending = 1")
                      .Bind(1, note)
                      .Bind(2, id)
                      .Run());
  if (sqlite3_changes(db_) != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("job ", id, " is not lost with its outcome pending"));
  }
  return absl::OkStatus();
}

absl::Status JobTable::SettleLost(const std::string& id, const std::string& error,
                                  const std::string& note) {
  RETURN_IF_ERROR(Stmt(db_, "UPDATE jobs SET outcome_pending = 0, error = ?, note = ? "
                            "WHERE id = ? AND state = 6 AND outcome_pending = 1")
                      .Bind(1, error)
                      .Bind(2, note)
                      .Bind(3, id)
                      .Run());
  if (sqlite3_changes(db_) != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("job ", id, " is not lost with its outcome pending"));
  }
  return absl::OkStatus();
}

absl::Status JobTable::SetRestoreReport(const std::string& job_id, const v1::RestoreReport& report) {
  return Stmt(db_, "UPDATE jobs SET restore_report = ? WHERE id = ?")
      .BindBlob(1, report.SerializeAsString())
      .Bind(2, job_id)
      .Run();
}

absl::StatusOr<std::map<std::string, BackupJobCounts>> JobTable::CountBackupJobs() {
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


absl::Status JobTable::InsertFinished(const v1::Job& j) {
  return Stmt(db_, "INSERT INTO jobs(id, kind, state, database, agent, backup_id, request, "
                   "created_at, started_at, finished_at, note) "
                   "VALUES (?, ?, ?, ?, ?, ?, x'', ?, ?, ?, ?)")
      .Bind(1, j.id())
      .Bind(2, int64_t{j.kind()})
      .Bind(3, int64_t{j.state()})
      .Bind(4, j.database())
      .Bind(5, j.agent())
      .Bind(6, j.backup_id())
      .Bind(7, j.created_at())
      .Bind(8, j.started_at())
      .Bind(9, j.finished_at())
      .Bind(10, j.note())
      .Run();
}

absl::StatusOr<std::vector<std::string>> JobTable::BusyBackupIds() {
  Stmt s(db_, "SELECT DISTINCT backup_id FROM jobs WHERE backup_id != '' AND "
              "(state IN (1, 2) OR (state = 6 AND outcome_pending = 1)) ORDER BY backup_id");
  std::vector<std::string> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(s.Text(0));
  }
  return out;
}

}  // namespace dbdump
