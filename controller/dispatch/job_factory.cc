#include "controller/dispatch/job_factory.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "common/base/secret_ref.h"

#include "common/base/status_macros.h"
#include "common/io/compression.h"
#include "common/engines/restore_target.h"
#include "controller/dispatch/copy_source.h"
#include "controller/retention/lock_horizon.h"

namespace dbdump {
namespace {

// A job as it is first stored: queued, with its agent's request.
StoredJob QueuedJob(v1::JobKind kind, const std::string& id, const std::string& database,
                    const std::string& agent, const std::string& backup_id, absl::Time now,
                    uint32_t attempt, const google::protobuf::Message& request) {
  StoredJob out;
  v1::Job& job = out.job;
  job.set_id(id);
  job.set_kind(kind);
  job.set_state(v1::JOB_STATE_QUEUED);
  job.set_database(database);
  job.set_agent(agent);
  job.set_backup_id(backup_id);
  job.set_created_at(TimeToString(now));
  job.set_attempt(attempt);
  out.request = request.SerializeAsString();
  return out;
}

}  // namespace

BackupSettings ScheduledBackupSettings(const v1::Schedule& s) {
  BackupSettings b;
  b.database = s.database();
  b.compression = s.compression();
  b.compression_level = s.compression_level();
  b.schedule = s.name();
  b.attempt = 1;
  b.timeout_s = s.timeout_s();
  return b;
}

absl::StatusOr<StoredJob> JobFactory::PrepareBackup(const BackupSettings& s) {
  RETURN_IF_ERROR(ValidateResourceName("database name", s.database));
  ASSIGN_OR_RETURN(v1::Database db, store_->GetDatabase(s.database));
  ASSIGN_OR_RETURN(v1::StorageDestination storage, store_->GetStorage(db.storage()));
  v1::Compression codec = EffectiveCompression(s.compression);
  RETURN_IF_ERROR(ValidateCompression(codec, s.compression_level));

  absl::Time now = clock_->Now();
  v1::BackupJob bj;
  bj.set_job_id(NewJobId(now));
  bj.set_backup_id(NewBackupId(now));
  *bj.mutable_target() = db.target();
  *bj.mutable_storage() = storage;
  // The copy destinations as they are now: written in the same pass.
  for (const std::string& name : db.copies()) {
    absl::StatusOr<v1::StorageDestination> copy = store_->GetStorage(name);
    if (!copy.ok()) {
      return absl::Status(copy.status().code(),
                          absl::StrCat("copy destination of database \"", db.target().name(),
                                       "\": ", copy.status().message()));
    }
    *bj.add_copies() = *std::move(copy);
  }
  bj.set_compression(codec);
  bj.set_compression_level(s.compression_level);
  // Destinations locked "until retention" get their date from the rules
  // here: the agent does not know them.
  std::vector<v1::StorageDestination> dests{storage};
  dests.insert(dests.end(), bj.copies().begin(), bj.copies().end());
  for (const v1::StorageDestination& d : dests) {
    ASSIGN_OR_RETURN(absl::Time lock_until,
                     UntilRetentionLockDate(store_, db.target().name(), d, now));
    if (lock_until != absl::InfinitePast()) {
      (*bj.mutable_lock_until())[d.name()] = TimeToString(lock_until);
    }
  }

  StoredJob out = QueuedJob(v1::JOB_KIND_BACKUP, bj.job_id(), db.target().name(),
                            db.target().agent(), bj.backup_id(), now, s.attempt, bj);
  v1::Job& job = out.job;
  job.set_schedule(s.schedule);
  job.set_timeout_s(s.timeout_s);
  if (s.not_before != absl::InfinitePast()) job.set_not_before(TimeToString(s.not_before));
  return out;
}

absl::StatusOr<StoredJob> JobFactory::PrepareRestore(const v1::StartRestoreRequest& req) {
  RETURN_IF_ERROR(ValidateId("backup id", req.backup_id()));
  // Only a reference is kept with the job; what it names is read on the
  // restoring agent's host. The value is not repeated: it may be the
  // identity itself, given by mistake.
  const std::string& identity_ref = req.options().identity_ref();
  if (!identity_ref.empty() && !ValidateSecretRef(identity_ref).ok()) {
    return absl::InvalidArgumentError(
        "options.identity_ref must be file:/absolute/path (mode 0600) or env:NAME on the "
        "restoring agent's host (dbdumpctl restore --identity), never the identity or "
        "passphrase itself");
  }
  ASSIGN_OR_RETURN(v1::Backup backup, store_->GetBackup(req.backup_id()));
  // Refused here rather than by the agent after queueing: an encrypted
  // backup cannot be read, listed or restored without its identity.
  const v1::ManifestEncryption& encryption = backup.manifest().encryption();
  if (!encryption.format().empty() && identity_ref.empty()) {
    const bool passphrase = encryption.passphrase();
    return absl::FailedPreconditionError(absl::StrCat(
        "backup ", backup.id(), " is encrypted with age (",
        passphrase ? "a passphrase"
                   : absl::StrCat(encryption.recipients_size(), " recipient",
                                  encryption.recipients_size() == 1 ? "" : "s"),
        "): say where the restoring agent finds ", passphrase ? "the passphrase" : "an identity",
        " on its host, file:/path (mode 0600) or env:NAME (--identity of dbdumpctl restore "
        "and backup test-restore; options.identity_ref in the API)"));
  }
  // A committed copy is read whatever became of the primary's objects
  // (e.g. deleted by the primary's shorter retention).
  ASSIGN_OR_RETURN(std::string from, ReadableStorageOf(backup, req.from_storage()));
  const bool from_primary = from == backup.storage();
  if (from_primary && !backup.deleted_at().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "backup ", backup.id(), " was deleted at ", backup.deleted_at(),
        ": pick another with `dbdumpctl backup list`"));
  } else if (from_primary && backup.state() == v1::BACKUP_STATE_MISSING) {
    return absl::FailedPreconditionError(absl::StrCat(
        "backup ", backup.id(), " is missing since ", backup.missing_since(), " (", backup.missing_reason(),
        "): its objects are gone from storage; see storage reconcile"));
  }
  std::string via = req.via_database().empty() ? backup.database() : req.via_database();
  RETURN_IF_ERROR(ValidateResourceName("database name", via));
  absl::StatusOr<v1::Database> db = store_->GetDatabase(via);
  if (absl::IsNotFound(db.status()) && req.via_database().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "database \"", via, "\" of this backup no longer exists: pass --via=<database> to restore "
        "through another target of the same engine"));
  }
  RETURN_IF_ERROR(db.status());
  if (db->target().engine() != backup.manifest().engine()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "backup ", backup.id(), " is ", v1::Engine_Name(backup.manifest().engine()), " but \"",
        via, "\" is ", v1::Engine_Name(db->target().engine())));
  }
  v1::DatabaseTarget target = db->target();
  const v1::RestoreOptions& options = req.options();
  if (options.dry_run() && options.test_restore()) {
    return absl::InvalidArgumentError("a restore is either a dry run or a test restore, not both");
  }
  // A dry run touches no database and a test restore uses a scratch one the
  // agent names; otherwise the target defaults to the original database.
  bool no_target = options.dry_run() || options.test_restore();
  std::string restore_target;
  if (!no_target) {
    restore_target = req.target();
    if (restore_target.empty() && !req.via_database().empty()) {
      // The default is the backup's own database, which --via is not.
      return absl::InvalidArgumentError(
          "--via restores through another database's connection: name the target with --target");
    }
    if (restore_target.empty()) {
      restore_target = target.engine() == v1::ENGINE_SQLITE ? target.path() : target.database();
    }
    // The engines' own rules (the agent applies the same): a file path for
    // SQLite, a database name otherwise; empty for a backup of every
    // database, which goes back into the databases it names.
    RETURN_IF_ERROR(SetRestoreTarget(restore_target, &target));
  } else if (!req.target().empty()) {
    return absl::InvalidArgumentError(
        "a dry run or test restore takes no --target: it restores into no database of yours");
  }
  ASSIGN_OR_RETURN(v1::StorageDestination storage, store_->GetStorage(from));

  absl::Time now = clock_->Now();
  v1::RestoreJob rj;
  rj.set_job_id(NewJobId(now));
  rj.set_backup_id(backup.id());
  rj.set_source_database(backup.database());
  *rj.mutable_storage() = storage;
  *rj.mutable_target() = target;
  *rj.mutable_options() = options;

  StoredJob out = QueuedJob(v1::JOB_KIND_RESTORE, rj.job_id(), backup.database(), target.agent(),
                            backup.id(), now, 1, rj);
  // Empty for a dry run or a test restore: their options say where they
  // go (nowhere, a scratch database the agent names).
  out.job.set_restore_target(restore_target);
  *out.job.mutable_restore_options() = options;
  return out;
}

