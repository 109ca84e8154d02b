// Store: opening the metadata store and its schema; each call takes the
// mutex and hands over to its table group (<group>_table.cc), or runs a
// transaction across groups.
#include "controller/store/store.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "controller/audit/audit_hash.h"
#include "controller/store/db/migrations.h"
#include "controller/store/db/sqlite_exec.h"

namespace dbdump {

int Store::latest_schema_version() { return sqlite::LatestSchemaVersion(); }

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path, Clock* clock) {
  // The lock first: a second controller must not even tighten the files.
  ASSIGN_OR_RETURN(std::unique_ptr<StoreLock> lock, StoreLock::Acquire(path));
  RETURN_IF_ERROR(CreateStoreFile(path));
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
  std::unique_ptr<Store> store(new Store(db, std::move(lock)));
  {
    absl::MutexLock l(&store->mu_);
    RETURN_IF_ERROR(sqlite::Exec(db, "PRAGMA journal_mode=WAL"));
    RETURN_IF_ERROR(sqlite::Exec(db, "PRAGMA foreign_keys=ON"));
    RETURN_IF_ERROR(sqlite::Exec(db, "PRAGMA synchronous=NORMAL"));
  }
  RETURN_IF_ERROR(store->Migrate((clock ? clock : DefaultClock())->Now()));
  // The -wal and -shm files exist now; SQLite gave them the database's mode,
  // this only acts (and warns) if something else widened them.
  RETURN_IF_ERROR(RestrictStoreFiles(path));
  return store;
}

Store::~Store() {
  absl::MutexLock l(&mu_);
  sqlite3_close_v2(db_);
}

absl::Status Store::Migrate(absl::Time now) {
  absl::MutexLock l(&mu_);
  return sqlite::Migrate(db_, now);
}

int Store::schema_version() {
  absl::MutexLock l(&mu_);
  absl::StatusOr<int> v = sqlite::SchemaVersion(db_);
  return v.ok() ? *v : 0;
}

Store::Store(sqlite3* db, std::unique_ptr<StoreLock> lock)
    : lock_(std::move(lock)),
      db_(db),
      agents_(db),
      storages_(db),
      databases_(db),
      jobs_(db),
      backups_(db),
      copies_(db),
      schedules_(db),
      retention_(db),
      tokens_(db),
      certificates_(db),
      audit_(db) {}

absl::Status Store::UpsertAgent(const v1::Agent& agent, absl::Time now) {
  absl::MutexLock l(&mu_);
  return agents_.Upsert(agent, now);
}

absl::Status Store::TouchAgent(const std::string& name, absl::Time now) {
  absl::MutexLock l(&mu_);
  return agents_.Touch(name, now);
}

absl::StatusOr<std::vector<v1::Agent>> Store::ListAgents() {
  absl::MutexLock l(&mu_);
  return agents_.List();
}

absl::StatusOr<int> Store::DeleteAgent(const std::string& name, absl::Time now) {
  absl::MutexLock l(&mu_);
  int revoked = 0;
  RETURN_IF_ERROR(sqlite::InTransaction(db_, [&]() -> absl::Status {
    RETURN_IF_ERROR(agents_.Remove(name));
    ASSIGN_OR_RETURN(revoked, certificates_.RevokeAgent(name, now));
    return absl::OkStatus();
  }));
  return revoked;
}

absl::StatusOr<v1::Agent> Store::GetAgent(const std::string& name) {
  absl::MutexLock l(&mu_);
  return agents_.Get(name);
}

absl::Status Store::AddStorage(const v1::StorageDestination& s, absl::Time now) {
  absl::MutexLock l(&mu_);
  return storages_.Add(s, now);
}

absl::StatusOr<std::vector<v1::StorageDestination>> Store::ListStorages() {
  absl::MutexLock l(&mu_);
  return storages_.List();
}

absl::StatusOr<v1::StorageDestination> Store::GetStorage(const std::string& name) {
  absl::MutexLock l(&mu_);
  return storages_.Get(name);
}

absl::Status Store::RemoveStorage(const std::string& name) {
  absl::MutexLock l(&mu_);
  return storages_.Remove(name);
}

absl::Status Store::UpdateStorage(const v1::StorageDestination& s) {
  absl::MutexLock l(&mu_);
  return storages_.Update(s);
}

