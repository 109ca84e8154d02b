// Store: the controller's metadata in SQLite (WAL, foreign keys, migrations).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/base/clock.h"
#include "controller/store/agent_table.h"
#include "controller/store/audit_table.h"
#include "controller/store/backup_copy_table.h"
#include "controller/store/backup_table.h"
#include "controller/store/certificate_table.h"
#include "controller/store/database_table.h"
#include "controller/store/job_table.h"
#include "controller/store/records.h"
#include "controller/store/retention_table.h"
#include "controller/store/schedule_table.h"
#include "controller/store/security_records.h"
#include "controller/store/storage_table.h"
#include "controller/store/store_lock.h"
#include "controller/store/token_table.h"
#include "dbdump/v1/controller_service.pb.h"

struct sqlite3;

namespace dbdump {

// Thread-safe: one connection behind a mutex. Secrets are never stored:
// database targets hold only a reference to a password on the agent host,
// tokens are kept as hashes.
class Store {
 public:
  // `clock` (not owned; the wall clock when null) dates the migrations.
  // Takes "<path>.lock" for the Store's lifetime (FailedPrecondition naming
  // the holder's pid when another Store has it) and keeps the database
  // files 0600, tightening wider ones with a warning.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path,
                                                     Clock* clock = nullptr);
  ~Store();

  // Latest applied schema migration.
  int schema_version();
  static int latest_schema_version();

  // Agents.
  absl::Status UpsertAgent(const dbdump::v1::Agent& agent, absl::Time now);
  // NotFound when the agent never registered.
  absl::Status TouchAgent(const std::string& name, absl::Time now);
  absl::StatusOr<std::vector<dbdump::v1::Agent>> ListAgents();
  absl::StatusOr<dbdump::v1::Agent> GetAgent(const std::string& name);
  // In one transaction: removes the agent's registration and revokes its
  // certificates (how many, returned), so it can neither call nor be
  // called. Refused while databases are backed up by it or jobs of it are
  // active (see AgentTable::Remove).
  absl::StatusOr<int> DeleteAgent(const std::string& name, absl::Time now);

  // Storage destinations.
  absl::Status AddStorage(const dbdump::v1::StorageDestination& s, absl::Time now);
  absl::StatusOr<std::vector<dbdump::v1::StorageDestination>> ListStorages();
  absl::StatusOr<dbdump::v1::StorageDestination> GetStorage(const std::string& name);
  // FailedPrecondition while a database still uses it.
  absl::Status RemoveStorage(const std::string& name);
  // Every field but the name and kind. NotFound.
  absl::Status UpdateStorage(const dbdump::v1::StorageDestination& s);

  // Database targets.
  absl::Status AddDatabase(const dbdump::v1::Database& db, absl::Time now);
  absl::StatusOr<std::vector<dbdump::v1::Database>> ListDatabases();
  absl::StatusOr<dbdump::v1::Database> GetDatabase(const std::string& name);
  // FailedPrecondition while a job of it is active; its backups stay catalogued.
  absl::Status RemoveDatabase(const std::string& name);
  // Every field but the name, engine and creation time; moving it to
  // another agent or storage is FailedPrecondition while a job of it is
  // queued or running. NotFound.
  absl::Status UpdateDatabase(const dbdump::v1::Database& db);

  // Jobs. CreateJob fails with AlreadyExists when a backup of the same
  // database is already queued or running.
  absl::Status CreateJob(const dbdump::v1::Job& job, const std::string& request);
  // Moves a job along QUEUED -> RUNNING -> terminal; a terminal job never
  // changes again (FailedPrecondition).
  absl::Status TransitionJob(const std::string& id, dbdump::v1::JobState to,
                             const std::string& error, absl::Time now);
  absl::Status UpdateProgress(const std::string& id, const dbdump::v1::Progress& p);
  absl::StatusOr<dbdump::v1::Job> GetJob(const std::string& id);
  absl::StatusOr<std::vector<dbdump::v1::Job>> ListJobs(const std::string& database, int limit);
  // A page of jobs, newest first (see JobQuery).
  absl::StatusOr<std::vector<dbdump::v1::Job>> QueryJobs(const JobQuery& query);
  // Jobs still QUEUED or RUNNING, with their requests.
  absl::StatusOr<std::vector<StoredJob>> ActiveJobs();
  // LOST jobs whose outcome is still to be asked of their agents.
  absl::StatusOr<std::vector<StoredJob>> PendingLostJobs();
  // LOST (outcome pending) -> RUNNING, to be followed again; see
  // JobTable::ReopenLost for the errors.
  absl::Status ReopenLostJob(const std::string& id, const std::string& note);
  // A pending LOST job becomes final with `error`.
  absl::Status SettleLostJob(const std::string& id, const std::string& error,
                             const std::string& note);