absl::StatusOr<StoredJob> JobFactory::PrepareCopy(const std::string& backup_id,
                                                  const std::string& storage, uint32_t attempt) {
  RETURN_IF_ERROR(ValidateId("backup id", backup_id));
  RETURN_IF_ERROR(ValidateResourceName("storage name", storage));
  ASSIGN_OR_RETURN(v1::Backup backup, store_->GetBackup(backup_id));
  if (backup.state() != v1::BACKUP_STATE_COMPLETED || !backup.deleted_at().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "backup ", backup_id, " is ", v1::BackupState_Name(backup.state()),
        ": only a completed backup whose objects are in its primary storage can be copied"));
  }
  if (storage == backup.storage()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "storage \"", storage, "\" is the primary storage of backup ", backup_id,
        ": name a copy destination"));
  }
  ASSIGN_OR_RETURN(v1::StorageDestination source, store_->GetStorage(backup.storage()));
  ASSIGN_OR_RETURN(v1::StorageDestination destination, store_->GetStorage(storage));
  // The database's agent reads its primary storage; a database removed
  // since is served by the agent that wrote the backup.
  std::string agent = backup.manifest().agent();
  absl::StatusOr<v1::Database> db = store_->GetDatabase(backup.database());
  if (db.ok()) {
    agent = db->target().agent();
  } else if (!absl::IsNotFound(db.status())) {
    return db.status();
  }

  absl::Time now = clock_->Now();
  v1::CopyJob cj;
  cj.set_job_id(NewJobId(now));
  cj.set_backup_id(backup_id);
  cj.set_database(backup.database());
  *cj.mutable_source() = source;
  *cj.mutable_destination() = destination;
  // Locked "until retention" as the backup's own pass would have locked it,
  // counted from the backup's creation.
  ASSIGN_OR_RETURN(absl::Time lock_until,
                   UntilRetentionLockDate(store_, backup.database(), destination,
                                          TimeFromString(backup.created_at())));
  if (lock_until != absl::InfinitePast()) cj.set_lock_until(TimeToString(lock_until));

  StoredJob out =
      QueuedJob(v1::JOB_KIND_COPY, cj.job_id(), backup.database(), agent, backup_id, now,
                attempt == 0 ? 1 : attempt, cj);
  out.job.set_copy_storage(storage);
  return out;
}

