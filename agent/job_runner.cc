#include "agent/job_runner.h"

#include "agent/dump_read_back.h"

#include "absl/strings/str_cat.h"
#include "common/backup_layout.h"
#include "common/compression.h"
#include "common/hold_back_sink.h"
#include "common/names.h"
#include "common/sha256_filter.h"
#include "common/status_macros.h"

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

std::string DumpObjectName(const Engine& engine, v1::Compression c) {
  std::string suffix = CompressionSuffix(c);
  return absl::StrCat("dump.", engine.Extension(), suffix.empty() ? "" : ".", suffix);
}

}  // namespace

PumpOptions JobRunner::MakePumpOptions(JobTracker* tracker, const uint64_t* bytes_out) const {
  PumpOptions po;
  po.buffer_bytes = options_.buffer_bytes;
  po.buffers = options_.buffers;
  po.cancel = tracker->cancel_flag();
  po.on_progress = [tracker, bytes_out](uint64_t in) { tracker->SetProgress(in, *bytes_out); };
  return po;
}

absl::StatusOr<v1::Manifest> JobRunner::Backup(const v1::BackupJob& job, Engine* engine,
                                               JobTracker* tracker) {
  const v1::DatabaseTarget& target = job.target();
  RETURN_IF_ERROR(ValidateResourceName("database name", target.name()));
  RETURN_IF_ERROR(ValidateId("backup id", job.backup_id()));
  v1::Compression codec =
      job.compression() == v1::COMPRESSION_UNSPECIFIED ? v1::COMPRESSION_ZSTD : job.compression();
  ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage, OpenStorage(job.storage()));

  absl::Time started = absl::Now();
  tracker->SetRunning();
  ASSIGN_OR_RETURN(std::unique_ptr<DumpSession> dump, engine->StartDump(target, options_.work_dir));
  tracker->SetCancelHook([d = dump.get()] { d->Cancel(); });

  std::string dir = BackupDir(job.storage().prefix(), target.name(), job.backup_id());
  std::string dump_name = DumpObjectName(*engine, codec);
  std::string dump_key = absl::StrCat(dir, "/", dump_name);
  absl::StatusOr<std::unique_ptr<ObjectWriter>> writer = storage->NewWriter(dump_key);
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
  po.on_early_stop = [d = dump.get()] { d->Cancel(); };
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

  v1::Manifest m;
  m.set_format_version(1);
  m.set_backup_id(job.backup_id());
  m.set_database(target.name());
  m.set_engine(engine->kind());
  m.set_server_version(dump->server_version());
  m.set_tool_version(dump->tool_version());
  m.set_dump_format(engine->DumpFormat());
  m.set_compression(codec);
  m.set_compression_level(job.compression_level());
  m.set_dump_object(dump_name);
  m.set_raw_size_bytes(raw_hash.bytes());
  m.set_stored_size_bytes(stored_hash.bytes());
  m.set_raw_sha256(raw_hash.hex_digest());
  m.set_stored_sha256(stored_hash.hex_digest());
  m.set_started_at(TimeToString(started));
  m.set_finished_at(TimeToString(absl::Now()));
  m.set_job_id(job.job_id());
  m.set_agent(options_.agent_name);
  // The manifest is the commit point: written last, and if it cannot be
  // written the dump goes too.
  absl::Status committed = WriteSmallObject(
      storage.get(), ManifestKey(job.storage().prefix(), target.name(), job.backup_id()),
      ManifestToJson(m));
  if (!committed.ok()) {
    (void)storage->Remove(dump_key);
    return Annotate(committed, "cannot write the manifest");
  }
  return m;
}

absl::Status JobRunner::Restore(const v1::RestoreJob& job, Engine* engine, JobTracker* tracker) {
  RETURN_IF_ERROR(ValidateResourceName("database name", job.source_database()));
  RETURN_IF_ERROR(ValidateId("backup id", job.backup_id()));
  ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage, OpenStorage(job.storage()));
  ASSIGN_OR_RETURN(v1::Manifest m, ReadManifest(storage.get(), job.storage().prefix(),
                                                job.source_database(), job.backup_id()));
  if (m.engine() != engine->kind()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "backup ", job.backup_id(), " is a ", v1::Engine_Name(m.engine()),
        " backup and cannot be restored into a ", v1::Engine_Name(engine->kind()), " target"));
  }
  std::string dump_key = absl::StrCat(BackupDir(job.storage().prefix(), job.source_database(),
                                                job.backup_id()),
                                      "/", m.dump_object());
  tracker->SetRunning();

  ASSIGN_OR_RETURN(std::unique_ptr<RestoreSession> session,
                   engine->StartRestore(job.target(), m, options_.work_dir));
  tracker->SetCancelHook([s = session.get()] { s->Cancel(); });
  // stored object -> stored sha256 -> decompress -> raw sha256 -> count ->
  // hold back the tail -> restore tool.
  CountingSink counter(session->sink());
  HoldBackSink hold(&counter, kRestoreHoldBackBytes);
  absl::Status applied = [&]() -> absl::Status {
    PumpOptions po = MakePumpOptions(tracker, &counter.bytes);
    ASSIGN_OR_RETURN(ReadBackResult r,
                     ReadBackDump(storage.get(), dump_key, m.compression(), &hold, po));
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
    }
    session->Cancel();
    // The session's destructor undoes what it created; the tool never saw
    // the end of the stream, so it committed nothing.
    return absl::IsDataLoss(applied) ? Annotate(applied, "nothing was restored") : applied;
  }
  return session->Finish();
}

}  // namespace dbdump