  // In one transaction: the job's end and everything that comes of it (see
  // JobEnd); nothing is written when any part fails. A backup already
  // catalogued under the same id for the same database by storage
  // reconciliation (adopted from its manifest) is linked to the job.
  absl::Status EndJob(const JobEnd& end);
  absl::StatusOr<std::vector<dbdump::v1::Backup>> ListBackups(const std::string& database);
  // Per database, what its good backups add up to.
  absl::StatusOr<std::map<std::string, BackupTotals>> BackupTotalsByDatabase();
  // A page of the catalogue, newest first (see BackupQuery).
  absl::StatusOr<std::vector<dbdump::v1::Backup>> QueryBackups(const BackupQuery& query);
  absl::StatusOr<dbdump::v1::Backup> GetBackup(const std::string& id);
  // Catalogued backups in the storage whose objects are still there.
  absl::StatusOr<int64_t> CountLiveBackups(const std::string& storage);
  // Oldest first by when they were catalogued (ties: catalogue order).
  absl::StatusOr<std::vector<dbdump::v1::Backup>> ListBackupsByAge(const std::string& database);
  // Storage reconciliation. Backups in `storage` not deleted, by id.
  absl::StatusOr<std::vector<dbdump::v1::Backup>> ListBackupsInStorage(const std::string& storage);
  // Backup ids whose objects may still change (see JobTable::BusyBackupIds).
  absl::StatusOr<std::vector<std::string>> BusyBackupIds();
  // In one transaction: catalogues a backup found in storage, with `job`
  // (already finished) inserted first unless a job of that id exists.
  absl::Status AdoptBackup(const dbdump::v1::Backup& backup, const dbdump::v1::Job& job);
  absl::Status MarkBackupMissing(const std::string& id, const std::string& reason, absl::Time now);
  absl::Status MarkBackupFound(const std::string& id);
  // Retention removed the stored objects; the entry stays, marked deleted.
  absl::Status MarkBackupDeleted(const std::string& id, absl::Time now);
  // Copies of backups in copy destinations (GetBackup and the lists fill
  // Backup.copies). One more write of a copy (see BackupCopyTable).
  absl::Status RecordCopyAttempt(const std::string& backup_id, const dbdump::v1::BackupCopy& copy);
  // Copies in `storage` in one of `states` (any when empty).
  absl::StatusOr<std::vector<BackupCopyRow>> ListCopiesInStorage(
      const std::string& storage, const std::vector<dbdump::v1::BackupCopyState>& states);
  // Pending copies of completed backups, the longest waiting first.
  absl::StatusOr<std::vector<BackupCopyRow>> PendingCopies();
  absl::Status MarkCopyDeleted(const std::string& backup_id, const std::string& storage,
                               absl::Time now);
  // Outcome of a verification; empty `error` = the checksums matched.
  absl::Status RecordVerification(const std::string& id, const std::string& error, absl::Time now);
  // Of the backup's copy in `storage`.
  absl::Status RecordCopyVerification(const std::string& backup_id, const std::string& storage,
                                      const std::string& error, absl::Time now);
  // What a dry run or test restore job found.
  absl::Status SetRestoreReport(const std::string& job_id, const dbdump::v1::RestoreReport& report);
  // The outcome of a test restore of a backup (error empty = passed).
  absl::Status RecordTestRestore(const std::string& id, const std::string& error,
                                 const dbdump::v1::RestoreReport& report, absl::Time now);
  absl::StatusOr<std::map<std::string, BackupJobCounts>> CountBackupJobs();

  // Retention rules of a database itself (empty rules remove them), with
  // the zone its periods are counted in. NotFound when it has none.
  absl::Status SetDatabaseRetention(const std::string& database,
                                    const dbdump::v1::RetentionRules& rules,
                                    const std::string& time_zone, absl::Time now);
  absl::StatusOr<std::pair<dbdump::v1::RetentionRules, std::string>> GetDatabaseRetention(
      const std::string& database);
  // The same for the database's copies in one copy destination.
  absl::Status SetCopyRetention(const std::string& database, const std::string& storage,
                                const dbdump::v1::RetentionRules& rules,
                                const std::string& time_zone, absl::Time now);
  absl::StatusOr<std::pair<dbdump::v1::RetentionRules, std::string>> GetCopyRetention(
      const std::string& database, const std::string& storage);

