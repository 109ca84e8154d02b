#include "common/engines/job_runner.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/engines/dump_read_back.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/storage/backup_layout.h"
#include "common/io/compression.h"
#include "common/io/hold_back_sink.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/io/sha256_filter.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace {

// Larger than any block a restore tool could finish with: it never reaches
// the end of the stream before the checksums are checked.
constexpr size_t kRestoreHoldBackBytes = 1 << 20;

// Forwards bytes to an object writer but does not commit it on Finish():
// the dump is committed only after the tool reported success.
class UncommittedEnd : public Sink {
 public:
  explicit UncommittedEnd(ObjectWriter* w) : w_(w) {}
  absl::Status Write(const char* d, size_t n) override {
    bytes += n;
    return w_->Write(d, n);
  }
  absl::Status Finish() override { return absl::OkStatus(); }
  uint64_t bytes = 0;

 private:
  ObjectWriter* w_;
};

// Counts bytes on their way to the restore target.
class CountingSink : public Sink {
 public:
  explicit CountingSink(Sink* next) : next_(next) {}
  absl::Status Write(const char* d, size_t n) override {
    bytes += n;
    return next_->Write(d, n);
  }
  absl::Status Finish() override { return next_->Finish(); }
  uint64_t bytes = 0;

 private:
  Sink* next_;
};

absl::Status Annotate(const absl::Status& s, const std::string& what) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(what, ": ", s.message()));
}

std::string ObjectName(const std::string& stem, const std::string& extension,
                       v1::Compression c) {
  std::string suffix = CompressionSuffix(c);
  return absl::StrCat(stem, ".", extension, suffix.empty() ? "" : ".", suffix);
}

// A RestoreOptions field set on the job that the engine does not honour.
// Records a scratch target before it is created (0600, fsynced).
absl::Status WriteLedger(const std::string& path, const v1::DatabaseTarget& scratch) {
  int fd = -1;
  // Twice: another job may remove the emptied directory in between.
  for (int attempt = 0; attempt < 2 && fd < 0; ++attempt) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  }
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot create ", path, ": ", strerror(errno)));
  std::string bytes = scratch.SerializeAsString();
  bool ok = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()) &&
            ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok) return absl::InternalError(absl::StrCat("cannot write ", path, ": ", strerror(err)));
  return absl::OkStatus();
}

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
      {o.test_restore(), "test_restore"}, {o.no_create(), "no_create"}};
  for (const auto& [set, name] : used) {
    if (set && !supported(name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "restore option ", name, " is not supported for ", v1::Engine_Name(engine.kind())));
    }
  }
  if (o.dry_run() && o.test_restore()) {
    return absl::InvalidArgumentError("a restore is either a dry run or a test restore, not both");
  }
  return absl::OkStatus();
}

}  // namespace

PumpOptions JobRunner::MakePumpOptions(JobControl* tracker, const uint64_t* bytes_out) const {
  PumpOptions po;
  po.buffer_bytes = options_.buffer_bytes;
  po.buffers = options_.buffers;
  po.cancel = tracker->cancel_flag();
  po.on_progress = [tracker, bytes_out](uint64_t in) { tracker->SetProgress(in, *bytes_out); };
  return po;
}

absl::Status JobRunner::StoreDump(DumpSession* dump, Storage* storage, const std::string& key,
                                  const v1::BackupJob& job, v1::Compression codec,
                                  JobControl* tracker, v1::StoredObject* object) {
  tracker->SetCancelHook([dump] { dump->Cancel(); });
  absl::StatusOr<std::unique_ptr<ObjectWriter>> writer = storage->NewWriter(key);
  if (!writer.ok()) {
    dump->Cancel();
    (void)dump->Finish();
    tracker->ClearCancelHook();
    return Annotate(writer.status(), "cannot write to storage");
  }
  UncommittedEnd end(writer->get());
  Sha256Filter stored_hash(&end);
  auto compressor = MakeCompressor(codec, job.compression_level(), options_.compression_workers,
                                   &stored_hash);
  if (!compressor.ok()) {
    dump->Cancel();
    (void)dump->Finish();
    tracker->ClearCancelHook();
    return compressor.status();
  }
  Sha256Filter raw_hash(compressor->get());

  PumpOptions po = MakePumpOptions(tracker, &end.bytes);
  po.on_early_stop = [dump] { dump->Cancel(); };
  absl::Status pumped = Pump(dump->source(), &raw_hash, po);
  absl::Status tool = dump->Finish();
  tracker->ClearCancelHook();
  tracker->SetProgress(raw_hash.bytes(), end.bytes);
  if (tracker->cancel_flag()->load()) return absl::CancelledError("job cancelled");
  // A failed pump stopped the tool itself: its error (storage, compression)
  // is the cause. Otherwise the tool's own verdict decides.
  RETURN_IF_ERROR(Annotate(pumped, "backup stream failed"));
  RETURN_IF_ERROR(tool);
  RETURN_IF_ERROR(Annotate((*writer)->Finish(), "cannot commit the dump to storage"));
  object->set_dump_format(dump->dump_format());
  object->set_raw_size_bytes(raw_hash.bytes());
  object->set_stored_size_bytes(stored_hash.bytes());
  object->set_raw_sha256(raw_hash.hex_digest());
  object->set_stored_sha256(stored_hash.hex_digest());
  return absl::OkStatus();
}