absl::Status Store::AddDatabase(const v1::Database& db, absl::Time now) {
  absl::MutexLock l(&mu_);
  return databases_.Add(db, now);
}

absl::StatusOr<std::vector<v1::Database>> Store::ListDatabases() {
  absl::MutexLock l(&mu_);
  return databases_.List();
}

absl::StatusOr<v1::Database> Store::GetDatabase(const std::string& name) {
  absl::MutexLock l(&mu_);
  return databases_.Get(name);
}

absl::Status Store::RemoveDatabase(const std::string& name) {
  absl::MutexLock l(&mu_);
  return databases_.Remove(name);
}

absl::Status Store::UpdateDatabase(const v1::Database& db) {
  absl::MutexLock l(&mu_);
  return databases_.Update(db);
}

absl::Status Store::CreateJob(const v1::Job& job, const std::string& request) {
  absl::MutexLock l(&mu_);
  return jobs_.Create(job, request);
}

absl::Status Store::TransitionJob(const std::string& id, v1::JobState to, const std::string& error,
                                  absl::Time now) {
  absl::MutexLock l(&mu_);
  return jobs_.Transition(id, to, error, now);
}

absl::Status Store::UpdateProgress(const std::string& id, const v1::Progress& p) {
  absl::MutexLock l(&mu_);
  return jobs_.UpdateProgress(id, p);
}

absl::StatusOr<v1::Job> Store::GetJob(const std::string& id) {
  absl::MutexLock l(&mu_);
  return jobs_.Get(id);
}

absl::StatusOr<std::vector<v1::Job>> Store::ListJobs(const std::string& database, int limit) {
  absl::MutexLock l(&mu_);
  return jobs_.List(database, limit);
}

absl::StatusOr<std::vector<v1::Job>> Store::QueryJobs(const JobQuery& query) {
  absl::MutexLock l(&mu_);
  return jobs_.Query(query);
}

absl::StatusOr<std::vector<StoredJob>> Store::ActiveJobs() {
  absl::MutexLock l(&mu_);
  return jobs_.Active();
}

absl::StatusOr<std::vector<StoredJob>> Store::PendingLostJobs() {
  absl::MutexLock l(&mu_);
  return jobs_.PendingLost();
}

absl::Status Store::ReopenLostJob(const std::string& id, const std::string& note) {
  absl::MutexLock l(&mu_);
  return jobs_.ReopenLost(id, note);
}

absl::Status Store::SettleLostJob(const std::string& id, const std::string& error,
                                  const std::string& note) {
  absl::MutexLock l(&mu_);
  return jobs_.SettleLost(id, error, note);
}

absl::Status Store::EndJob(const JobEnd& e) {
  absl::MutexLock l(&mu_);
  return sqlite::InTransaction(db_, [&]() -> absl::Status {
    if (e.progress) RETURN_IF_ERROR(jobs_.SetProgress(e.job_id, *e.progress));
    if (e.restore_report) RETURN_IF_ERROR(jobs_.SetRestoreReport(e.job_id, *e.restore_report));
    RETURN_IF_ERROR(jobs_.Transition(e.job_id, e.state, e.error, e.now));
    if (e.state == v1::JOB_STATE_LOST) RETURN_IF_ERROR(jobs_.MarkLost(e.job_id, e.outcome_pending, e.reported_running, e.now));
    if (!e.note.empty()) RETURN_IF_ERROR(jobs_.SetNote(e.job_id, e.note));
    if (e.backup) RETURN_IF_ERROR(backups_.Insert(e.job_id, *e.backup));
    for (const v1::BackupCopy& c : e.copies) RETURN_IF_ERROR(copies_.RecordAttempt(e.copies_of, c));
    if (e.test_restore) {
      RETURN_IF_ERROR(backups_.RecordTestRestore(e.test_restore->backup_id, e.test_restore->error,
                                                 e.restore_report.value_or(v1::RestoreReport()),
                                                 e.now));
    }
    // The retry after the transition: a database has one active backup.
    if (e.retry) RETURN_IF_ERROR(jobs_.Create(e.retry->job, e.retry->request));
    if (!e.schedule.empty()) RETURN_IF_ERROR(schedules_.SetOutcome(e.schedule, e.schedule_outcome));
    return absl::OkStatus();
  });
}