  // Schedules. The settings are kept whole; run bookkeeping in columns.
  absl::Status CreateSchedule(const dbdump::v1::Schedule& schedule, absl::Time now);
  absl::StatusOr<std::vector<dbdump::v1::Schedule>> ListSchedules(const std::string& database);
  absl::StatusOr<dbdump::v1::Schedule> GetSchedule(const std::string& name);
  // `next_run_at` is empty when disabling.
  absl::Status SetScheduleEnabled(const std::string& name, bool enabled,
                                  const std::string& next_run_at,
                                  const std::string& next_verify_at = "");
  // Enabled schedules whose next verification is due.
  absl::StatusOr<std::vector<dbdump::v1::Schedule>> DueVerifications(absl::Time now);
  // Moves the verification slot on; Aborted when another pass took it.
  absl::Status ClaimVerification(const std::string& name, const std::string& expected,
                                 const std::string& next);
  absl::Status DeleteSchedule(const std::string& name);
  // The settings, database, enabled and next run and verification times.
  absl::Status UpdateSchedule(const dbdump::v1::Schedule& schedule);
  // Enabled schedules whose next run is at or before `now`.
  absl::StatusOr<std::vector<dbdump::v1::Schedule>> DueSchedules(absl::Time now);
  // In one transaction: advances the schedule (Aborted when its next run is
  // no longer `expected_next_run_at`: another pass took the slot) and
  // creates the job. When a backup of the database is still queued or
  // running the job is not created, the slot is recorded as skipped and
  // false is returned; `*outcome` says what happened.
  absl::StatusOr<bool> ClaimScheduleRun(const ScheduleRunClaim& claim, absl::Time now,
                                        ScheduleOutcome* outcome);
  // Records the outcome of a schedule's last run (e.g. the job it queued ended).
  absl::Status SetScheduleOutcome(const std::string& name, const ScheduleOutcome& outcome);

  // API tokens, known by name, found by the hash of the token.
  // AlreadyExists "a token named X already exists".
  absl::Status CreateApiToken(const ApiTokenRecord& t);
  // NotFound for an unknown hash (revoked and expired tokens are found:
  // the caller decides).
  absl::StatusOr<ApiTokenRecord> FindApiTokenByHash(const std::string& hash);
  // By name.
  absl::StatusOr<std::vector<ApiTokenRecord>> ListApiTokens();
  // NotFound for an unknown name; revoking twice keeps the first time.
  absl::Status RevokeApiToken(const std::string& name, absl::Time now);
  // Records when the token was last used (one small UPDATE). NotFound.
  absl::Status TouchApiToken(const std::string& name, absl::Time now);

  // One-time join tokens of agents. AlreadyExists for a hash in use.
  absl::Status CreateJoinToken(const JoinTokenRecord& t);
  // Atomically marks the token used and returns its agent name. NotFound
  // "unknown join token"; FailedPrecondition "join token already used" or
  // "join token expired at T". A failed redeem changes nothing.
  absl::StatusOr<std::string> RedeemJoinToken(const std::string& hash, absl::Time now);

  // Certificates issued to agents. AlreadyExists for a recorded serial.
  absl::Status RecordCertificate(const CertificateRecord& c);
  // NotFound for a serial never issued.
  absl::StatusOr<CertificateRecord> GetCertificate(const std::string& serial);
  // Revokes the agent's certificates not yet revoked; how many it revoked.
  absl::StatusOr<int> RevokeAgentCertificates(const std::string& agent, absl::Time now);

  // Audit log. In one transaction: assigns seq (last + 1), prev_hash (the
  // last entry's hash, "" for the first) and hash (AuditEntryHash) and
  // stores the entry; returns it as stored (`at` cut to microseconds).
  // Use AuditLog, which also writes the mirror file, rather than this.
  absl::StatusOr<AuditEntry> AppendAudit(AuditEntry e);
  // Newest first.
  absl::StatusOr<std::vector<AuditEntry>> ListAudit(const AuditFilter& f);
  // Entries from `from_seq` on, oldest first, at most `limit` (1 to 1000):
  // the chain in pages, for verification.
  absl::StatusOr<std::vector<AuditEntry>> AuditChain(int64_t from_seq, int limit);

 private:
  Store(sqlite3* db, std::unique_ptr<StoreLock> lock);
  absl::Status Migrate(absl::Time now);
  // Fills Backup.copies of each.
  absl::Status AddCopies(std::vector<dbdump::v1::Backup>* backups) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Released after the connection is closed (members go after ~Store's body).
  std::unique_ptr<StoreLock> lock_;
  absl::Mutex mu_;
  sqlite3* db_ ABSL_GUARDED_BY(mu_);
  // One per table group, on `db_`; used holding `mu_`. Transactions that
  // span groups (EndJob, ClaimScheduleRun) are the Store's.
  AgentTable agents_ ABSL_GUARDED_BY(mu_);
  StorageTable storages_ ABSL_GUARDED_BY(mu_);
  DatabaseTable databases_ ABSL_GUARDED_BY(mu_);
  JobTable jobs_ ABSL_GUARDED_BY(mu_);
  BackupTable backups_ ABSL_GUARDED_BY(mu_);
  BackupCopyTable copies_ ABSL_GUARDED_BY(mu_);
  ScheduleTable schedules_ ABSL_GUARDED_BY(mu_);
  RetentionTable retention_ ABSL_GUARDED_BY(mu_);
  TokenTable tokens_ ABSL_GUARDED_BY(mu_);
  CertificateTable certificates_ ABSL_GUARDED_BY(mu_);
  AuditTable audit_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dbdump