absl::StatusOr<v1::Manifest> JobRunner::Backup(const v1::BackupJob& job, Engine* engine,
                                               JobControl* tracker) {
  const v1::DatabaseTarget& target = job.target();
  RETURN_IF_ERROR(ValidateResourceName("database name", target.name()));
  RETURN_IF_ERROR(ValidateId("backup id", job.backup_id()));
  RETURN_IF_ERROR(engine->ValidateDumpOptions(target.dump_options()));
  v1::Compression codec =
      job.compression() == v1::COMPRESSION_UNSPECIFIED ? v1::COMPRESSION_ZSTD : job.compression();
  ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage, OpenStorage(job.storage()));
  std::string dir = BackupDir(job.storage().prefix(), target.name(), job.backup_id());

  absl::Time started = absl::Now();
  tracker->SetRunning();
  v1::Manifest m;
  // Objects committed so far; removed again if the backup fails.
  std::vector<std::string> committed;
  auto fail = [&](absl::Status st) {
    for (const std::string& key : committed) (void)storage->Remove(key);
    return st;
  };
  // Further objects (PostgreSQL globals) first: they are small, and a
  // failure there costs no big dump.
  for (const std::string& role : engine->ExtraDumps(target)) {
    absl::StatusOr<std::unique_ptr<DumpSession>> extra =
        engine->StartExtraDump(target, role, options_.work_dir);
    if (!extra.ok()) return fail(Annotate(extra.status(), role));
    v1::StoredObject* o = m.add_extra_objects();
    o->set_role(role);
    o->set_object(ObjectName(role, (*extra)->extension(), codec));
    std::string key = absl::StrCat(dir, "/", o->object());
    absl::Status st = StoreDump(extra->get(), storage.get(), key, job, codec, tracker, o);
    if (!st.ok()) return fail(Annotate(st, role));
    committed.push_back(key);
  }
  absl::StatusOr<std::unique_ptr<DumpSession>> dump =
      engine->StartDump(target, options_.work_dir);
  if (!dump.ok()) return fail(dump.status());
  v1::StoredObject main;
  main.set_object(ObjectName("dump", (*dump)->extension(), codec));
  std::string dump_key = absl::StrCat(dir, "/", main.object());
  if (absl::Status st = StoreDump(dump->get(), storage.get(), dump_key, job, codec, tracker, &main);
      !st.ok()) {
    return fail(st);
  }
  committed.push_back(dump_key);

  m.set_format_version(1);
  m.set_backup_id(job.backup_id());
  m.set_database(target.name());
  m.set_engine(engine->kind());
  m.set_server_version((*dump)->server_version());
  m.set_tool_version((*dump)->tool_version());
  m.set_dump_format(main.dump_format());
  m.set_compression(codec);
  m.set_compression_level(job.compression_level());
  m.set_dump_object(main.object());
  m.set_raw_size_bytes(main.raw_size_bytes());
  m.set_stored_size_bytes(main.stored_size_bytes());
  m.set_raw_sha256(main.raw_sha256());
  m.set_stored_sha256(main.stored_sha256());
  m.set_started_at(TimeToString(started));
  m.set_finished_at(TimeToString(absl::Now()));
  m.set_job_id(job.job_id());
  m.set_agent(options_.agent_name);
  *m.mutable_dump_options() = target.dump_options();
  for (v1::TableInfo& t : (*dump)->tables()) *m.add_tables() = std::move(t);
  // The manifest is the commit point: written last, and if it cannot be
  // written the dump goes too.
  absl::Status written = WriteSmallObject(
      storage.get(), ManifestKey(job.storage().prefix(), target.name(), job.backup_id()),
      ManifestToJson(m));
  if (!written.ok()) return fail(Annotate(written, "cannot write the manifest"));
  return m;
}