absl::Status Store::AddCopies(std::vector<v1::Backup>* backups) {
  for (v1::Backup& b : *backups) {
    ASSIGN_OR_RETURN(std::vector<v1::BackupCopy> copies, copies_.ListFor(b.id()));
    for (v1::BackupCopy& c : copies) *b.add_copies() = std::move(c);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Backup>> Store::ListBackups(const std::string& database) {
  absl::MutexLock l(&mu_);
  ASSIGN_OR_RETURN(std::vector<v1::Backup> out, backups_.List(database));
  RETURN_IF_ERROR(AddCopies(&out));
  return out;
}

absl::StatusOr<v1::Backup> Store::GetBackup(const std::string& id) {
  absl::MutexLock l(&mu_);
  ASSIGN_OR_RETURN(v1::Backup b, backups_.Get(id));
  std::vector<v1::Backup> one{std::move(b)};
  RETURN_IF_ERROR(AddCopies(&one));
  return std::move(one[0]);
}

absl::Status Store::RecordCopyAttempt(const std::string& backup_id, const v1::BackupCopy& copy) {
  absl::MutexLock l(&mu_);
  return copies_.RecordAttempt(backup_id, copy);
}

absl::StatusOr<std::vector<BackupCopyRow>> Store::ListCopiesInStorage(
    const std::string& storage, const std::vector<v1::BackupCopyState>& states) {
  absl::MutexLock l(&mu_);
  return copies_.ListInStorage(storage, states);
}

absl::StatusOr<std::vector<BackupCopyRow>> Store::PendingCopies() {
  absl::MutexLock l(&mu_);
  return copies_.ListPending();
}

absl::Status Store::MarkCopyDeleted(const std::string& backup_id, const std::string& storage,
                                    absl::Time now) {
  absl::MutexLock l(&mu_);
  return copies_.MarkDeleted(backup_id, storage, now);
}

absl::StatusOr<int64_t> Store::CountLiveBackups(const std::string& storage) {
  absl::MutexLock l(&mu_);
  return backups_.CountLive(storage);
}

absl::StatusOr<std::map<std::string, BackupTotals>> Store::BackupTotalsByDatabase() {
  absl::MutexLock l(&mu_);
  return backups_.Totals();
}

absl::StatusOr<std::vector<v1::Backup>> Store::QueryBackups(const BackupQuery& query) {
  absl::MutexLock l(&mu_);
  ASSIGN_OR_RETURN(std::vector<v1::Backup> out, backups_.Query(query));
  RETURN_IF_ERROR(AddCopies(&out));
  return out;
}

absl::StatusOr<std::vector<v1::Backup>> Store::ListBackupsByAge(const std::string& database) {
  absl::MutexLock l(&mu_);
  return backups_.ListByAge(database);
}

absl::StatusOr<std::vector<v1::Backup>> Store::ListBackupsInStorage(const std::string& storage) {
  absl::MutexLock l(&mu_);
  return backups_.ListInStorage(storage);
}

absl::StatusOr<std::vector<std::string>> Store::BusyBackupIds() {
  absl::MutexLock l(&mu_);
  return jobs_.BusyBackupIds();
}

absl::Status Store::AdoptBackup(const v1::Backup& backup, const v1::Job& job) {
  absl::MutexLock l(&mu_);
  return sqlite::InTransaction(db_, [&]() -> absl::Status {
    absl::StatusOr<v1::Job> existing = jobs_.Get(job.id());
    if (absl::IsNotFound(existing.status())) {
      RETURN_IF_ERROR(jobs_.InsertFinished(job));
    } else if (!existing.ok()) {
      return existing.status();
    }
    return backups_.Insert(job.id(), backup);
  });
}

absl::Status Store::MarkBackupMissing(const std::string& id, const std::string& reason,
                                      absl::Time now) {
  absl::MutexLock l(&mu_);
  return backups_.MarkMissing(id, reason, now);
}

absl::Status Store::MarkBackupFound(const std::string& id) {
  absl::MutexLock l(&mu_);
  return backups_.MarkFound(id);
}

absl::Status Store::MarkBackupDeleted(const std::string& id, absl::Time now) {
  absl::MutexLock l(&mu_);
  return backups_.MarkDeleted(id, now);
}

absl::Status Store::RecordVerification(const std::string& id, const std::string& error,
                                       absl::Time now) {
  absl::MutexLock l(&mu_);
  return backups_.RecordVerification(id, error, now);
}

absl::Status Store::RecordCopyVerification(const std::string& backup_id,
                                           const std::string& storage, const std::string& error,
                                           absl::Time now) {
  absl::MutexLock l(&mu_);
  return copies_.RecordVerification(backup_id, storage, error, now);
}

absl::Status Store::SetRestoreReport(const std::string& job_id, const v1::RestoreReport& report) {
  absl::MutexLock l(&mu_);
  return jobs_.SetRestoreReport(job_id, report);
}

absl::Status Store::RecordTestRestore(const std::string& id, const std::string& error,
                                      const v1::RestoreReport& report, absl::Time now) {
  absl::MutexLock l(&mu_);
  return backups_.RecordTestRestore(id, error, report, now);
}

absl::StatusOr<std::map<std::string, BackupJobCounts>> Store::CountBackupJobs() {
  absl::MutexLock l(&mu_);
  return jobs_.CountBackupJobs();
}

absl::Status Store::SetDatabaseRetention(const std::string& database,
                                         const v1::RetentionRules& rules,
                                         const std::string& time_zone, absl::Time now) {
  absl::MutexLock l(&mu_);
  return retention_.Set(database, rules, time_zone, now);
}

absl::StatusOr<std::pair<v1::RetentionRules, std::string>> Store::GetDatabaseRetention(
    const std::string& database) {
  absl::MutexLock l(&mu_);
  return retention_.Get(database);
}

absl::Status Store::SetCopyRetention(const std::string& database, const std::string& storage,
                                     const v1::RetentionRules& rules, const std::string& time_zone,
                                     absl::Time now) {
  absl::MutexLock l(&mu_);
  return retention_.SetForCopy(database, storage, rules, time_zone, now);
}

absl::StatusOr<std::pair<v1::RetentionRules, std::string>> Store::GetCopyRetention(
    const std::string& database, const std::string& storage) {
  absl::MutexLock l(&mu_);
  return retention_.GetForCopy(database, storage);
}

absl::Status Store::CreateSchedule(const v1::Schedule& schedule, absl::Time now) {
  absl::MutexLock l(&mu_);
  return schedules_.Create(schedule, now);
}

absl::StatusOr<std::vector<v1::Schedule>> Store::ListSchedules(const std::string& database) {
  absl::MutexLock l(&mu_);
  return schedules_.List(database);
}

absl::StatusOr<v1::Schedule> Store::GetSchedule(const std::string& name) {
  absl::MutexLock l(&mu_);
  return schedules_.Get(name);
}

absl::Status Store::SetScheduleEnabled(const std::string& name, bool enabled,
                                       const std::string& next_run_at,
                                       const std::string& next_verify_at) {
  absl::MutexLock l(&mu_);
  return schedules_.SetEnabled(name, enabled, next_run_at, next_verify_at);
}

absl::StatusOr<std::vector<v1::Schedule>> Store::DueVerifications(absl::Time now) {
  absl::MutexLock l(&mu_);
  return schedules_.DueVerifications(now);
}

absl::Status Store::ClaimVerification(const std::string& name, const std::string& expected,
                                      const std::string& next) {
  absl::MutexLock l(&mu_);
  return schedules_.ClaimVerification(name, expected, next);
}

absl::Status Store::DeleteSchedule(const std::string& name) {
  absl::MutexLock l(&mu_);
  return schedules_.Delete(name);
}

absl::Status Store::UpdateSchedule(const v1::Schedule& schedule) {
  absl::MutexLock l(&mu_);
  return schedules_.Update(schedule);
}

absl::StatusOr<std::vector<v1::Schedule>> Store::DueSchedules(absl::Time now) {
  absl::MutexLock l(&mu_);
  return schedules_.Due(now);
}

absl::StatusOr<bool> Store::ClaimScheduleRun(const ScheduleRunClaim& c, absl::Time now,
                                             ScheduleOutcome* outcome) {
  absl::MutexLock l(&mu_);
  bool created = false;
  *outcome = c.outcome;
  RETURN_IF_ERROR(sqlite::InTransaction(db_, [&]() -> absl::Status {
    RETURN_IF_ERROR(schedules_.AdvanceRun(c.schedule, c.expected_next_run_at, c.next_run_at, now));
    std::string job_id;
    if (!c.job.job.id().empty()) {
      // Savepoint: a refused job must not undo the schedule's advance.
      RETURN_IF_ERROR(sqlite::Exec(db_, "SAVEPOINT job"));
      absl::Status st = jobs_.Create(c.job.job, c.job.request);
      if (absl::IsAlreadyExists(st)) {
        RETURN_IF_ERROR(sqlite::Exec(db_, "ROLLBACK TO job"));
        outcome->result = v1::SCHEDULE_RUN_RESULT_SKIPPED;
        outcome->text = absl::StrCat("skipped: the previous backup of \"", c.job.job.database(),
                                     "\" is still queued or running");
      } else {
        RETURN_IF_ERROR(st);
        created = true;
        job_id = c.job.job.id();
      }
      RETURN_IF_ERROR(sqlite::Exec(db_, "RELEASE job"));
    }
    return schedules_.RecordRun(c.schedule, job_id, *outcome);
  }));
  return created;
}

absl::Status Store::SetScheduleOutcome(const std::string& name, const ScheduleOutcome& outcome) {
  absl::MutexLock l(&mu_);
  return schedules_.SetOutcome(name, outcome);
}


absl::Status Store::CreateApiToken(const ApiTokenRecord& t) {
  absl::MutexLock l(&mu_);
  return tokens_.CreateApi(t);
}

absl::StatusOr<ApiTokenRecord> Store::FindApiTokenByHash(const std::string& hash) {
  absl::MutexLock l(&mu_);
  return tokens_.FindApiByHash(hash);
}

absl::StatusOr<std::vector<ApiTokenRecord>> Store::ListApiTokens() {
  absl::MutexLock l(&mu_);
  return tokens_.ListApi();
}

absl::Status Store::RevokeApiToken(const std::string& name, absl::Time now) {
  absl::MutexLock l(&mu_);
  return tokens_.RevokeApi(name, now);
}

absl::Status Store::TouchApiToken(const std::string& name, absl::Time now) {
  absl::MutexLock l(&mu_);
  return tokens_.TouchApi(name, now);
}

absl::Status Store::CreateJoinToken(const JoinTokenRecord& t) {
  absl::MutexLock l(&mu_);
  return tokens_.CreateJoin(t);
}

absl::StatusOr<std::string> Store::RedeemJoinToken(const std::string& hash, absl::Time now) {
  absl::MutexLock l(&mu_);
  std::string agent;
  RETURN_IF_ERROR(sqlite::InTransaction(db_, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(agent, tokens_.RedeemJoin(hash, now));
    return absl::OkStatus();
  }));
  return agent;
}

absl::Status Store::RecordCertificate(const CertificateRecord& c) {
  absl::MutexLock l(&mu_);
  return certificates_.Record(c);
}

absl::StatusOr<CertificateRecord> Store::GetCertificate(const std::string& serial) {
  absl::MutexLock l(&mu_);
  return certificates_.Get(serial);
}

absl::StatusOr<int> Store::RevokeAgentCertificates(const std::string& agent, absl::Time now) {
  absl::MutexLock l(&mu_);
  return certificates_.RevokeAgent(agent, now);
}

absl::StatusOr<AuditEntry> Store::AppendAudit(AuditEntry e) {
  absl::MutexLock l(&mu_);
  e.at = AuditTimeTruncate(e.at);
  RETURN_IF_ERROR(sqlite::InTransaction(db_, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<AuditEntry> last, audit_.Last());
    e.seq = last ? last->seq + 1 : 1;
    e.prev_hash = last ? last->hash : "";
    e.hash = AuditEntryHash(e);
    return audit_.Insert(e);
  }));
  return e;
}

absl::StatusOr<std::vector<AuditEntry>> Store::ListAudit(const AuditFilter& f) {
  absl::MutexLock l(&mu_);
  return audit_.List(f);
}

absl::StatusOr<std::vector<AuditEntry>> Store::AuditChain(int64_t from_seq, int limit) {
  absl::MutexLock l(&mu_);
  return audit_.Chain(from_seq, limit);
}

}  // namespace dbdump
