// JobRunner's restore run: stored object -> sha256(stored) -> [age decrypt]
// -> decompress ->
// sha256(raw) -> hold back the tail -> restore tool, committed only when
// both checksums match.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "common/crypto/age_settings.h"
#include "common/engines/dump_read_back.h"
#include "common/engines/job_runner.h"
#include "common/io/filter_chain.h"
#include "common/io/memory_io.h"
#include "common/io/sha256_filter.h"
#include "common/storage/backup_layout.h"

namespace dbdump {
namespace {

// Larger than any block a restore tool could finish with: it never reaches
// the end of the stream before the checksums are checked.
constexpr size_t kRestoreHoldBackBytes = 1 << 20;

// Further objects a restore applies are read whole: globals of a cluster
// with many thousands of roles stay far below this.
constexpr size_t kMaxExtraBytes = 256 << 20;

// A RestoreOptions field set on the job that the engine does not honour.
absl::Status CheckRestoreOptions(const v1::RestoreOptions& o, const Engine& engine) {
  v1::EngineCapabilities caps = engine.Capabilities();
  auto supported = [&](const std::string& name) {
    for (const std::string& s : caps.restore_options()) {
      if (s == name) return true;
    }
    return false;
  };
  std::vector<std::pair<bool, std::string>> used = {
      {o.clean(), "clean"}, {o.dry_run(), "dry_run"}, {o.jobs() > 1, "jobs"},
      {o.test_restore(), "test_restore"}, {o.no_create(), "no_create"},
      {o.no_owner(), "no_owner"}, {o.no_privileges(), "no_privileges"},
      {!o.owner().empty(), "owner"},
      {o.definers() != v1::DEFINER_MODE_UNSPECIFIED, "definers"},
      {o.globals() != v1::GLOBALS_MODE_UNSPECIFIED, "globals"},
      {o.no_database_settings(), "no_database_settings"}};
  for (const auto& [set, name] : used) {
    if (set && !supported(name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "restore option ", name, " is not supported for ", v1::Engine_Name(engine.kind())));
    }
  }
  if ((o.dry_run() || o.test_restore()) && o.globals() != v1::GLOBALS_MODE_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        "globals are applied only by a restore into a real target, not a dry run or test restore");
  }
  if (o.dry_run() && o.test_restore()) {
    return absl::InvalidArgumentError("a restore is either a dry run or a test restore, not both");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status JobRunner::Apply(const v1::RestoreJob& job, const v1::Manifest& m,
                              const std::shared_ptr<const AgeDecryptKeys>& keys, Storage* storage,
                              const v1::DatabaseTarget& target, const v1::RestoreOptions& options,
                              Engine* engine, JobControl* tracker, v1::RestoreReport* report,
                              const std::function<absl::Status()>& after) {
  std::string dump_key = absl::StrCat(BackupDir(job.storage().prefix(), job.source_database(),
                                                job.backup_id()),
                                      "/", m.dump_object());
  if (options_.journal != nullptr) {
    for (const std::string& path : engine->RestoreTempFiles(target, m, options)) {
      RETURN_IF_ERROR_PREPEND(options_.journal->NoteLocalFile(job.job_id(), path),
                              "cannot journal the restore's temporary file before creating it: ");
    }
  }
  ASSIGN_OR_RETURN(std::unique_ptr<RestoreSession> session,
                   engine->StartRestore(target, m, options, options_.work_dir));
  tracker->SetCancelHook([s = session.get()] { s->Cancel(); });
  // The checked read-back (stored sha256 -> decompress -> raw sha256) feeds
  // this chain: hold back the tail -> count -> restore tool.
  FilterChain to_tool;
  to_tool.AddHoldBack(kRestoreHoldBackBytes);
  to_tool.AddCounter("restored");
  absl::Status applied = [&]() -> absl::Status {
    RETURN_IF_ERROR(to_tool.EndAt(session->sink()));
    PumpOptions po = MakePumpOptions(tracker, [&to_tool] { return to_tool.bytes("restored"); });
    ASSIGN_OR_RETURN(ReadBackResult r,
                     ReadBackDump(storage, dump_key, m.compression(), keys, to_tool.head(), po));
    if (tracker->cancel_flag()->load()) return absl::CancelledError("job cancelled");
    if (absl::IsAborted(r.pumped)) return r.pumped;  // the tool stopped reading
    RETURN_IF_ERROR(CheckReadBack(r, m, job.backup_id()));
    // Verified: only now may the tool see the end of the stream.
    RETURN_IF_ERROR(to_tool.ReleaseHoldBack());
    tracker->SetProgress(r.stored_bytes, to_tool.bytes("restored"));
    return absl::OkStatus();
  }();
  tracker->ClearCancelHook();
  if (!applied.ok()) {
    if (absl::IsAborted(applied)) {
      // The restore tool stopped reading: its own error says why.
      absl::Status tool = session->Finish();
      if (!tool.ok()) return tool;
      // It ended well before the stream did, so before the checksums were
      // checked: whatever it applied is not trusted.
      session->Undo();
      return absl::DataLossError(absl::StrCat(
          "the restore tool ended before the end of backup ", job.backup_id(),
          ", before its checksums could be checked: the backup is damaged or not a complete "
          "dump; verify it with `dbdumpctl backup verify`"));
    }
    session->Cancel();
    // The session's destructor undoes what it created; the tool never saw
    // the end of the stream, so it committed nothing.
    if (absl::IsDataLoss(applied)) {
      return absl::DataLossError(absl::StrCat("nothing was restored: ", applied.message()));
    }
    return applied;
  }
  tracker->SetCancelHook([s = session.get()] { s->Cancel(); });
  absl::Status finished = session->Finish();
  tracker->ClearCancelHook();
  if (tracker->cancel_flag()->load() && !finished.ok()) return absl::CancelledError("job cancelled");
  RETURN_IF_ERROR(finished);
  if (after) {
    absl::Status done = after();
    if (!done.ok()) {
      // What the session created (a new database) goes again.
      session->Undo();
      return done;
    }
  }
  report->set_listed_entries(session->listed_entries());
  report->set_summary(session->summary());
  return absl::OkStatus();
}

absl::Status JobRunner::Restore(const v1::RestoreJob& job, Engine* engine, JobControl* tracker,
                                v1::RestoreReport* report) {
  v1::RestoreReport unused;
  if (report == nullptr) report = &unused;
  const v1::RestoreOptions& options = job.options();
  report->set_dry_run(options.dry_run());
  report->set_test_restore(options.test_restore());
  RETURN_IF_ERROR(ValidateResourceName("database name", job.source_database()));
  RETURN_IF_ERROR(ValidateId("backup id", job.backup_id()));
  RETURN_IF_ERROR(CheckRestoreOptions(options, *engine));
  ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage,
                   OpenJournaled(job.job_id(), "restore", job.storage(), job.source_database(),
                                 job.backup_id()));
  ASSIGN_OR_RETURN(v1::Manifest m, ReadManifest(storage.get(), job.storage().prefix(),
                                                job.source_database(), job.backup_id()));
  if (m.engine() != engine->kind()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "backup ", job.backup_id(), " is a ", v1::Engine_Name(m.engine()),
        " backup and cannot be restored into a ", v1::Engine_Name(engine->kind()), " target"));
  }
  std::string dir = BackupDir(job.storage().prefix(), job.source_database(), job.backup_id());
  // An encrypted backup: the identity is resolved on this host and checked
  // against the dump's header before anything is restored.
  ASSIGN_OR_RETURN(std::shared_ptr<const AgeDecryptKeys> keys,
                   ResolveDecryptKeys(m, options.identity_ref()));
  if (keys != nullptr) {
    RETURN_IF_ERROR(CheckDumpKeys(storage.get(), absl::StrCat(dir, "/", m.dump_object()), *keys,
                                  job.backup_id()));
  }
  tracker->SetRunning();
  if (options.test_restore()) {
    return TestRestore(job, m, keys, storage.get(), engine, tracker, report);
  }
  if (options.dry_run()) {
    // Every further object is read back through its checksums too.
    for (const v1::StoredObject& o : m.extra_objects()) {
      NullSink discard;
      ASSIGN_OR_RETURN(ReadBackResult r,
                       ReadBackDump(storage.get(), absl::StrCat(dir, "/", o.object()),
                                    m.compression(), keys, &discard,
                                    MakePumpOptions(tracker, [] { return uint64_t{0}; })));
      RETURN_IF_ERROR(CheckReadBack(r, o, job.backup_id()));
    }
  }
  // The further objects this restore applies, read whole and checked first.
  std::vector<std::pair<RestoreExtra, std::string>> extras;
  if (!options.dry_run()) {
    for (const RestoreExtra& e : engine->RestoreExtras(m, options)) {
      const v1::StoredObject* object = nullptr;
      for (const v1::StoredObject& o : m.extra_objects()) {
        if (o.role() == e.role) object = &o;
      }
      if (object == nullptr) {
        if (!e.required) continue;
        return absl::FailedPreconditionError(absl::StrCat(
            "backup ", job.backup_id(), " holds no ", e.role, ": ", e.missing_hint));
      }
      BoundedStringSink raw(kMaxExtraBytes);
      ASSIGN_OR_RETURN_PREPEND(
          ReadBackResult r,
          ReadBackDump(storage.get(), absl::StrCat(dir, "/", object->object()), m.compression(),
                       keys, &raw, MakePumpOptions(tracker, [] { return uint64_t{0}; })),
          absl::StrCat(e.role, ": "));
      RETURN_IF_ERROR(CheckReadBack(r, *object, job.backup_id()));
      extras.emplace_back(e, raw.Take());
    }
  }
  auto apply_stage = [&](RestoreExtra::Stage stage) -> absl::Status {
    for (const auto& [e, raw] : extras) {
      if (e.stage != stage) continue;
      std::vector<std::string> notes;
      absl::Status st = engine->ApplyExtra(job.target(), e, raw, options, &notes);
      for (std::string& n : notes) report->add_notes(std::move(n));
      RETURN_IF_ERROR_PREPEND(st, absl::StrCat(e.role, ": "));
    }
    return absl::OkStatus();
  };
  auto check_stage = [&](RestoreExtra::Stage stage) -> absl::Status {
    for (const auto& [e, raw] : extras) {
      if (e.stage != stage) continue;
      RETURN_IF_ERROR_PREPEND(engine->CheckExtra(job.target(), e, raw, options),
                              absl::StrCat(e.role, ": "));
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(check_stage(RestoreExtra::Stage::kBeforeDump));
  RETURN_IF_ERROR(apply_stage(RestoreExtra::Stage::kBeforeDump));
  RETURN_IF_ERROR(check_stage(RestoreExtra::Stage::kAfterDump));
  std::function<absl::Status()> after;
  if (!extras.empty()) after = [&] { return apply_stage(RestoreExtra::Stage::kAfterDump); };
  RETURN_IF_ERROR(
      Apply(job, m, keys, storage.get(), job.target(), options, engine, tracker, report, after));
  if (options.dry_run()) {
    report->set_summary(absl::StrCat("checksums match (", 1 + m.extra_objects_size(),
                                     " object", m.extra_objects_size() ? "s" : "", "); ",
                                     report->summary()));
  }
  return absl::OkStatus();
}

}  // namespace dbdump