absl::Status JobRunner::Apply(const v1::RestoreJob& job, const v1::Manifest& m, Storage* storage,
                              const v1::DatabaseTarget& target, const v1::RestoreOptions& options,
                              Engine* engine, JobControl* tracker, v1::RestoreReport* report) {
  std::string dump_key = absl::StrCat(BackupDir(job.storage().prefix(), job.source_database(),
                                                job.backup_id()),
                                      "/", m.dump_object());
  ASSIGN_OR_RETURN(std::unique_ptr<RestoreSession> session,
                   engine->StartRestore(target, m, options, options_.work_dir));
  tracker->SetCancelHook([s = session.get()] { s->Cancel(); });
  // stored object -> stored sha256 -> decompress -> raw sha256 -> count ->
  // hold back the tail -> restore tool.
  CountingSink counter(session->sink());
  HoldBackSink hold(&counter, kRestoreHoldBackBytes);
  absl::Status applied = [&]() -> absl::Status {
    PumpOptions po = MakePumpOptions(tracker, &counter.bytes);
    ASSIGN_OR_RETURN(ReadBackResult r,
                     ReadBackDump(storage, dump_key, m.compression(), &hold, po));
    if (tracker->cancel_flag()->load()) return absl::CancelledError("job cancelled");
    if (absl::IsAborted(r.pumped)) return r.pumped;  // the tool stopped reading
    RETURN_IF_ERROR(CheckReadBack(r, m, job.backup_id()));
    // Verified: only now may the tool see the end of the stream.
    RETURN_IF_ERROR(hold.Release());
    tracker->SetProgress(r.stored_bytes, counter.bytes);
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
    return absl::IsDataLoss(applied) ? Annotate(applied, "nothing was restored") : applied;
  }
  tracker->SetCancelHook([s = session.get()] { s->Cancel(); });
  absl::Status finished = session->Finish();
  tracker->ClearCancelHook();
  if (tracker->cancel_flag()->load() && !finished.ok()) return absl::CancelledError("job cancelled");
  RETURN_IF_ERROR(finished);
  report->set_listed_entries(session->listed_entries());
  report->set_summary(session->summary());
  return absl::OkStatus();
}

absl::Status JobRunner::TestRestore(const v1::RestoreJob& job, const v1::Manifest& m,
                                    Storage* storage, Engine* engine, JobControl* tracker,
                                    v1::RestoreReport* report) {
  if (m.dump_options().data_only()) {
    return absl::FailedPreconditionError(
        "a data-only backup has no tables to restore into: test-restore a full or schema "
        "backup of the database instead");
  }
  ASSIGN_OR_RETURN(v1::DatabaseTarget scratch,
                   engine->ScratchTarget(job.target(), job.job_id(), options_.work_dir));
  report->set_scratch_database(scratch.database().empty() ? scratch.path() : scratch.database());
  // Written down before it exists, so an agent killed meanwhile drops it
  // when it starts again (SweepScratch).
  std::string ledger = absl::StrCat(options_.work_dir, "/scratch/", job.job_id());
  RETURN_IF_ERROR(Annotate(WriteLedger(ledger, scratch), "cannot record the scratch database"));
  // A scratch target left by an earlier attempt of this job goes first.
  RETURN_IF_ERROR(Annotate(engine->DropScratch(scratch), "cannot clear the scratch database"));
  absl::Status st = [&]() -> absl::Status {
    v1::RestoreOptions options;  // a fresh database: nothing to clean
    options.set_jobs(job.options().jobs());
    RETURN_IF_ERROR(Apply(job, m, storage, scratch, options, engine, tracker, report));
    ASSIGN_OR_RETURN(std::vector<v1::TableInfo> restored, engine->InspectTables(scratch));
    std::vector<std::string> problems;
    for (const v1::TableInfo& want : m.tables()) {
      v1::TableCheck* c = report->add_tables();
      c->set_name(want.name());
      c->set_expected_rows(want.rows());
      c->set_restored_rows(-1);
      for (const v1::TableInfo& got : restored) {
        if (got.name() == want.name()) c->set_restored_rows(got.rows());
      }
      bool present = c->restored_rows() >= 0;
      c->set_ok(present && (want.rows() < 0 || want.rows() == c->restored_rows()));
      if (!present) {
        problems.push_back(absl::StrCat("table ", want.name(), " is missing"));
      } else if (!c->ok()) {
        problems.push_back(absl::StrCat("table ", want.name(), " has ", c->restored_rows(),
                                        " rows, ", want.rows(), " at backup time"));
      }
    }
    int64_t rows = 0;
    for (const v1::TableInfo& got : restored) rows += std::max<int64_t>(got.rows(), 0);
    if (m.tables().empty()) {
      // Nothing recorded at backup time: report what the restore holds.
      for (const v1::TableInfo& got : restored) {
        v1::TableCheck* c = report->add_tables();
        c->set_name(got.name());
        c->set_expected_rows(-1);
        c->set_restored_rows(got.rows());
        c->set_ok(true);
      }
    }
    report->set_summary(absl::StrCat(restored.size(), " tables with ", rows, " rows restored into ",
                                     report->scratch_database(), problems.empty() ? "; checks passed" : ""));
    if (!problems.empty()) {
      return absl::DataLossError(absl::StrCat("test restore of backup ", job.backup_id(),
                                              " found ", problems.size(), " problem",
                                              problems.size() == 1 ? "" : "s", ": ",
                                              absl::StrJoin(problems, "; ")));
    }
    return absl::OkStatus();
  }();
  // Whatever happened, the scratch database goes.
  absl::Status dropped = engine->DropScratch(scratch);
  report->set_scratch_dropped(dropped.ok());
  if (dropped.ok()) {
    ::unlink(ledger.c_str());
    ::rmdir(absl::StrCat(options_.work_dir, "/scratch").c_str());  // only when empty
  }
  RETURN_IF_ERROR(st);
  return Annotate(dropped, "test restore passed but the scratch database could not be dropped");
}

