// JobRunner's backup run: dump tool -> sha256(raw) -> compress ->
// [age encrypt] -> sha256(stored) -> storage, then the manifest last.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "common/crypto/age_settings.h"
#include "common/engines/job_runner.h"
#include "common/io/compression.h"
#include "common/io/filter_chain.h"
#include "common/storage/backup_layout.h"
#include "common/storage/journaled_storage.h"
#include "common/storage/object_lock.h"

namespace dbdump {
namespace {

// Forwards bytes to an object writer but does not commit it on Finish():
// the dump is committed only after the tool reported success.
class UncommittedEnd : public Sink {
 public:
  explicit UncommittedEnd(ObjectWriter* w) : w_(w) {}
  absl::Status Write(const char* d, size_t n) override { return w_->Write(d, n); }
  absl::Status Finish() override { return absl::OkStatus(); }

 private:
  ObjectWriter* w_;
};

std::string ObjectName(const std::string& stem, const std::string& extension,
                       v1::Compression c, bool encrypted) {
  std::string suffix = CompressionSuffix(c);
  return absl::StrCat(stem, ".", extension, suffix.empty() ? "" : ".", suffix,
                      encrypted ? ".age" : "");
}

}  // namespace

absl::Status JobRunner::StoreDump(DumpSession* dump, Storage* storage, const std::string& key,
                                  const v1::BackupJob& job, v1::Compression codec,
                                  const std::shared_ptr<const AgeEncryptKeys>& keys,
                                  JobControl* tracker, v1::StoredObject* object) {
  tracker->SetCancelHook([dump] { dump->Cancel(); });
  // Stops the tool when the stream cannot even start.
  auto abandon = [&](const absl::Status& st) {
    dump->Cancel();
    (void)dump->Finish();  // the setup error is the cause, not the killed tool's
    tracker->ClearCancelHook();
    return st;
  };
  absl::StatusOr<std::unique_ptr<ObjectWriter>> writer = storage->NewWriter(key);
  if (!writer.ok()) {
    return abandon(absl::Status(writer.status().code(),
                                absl::StrCat("cannot write to storage: ",
                                             writer.status().message())));
  }
  UncommittedEnd end(writer->get());
  FilterChain chain;
  chain.AddSha256("raw");
  chain.AddCompressor(codec, job.compression_level(), options_.compression_workers);
  if (keys != nullptr) chain.AddEncryptor(keys);
  chain.AddSha256("stored");
  if (absl::Status st = chain.EndAt(&end); !st.ok()) return abandon(st);

  PumpOptions po = MakePumpOptions(tracker, [&chain] { return chain.bytes("stored"); });
  po.on_early_stop = [dump] { dump->Cancel(); };
  absl::Status pumped = Pump(dump->source(), chain.head(), po);
  absl::Status tool = dump->Finish();
  tracker->ClearCancelHook();
  tracker->SetProgress(chain.bytes("raw"), chain.bytes("stored"));
  if (tracker->cancel_flag()->load()) return absl::CancelledError("job cancelled");
  // A failed pump stopped the tool itself: its error (storage, compression)
  // is the cause. Otherwise the tool's own verdict decides.
  RETURN_IF_ERROR_PREPEND(pumped, "backup stream failed: ");
  RETURN_IF_ERROR(tool);
  RETURN_IF_ERROR_PREPEND((*writer)->Finish(), "cannot commit the dump to storage: ");
  object->set_dump_format(dump->dump_format());
  object->set_raw_size_bytes(chain.bytes("raw"));
  object->set_stored_size_bytes(chain.bytes("stored"));
  object->set_raw_sha256(chain.sha256_hex("raw"));
  object->set_stored_sha256(chain.sha256_hex("stored"));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Storage>> JobRunner::OpenJournaled(
    const std::string& job_id, const std::string& kind, const v1::StorageDestination& dest,
    const std::string& database, const std::string& backup_id, absl::Time lock_retain_until) {
  if (options_.journal != nullptr) {
    v1::WriteIntents intents;
    intents.set_job_id(job_id);
    intents.set_kind(kind);
    *intents.mutable_storage() = dest;
    intents.set_database(database);
    intents.set_backup_id(backup_id);
    intents.set_started_at(TimeToString(options_.clock->Now()));
    RETURN_IF_ERROR_PREPEND(options_.journal->Begin(intents),
                            "cannot journal the job's writes before starting it: ");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage, OpenStorage(dest, lock_retain_until));
  if (options_.journal == nullptr) return storage;
  return std::unique_ptr<Storage>(new JournaledStorage(std::move(storage), options_.journal, job_id));
}

absl::StatusOr<v1::Manifest> JobRunner::Backup(const v1::BackupJob& job, Engine* engine,
                                               JobControl* tracker) {
  const v1::DatabaseTarget& target = job.target();
  RETURN_IF_ERROR(ValidateResourceName("database name", target.name()));
  RETURN_IF_ERROR(ValidateId("backup id", job.backup_id()));
  RETURN_IF_ERROR(engine->ValidateDumpOptions(target.dump_options()));
  v1::Compression codec = EffectiveCompression(job.compression());
  absl::Time started = options_.clock->Now();
  // One date for every object of the backup, the manifest included.
  auto lock_until = job.lock_until().find(job.storage().name());
  ASSIGN_OR_RETURN(absl::Time locked_until,
                   ObjectLockRetainUntil(job.storage(),
                                         lock_until == job.lock_until().end() ? "" : lock_until->second,
                                         started));
  // Public keys only; a passphrase is read from its reference on this host.
  ASSIGN_OR_RETURN(std::shared_ptr<const AgeEncryptKeys> keys,
                   ResolveEncryptKeys(target.encryption()));
  const bool encrypted = keys != nullptr;
  ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage,
                   OpenJournaled(job.job_id(), "backup", job.storage(), target.name(),
                                 job.backup_id(), locked_until));
  std::string dir = BackupDir(job.storage().prefix(), target.name(), job.backup_id());

  tracker->SetRunning();
  v1::Manifest m;
  // Objects committed so far; removed again if the backup fails.
  std::vector<std::string> committed;
  absl::Status stored = [&]() -> absl::Status {
    // Further objects (PostgreSQL globals) first: they are small, and a
    // failure there costs no big dump.
    for (const std::string& role : engine->ExtraDumps(target)) {
      std::string context = absl::StrCat(role, ": ");
      ASSIGN_OR_RETURN_PREPEND(std::unique_ptr<DumpSession> extra,
                               engine->StartExtraDump(target, role, options_.work_dir), context);
      v1::StoredObject* o = m.add_extra_objects();
      o->set_role(role);
      o->set_object(ObjectName(role, extra->extension(), codec, encrypted));
      std::string key = absl::StrCat(dir, "/", o->object());
      RETURN_IF_ERROR_PREPEND(StoreDump(extra.get(), storage.get(), key, job, codec, keys, tracker, o),
                              context);
      committed.push_back(key);
    }
    ASSIGN_OR_RETURN(std::unique_ptr<DumpSession> dump,
                     engine->StartDump(target, options_.work_dir));
    v1::StoredObject main;
    main.set_object(ObjectName("dump", dump->extension(), codec, encrypted));
    std::string dump_key = absl::StrCat(dir, "/", main.object());
    RETURN_IF_ERROR(StoreDump(dump.get(), storage.get(), dump_key, job, codec, keys, tracker, &main));
    committed.push_back(dump_key);

    m.set_format_version(1);
    m.set_backup_id(job.backup_id());
    m.set_database(target.name());
    m.set_engine(engine->kind());
    m.set_server_version(dump->server_version());
    m.set_tool_version(dump->tool_version());
    m.set_dump_format(main.dump_format());
    m.set_compression(codec);
    // The level actually used, not 0 for "the codec's default".
    m.set_compression_level(EffectiveCompressionLevel(codec, job.compression_level()));
    m.set_dump_object(main.object());
    m.set_raw_size_bytes(main.raw_size_bytes());
    m.set_stored_size_bytes(main.stored_size_bytes());
    m.set_raw_sha256(main.raw_sha256());
    m.set_stored_sha256(main.stored_sha256());
    m.set_started_at(TimeToString(started));
    m.set_finished_at(TimeToString(options_.clock->Now()));
    m.set_job_id(job.job_id());
    m.set_agent(options_.agent_name);
    *m.mutable_dump_options() = target.dump_options();
    if (encrypted) *m.mutable_encryption() = ManifestEncryptionOf(target.encryption());
    for (v1::TableInfo& t : dump->tables()) *m.add_tables() = std::move(t);
    if (locked_until != absl::InfinitePast()) {
      m.set_locked_until(TimeToString(locked_until));
      m.set_lock_mode(job.storage().object_lock().mode());
    }
    // The manifest is the commit point: written last, and if it cannot be
    // written the dump goes too.
    RETURN_IF_ERROR_PREPEND(
        WriteSmallObject(storage.get(),
                         ManifestKey(job.storage().prefix(), target.name(), job.backup_id()),
                         ManifestToJson(m)),
        "cannot write the manifest: ");
    return absl::OkStatus();
  }();
  if (!stored.ok()) {
    // Best effort: what a failed removal leaves has no manifest, so it is
    // no backup; the job's own error is what the caller needs.
    for (const std::string& key : committed) {
      absl::Status removed = storage->Remove(key);
      if (!removed.ok()) {
        LogWarn("agent", "cannot remove ", key, " of the failed backup ", job.backup_id(), ": ",
                removed.message());
      }
    }
    return stored;
  }
  return m;
}

}  // namespace dbdump