absl::StatusOr<StoredJob> JobFactory::PrepareRequestedCopy(const v1::CopyBackupRequest& req) {
  RETURN_IF_ERROR(ValidateId("backup id", req.backup_id()));
  if (req.storage().empty()) {
    return absl::InvalidArgumentError("name the copy destination to copy the backup to");
  }
  RETURN_IF_ERROR(ValidateResourceName("storage name", req.storage()));
  ASSIGN_OR_RETURN(v1::Backup backup, store_->GetBackup(req.backup_id()));
  const v1::BackupCopy* existing = nullptr;
  for (const v1::BackupCopy& c : backup.copies()) {
    if (c.storage() == req.storage()) existing = &c;
  }
  // Only into a destination the database has now: its retention covers
  // only those (the primary falls through to PrepareCopy's refusal).
  if (req.storage() != backup.storage()) {
    absl::StatusOr<v1::Database> db = store_->GetDatabase(backup.database());
    if (absl::IsNotFound(db.status())) {
      return absl::FailedPreconditionError(absl::StrCat(
          "database \"", backup.database(), "\" of backup ", backup.id(),
          " no longer exists: its backups get no new copies"));
    }
    RETURN_IF_ERROR(db.status());
    bool configured = false;
    for (const std::string& c : db->copies()) configured = configured || c == req.storage();
    if (!configured) {
      return absl::FailedPreconditionError(absl::StrCat(
          "storage \"", req.storage(), "\" is not a copy destination of database \"",
          backup.database(), "\": add it first (dbdumpctl database update ", backup.database(),
          " --copies=...), so that its retention covers the copy"));
    }
  }
  if (existing != nullptr && existing->state() == v1::BACKUP_COPY_STATE_COMMITTED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "backup ", backup.id(), " already has a committed copy in \"", req.storage(),
        "\" (", existing->updated_at(), "); nothing to copy"));
  }
  if (existing != nullptr && existing->state() == v1::BACKUP_COPY_STATE_DELETED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the copy of backup ", backup.id(), " in \"", req.storage(), "\" was deleted at ",
        existing->deleted_at(), " (retention or backup delete): its rules would delete it again"));
  }
  ASSIGN_OR_RETURN(std::vector<StoredJob> active, store_->ActiveJobs());
  for (const StoredJob& j : active) {
    if (j.job.kind() == v1::JOB_KIND_COPY && j.job.backup_id() == backup.id() &&
        j.job.copy_storage() == req.storage()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "copy job ", j.job.id(), " already copies backup ", backup.id(), " to \"",
          req.storage(), "\": follow it with dbdumpctl job show ", j.job.id()));
    }
  }
  return PrepareCopy(backup.id(), req.storage(), existing == nullptr ? 1 : existing->attempts() + 1);
}

}  // namespace dbdump