int JobRunner::SweepScratch(const std::map<v1::Engine, std::unique_ptr<Engine>>& engines) {
  std::string dir = absl::StrCat(options_.work_dir, "/scratch");
  std::error_code ec;
  int dropped = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::ifstream in(entry.path(), std::ios::binary);
    v1::DatabaseTarget scratch;
    if (!scratch.ParseFromIstream(&in)) continue;
    auto engine = engines.find(scratch.engine());
    if (engine == engines.end()) continue;
    absl::Status st = engine->second->DropScratch(scratch);
    std::string what = scratch.database().empty() ? scratch.path() : scratch.database();
    if (!st.ok()) {
      LogWarn("agent", "cannot drop scratch database ", what, " of an unfinished test restore: ",
              st.message(), "; will try again at the next start");
      continue;
    }
    LogInfo("agent", "dropped scratch database ", what, " of an unfinished test restore");
    std::filesystem::remove(entry.path(), ec);
    ++dropped;
  }
  return dropped;
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
  ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage, OpenStorage(job.storage()));
  ASSIGN_OR_RETURN(v1::Manifest m, ReadManifest(storage.get(), job.storage().prefix(),
                                                job.source_database(), job.backup_id()));
  if (m.engine() != engine->kind()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "backup ", job.backup_id(), " is a ", v1::Engine_Name(m.engine()),
        " backup and cannot be restored into a ", v1::Engine_Name(engine->kind()), " target"));
  }
  tracker->SetRunning();
  if (options.test_restore()) {
    return TestRestore(job, m, storage.get(), engine, tracker, report);
  }
  if (options.dry_run()) {
    // Every further object is read back through its checksums too.
    std::string dir = BackupDir(job.storage().prefix(), job.source_database(), job.backup_id());
    for (const v1::StoredObject& o : m.extra_objects()) {
      NullSink discard;
      uint64_t none = 0;
      ASSIGN_OR_RETURN(ReadBackResult r,
                       ReadBackDump(storage.get(), absl::StrCat(dir, "/", o.object()),
                                    m.compression(), &discard, MakePumpOptions(tracker, &none)));
      RETURN_IF_ERROR(CheckReadBack(r, o, job.backup_id()));
    }
  }
  RETURN_IF_ERROR(Apply(job, m, storage.get(), job.target(), options, engine, tracker, report));
  if (options.dry_run()) {
    report->set_summary(absl::StrCat("checksums match (", 1 + m.extra_objects_size(),
                                     " object", m.extra_objects_size() ? "s" : "", "); ",
                                     report->summary()));
  }
  return absl::OkStatus();
}

}  // namespace dbdump
