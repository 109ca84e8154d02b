// JobRunner's backup run: dump tool -> sha256(raw) -> compress ->
// JobRunner's backup run: dump tool -> sha256(raw) -> compress ->
// [age encrypt] -> sha256(stored) -> storage, and to every copy destination
// in the same pass, then the manifests last.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "common/crypto/age_settings.h"
#include "common/engines/backup_destination.h"
#include "common/engines/job_runner.h"
#include "common/io/compression.h"
#include "common/io/fan_out_sink.h"
#include "common/io/filter_chain.h"
#include "common/storage/backup_layout.h"
#include "common/storage/journaled_storage.h"
#include "common/storage/object_lock.h"
#include "common/storage/uncommitted_sink.h"

namespace dbdump {
namespace {

std::string ObjectName(const std::string& stem, const std::string& extension,
                       v1::Compression c, bool encrypted) {
  std::string suffix = CompressionSuffix(c);
  return absl::StrCat(stem, ".", extension, suffix.empty() ? "" : ".", suffix,
                      encrypted ? ".age" : "");
}

// Copy destinations: named, none the primary, none twice.
absl::Status ValidateCopies(const v1::BackupJob& job) {
  std::set<std::string> seen{job.storage().name()};
  for (const v1::StorageDestination& c : job.copies()) {
    RETURN_IF_ERROR(ValidateResourceName("copy storage name", c.name()));
    if (!seen.insert(c.name()).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "copy storage \"", c.name(), "\" is the primary storage or named twice: each "
          "destination is written once"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status JobRunner::StoreDump(DumpSession* dump, std::vector<BackupDestination>* dests,
                                  const std::string& object_name, const v1::BackupJob& job,
                                  v1::Compression codec,
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
  const std::string& database = job.target().name();
  // A writer per destination still in the pass (the primary first); a copy
  // whose writer cannot start is out of the pass, the backup goes on.
  std::vector<BackupDestination*> live;
  std::vector<std::unique_ptr<ObjectWriter>> writers;
  // UncommittedSink: the dump is committed only after the tool reported
  // success.
  std::vector<std::unique_ptr<UncommittedSink>> ends;
  for (BackupDestination& d : *dests) {
    if (!d.live()) continue;
    absl::StatusOr<std::unique_ptr<ObjectWriter>> w =
        d.storage->NewWriter(d.Key(database, job.backup_id(), object_name));
    if (!w.ok()) {
      if (d.primary) {
        return abandon(absl::Status(w.status().code(), absl::StrCat("cannot write to storage: ",
                                                                    w.status().message())));
      }
      d.status = absl::Status(w.status().code(),
                              absl::StrCat("cannot write ", object_name, ": ", w.status().message()));
      continue;
    }
    live.push_back(&d);
    writers.push_back(*std::move(w));
    ends.push_back(std::make_unique<UncommittedSink>(writers.back().get()));
  }
  // The fan-out is the chain's end, after every transforming stage: each
  // destination stores the same bytes. Declared after the writers, so it
  // stops its threads before any writer is aborted.
  std::optional<FanOutSink> fan;
  Sink* end = ends[0].get();
  if (ends.size() > 1) {
    std::vector<Sink*> copy_ends;
    for (size_t i = 1; i < ends.size(); ++i) copy_ends.push_back(ends[i].get());
    FanOutOptions fo;
    fo.copy_stall_timeout = options_.copy_stall_timeout;
    end = &fan.emplace(ends[0].get(), std::move(copy_ends), fo);
  }
  FilterChain chain;
  chain.AddSha256("raw");
  chain.AddCompressor(codec, job.compression_level(), options_.compression_workers);
  if (keys != nullptr) chain.AddEncryptor(keys);
  chain.AddSha256("stored");
  if (absl::Status st = chain.EndAt(end); !st.ok()) return abandon(st);

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
  RETURN_IF_ERROR_PREPEND(writers[0]->Finish(), "cannot commit the dump to storage: ");
  live[0]->committed.push_back(live[0]->Key(database, job.backup_id(), object_name));
  live[0]->stored_bytes += chain.bytes("stored");
  // The copies commit after the primary; a failed one is recorded and left
  // out from here on (its writer is aborted when `writers` goes).
  for (size_t i = 1; i < live.size(); ++i) {
    absl::Status st = fan->copy_status(i - 1);
    if (st.ok()) st = writers[i]->Finish();
    if (!st.ok()) {
      live[i]->status = absl::Status(st.code(), absl::StrCat("cannot store ", object_name, ": ",
                                                             st.message()));
      continue;
    }
    live[i]->committed.push_back(live[i]->Key(database, job.backup_id(), object_name));
    live[i]->stored_bytes += chain.bytes("stored");
  }
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
                                               JobControl* tracker,
                                               std::vector<v1::CopyResult>* copies) {
  const v1::DatabaseTarget& target = job.target();
  RETURN_IF_ERROR(ValidateResourceName("database name", target.name()));
  RETURN_IF_ERROR(ValidateId("backup id", job.backup_id()));
  RETURN_IF_ERROR(engine->ValidateDumpOptions(target.dump_options()));
  RETURN_IF_ERROR(ValidateCopies(job));
  v1::Compression codec = EffectiveCompression(job.compression());
  absl::Time started = options_.clock->Now();
  // Public keys only; a passphrase is read from its reference on this host.
  ASSIGN_OR_RETURN(std::shared_ptr<const AgeEncryptKeys> keys,
                   ResolveEncryptKeys(target.encryption()));
  const bool encrypted = keys != nullptr;
  // One Object Lock date per destination for every object of the backup,
  // its manifest included: the controller's (until retention) or the
  // destination's own period from the start.
  auto lock_date = [&](const v1::StorageDestination& d) {
    auto it = job.lock_until().find(d.name());
    return ObjectLockRetainUntil(d, it == job.lock_until().end() ? "" : it->second, started);
  };
  // The primary first: the backup is good when it commits there. Each copy
  // is journaled under its own entry (CopyJournalId) and opened the way the
  // primary is, so a storage's own settings (Object Lock) apply to it alike.
  std::vector<BackupDestination> dests(1);
  dests[0].config = job.storage();
  dests[0].primary = true;
  ASSIGN_OR_RETURN(dests[0].locked_until, lock_date(job.storage()));
  ASSIGN_OR_RETURN(dests[0].storage,
                   OpenJournaled(job.job_id(), "backup", job.storage(), target.name(),
                                 job.backup_id(), dests[0].locked_until));
  for (int i = 0; i < job.copies_size(); ++i) {
    const v1::StorageDestination& c = job.copies(i);
    BackupDestination& d = dests.emplace_back();
    d.config = c;
    absl::StatusOr<absl::Time> lock = lock_date(c);
    if (!lock.ok()) {
      d.status = lock.status();
      continue;
    }
    d.locked_until = *lock;
    absl::StatusOr<std::unique_ptr<Storage>> s =
        OpenJournaled(CopyJournalId(job.job_id(), i + 1), "copy", c, target.name(),
                      job.backup_id(), d.locked_until);
    if (s.ok()) {
      d.storage = *std::move(s);
    } else {
      d.status = absl::Status(s.status().code(),
                              absl::StrCat("cannot open the storage: ", s.status().message()));
    }
  }

  tracker->SetRunning();
  v1::Manifest m;
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
      RETURN_IF_ERROR_PREPEND(StoreDump(extra.get(), &dests, o->object(), job, codec, keys, tracker, o),
                              context);
    }
    ASSIGN_OR_RETURN(std::unique_ptr<DumpSession> dump,
                     engine->StartDump(target, options_.work_dir));
    v1::StoredObject main;
    main.set_object(ObjectName("dump", dump->extension(), codec, encrypted));
    RETURN_IF_ERROR(StoreDump(dump.get(), &dests, main.object(), job, codec, keys, tracker, &main));

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
    // Each destination's manifest records its own lock.
    auto manifest_for = [&m](const BackupDestination& d) {
      v1::Manifest dm = m;
      dm.clear_locked_until();
      dm.clear_lock_mode();
      if (d.locked_until != absl::InfinitePast()) {
        dm.set_locked_until(TimeToString(d.locked_until));
        dm.set_lock_mode(d.config.object_lock().mode());
      }
      return dm;
    };
    m = manifest_for(dests[0]);
    // The manifest is the commit point: written last, and if it cannot be
    // written the dump goes too. The primary's first: a copy's manifest
    // never stands for a backup that did not commit.
    RETURN_IF_ERROR_PREPEND(
        WriteSmallObject(dests[0].storage.get(),
                         ManifestKey(job.storage().prefix(), target.name(), job.backup_id()),
                         ManifestToJson(m)),
        "cannot write the manifest: ");
    for (size_t i = 1; i < dests.size(); ++i) {
      BackupDestination& d = dests[i];
      if (!d.live()) continue;
      absl::Status st = WriteSmallObject(
          d.storage.get(), ManifestKey(d.config.prefix(), target.name(), job.backup_id()),
          ManifestToJson(manifest_for(d)));
      if (!st.ok()) {
        d.status = absl::Status(st.code(),
                                absl::StrCat("cannot write the manifest: ", st.message()));
      }
    }
    return absl::OkStatus();
  }();
  // What a failed destination (every one, when the backup failed) holds is
  // removed again. Best effort: what a failed removal leaves has no
  // manifest, so it is no backup; the error that counts is the job's own.
  for (BackupDestination& d : dests) {
    if (stored.ok() && d.live()) continue;
    for (const std::string& key : d.committed) {
      absl::Status removed = d.storage->Remove(key);
      if (!removed.ok()) {
        LogWarn("agent", "cannot remove ", key, " of the failed ",
                d.primary ? "backup " : "copy of backup ", job.backup_id(), " in ",
                d.config.name(), ": ", removed.message());
      }
    }
    if (!d.primary && stored.ok()) {
      LogWarn("agent", "copy of backup ", job.backup_id(), " to ", d.config.name(),
              " failed: ", d.status.message());
    }
  }
  RETURN_IF_ERROR(stored);
  if (copies != nullptr) {
    for (size_t i = 1; i < dests.size(); ++i) {
      const BackupDestination& d = dests[i];
      v1::CopyResult& r = copies->emplace_back();
      r.set_storage(d.config.name());
      r.set_committed(d.live());
      r.set_error(std::string(d.status.message()));
      if (d.live()) {
        r.set_stored_size_bytes(m.stored_size_bytes());
        r.set_stored_sha256(m.stored_sha256());
        if (d.locked_until != absl::InfinitePast()) {
          r.set_locked_until(TimeToString(d.locked_until));
          r.set_lock_mode(d.config.object_lock().mode());
        }
      }
    }
  }
  return m;
}

}  // namespace dbdump
