// JobRunner's copy run: a committed backup's objects from its primary
// storage to a copy destination, checked on the way (stored sha256 of every
// object, and the raw sha256 through a decompressor beside the writer when
// the backup is not encrypted), then the manifest last.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "common/engines/dump_read_back.h"
#include "common/engines/job_runner.h"
#include "common/io/filter_chain.h"
#include "common/io/sha256_filter.h"
#include "common/io/tee_sink.h"
#include "common/storage/backup_layout.h"
#include "common/storage/object_lock.h"
#include "common/storage/uncommitted_sink.h"

namespace dbdump {
namespace {

// A check beside the writer: forwards to `next` until it fails, then keeps
// the error and takes the rest of the stream without looking at it, so the
// stream to the writer (and its stored checksum) goes on to the end and a
// corrupted object is named by its stored checksum first.
class SideCheck : public Sink {
 public:
  explicit SideCheck(Sink* next) : next_(next) {}
  absl::Status Write(const char* d, size_t n) override {
    if (status_.ok()) status_ = next_->Write(d, n);
    return absl::OkStatus();
  }
  absl::Status Finish() override {
    if (status_.ok()) status_ = next_->Finish();
    return absl::OkStatus();
  }
  const absl::Status& status() const { return status_; }

 private:
  Sink* next_;
  absl::Status status_;
};

}  // namespace

absl::Status JobRunner::CopyObject(Storage* from, Storage* to, const std::string& from_key,
                                   const std::string& to_key, const v1::StoredObject& expected,
                                   const v1::Manifest& m, const std::string& backup_id,
                                   JobControl* tracker) {
  ASSIGN_OR_RETURN(std::unique_ptr<ObjectReader> reader, from->NewReader(from_key));
  ASSIGN_OR_RETURN(std::unique_ptr<ObjectWriter> writer, to->NewWriter(to_key));
  UncommittedSink to_writer(writer.get());
  // Beside the writer: decompress -> raw sha256 -> nothing. An encrypted
  // backup's raw bytes cannot be reached without the identity, which no
  // agent holds: its stored checksum is checked alone.
  const bool encrypted = m.has_encryption();
  NullSink discard;
  FilterChain raw;
  if (!encrypted) {
    raw.AddDecompressor(m.compression());
    raw.AddSha256("raw");
    RETURN_IF_ERROR(raw.EndAt(&discard));
  }
  SideCheck raw_check(raw.head());
  TeeSink both(&to_writer, &raw_check);
  FilterChain stored;
  stored.AddSha256("stored");
  RETURN_IF_ERROR(stored.EndAt(encrypted ? static_cast<Sink*>(&to_writer) : &both));
  PumpOptions po = MakePumpOptions(tracker, [&stored] { return stored.bytes("stored"); });
  ReadBackResult r;
  r.pumped = Pump(reader.get(), stored.head(), po);
  if (r.pumped.ok() && !encrypted && !raw_check.status().ok()) {
    r.pumped = absl::Status(raw_check.status().code(),
                            absl::StrCat("decompressing it: ", raw_check.status().message()));
  }
  r.stored_sha256 = stored.sha256_hex("stored");
  r.stored_bytes = stored.bytes("stored");
  r.raw_sha256 = encrypted ? expected.raw_sha256() : raw.sha256_hex("raw");
  r.raw_bytes = encrypted ? expected.raw_size_bytes() : raw.bytes("raw");
  if (tracker->cancel_flag()->load()) return absl::CancelledError("job cancelled");
  // Nothing that does not match the manifest is ever committed: the writer
  // is aborted when it goes out of scope unfinished.
  RETURN_IF_ERROR(CheckReadBack(r, expected, backup_id));
  return writer->Finish();
}

absl::Status JobRunner::TakeOverEarlierCopies(const v1::CopyJob& job, Storage* to) {
  if (options_.journal == nullptr) return absl::OkStatus();
  for (const v1::WriteIntents& w : options_.journal->List()) {
    if (w.job_id() == job.job_id() || w.kind() != "copy" || w.backup_id() != job.backup_id() ||
        w.database() != job.database() || w.storage().name() != job.destination().name()) {
      continue;
    }
    // An earlier write of this copy (the backup's own pass, or a copy job)
    // that failed: its keys are the ones written now. Its unfinished
    // uploads go, and its entry with them, so that cleaning up after it
    // can never remove what this job commits under the same keys.
    for (const std::string& key : w.keys()) {
      RETURN_IF_ERROR_PREPEND(AbortIncompleteWritesOf(to, key).status(),
                              "cannot discard an earlier write of this copy: ");
    }
    RETURN_IF_ERROR(options_.journal->Clear(w.job_id()));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::CopyResult> JobRunner::Copy(const v1::CopyJob& job, JobControl* tracker) {
  RETURN_IF_ERROR(ValidateResourceName("database name", job.database()));
  RETURN_IF_ERROR(ValidateId("backup id", job.backup_id()));
  RETURN_IF_ERROR(ValidateResourceName("source storage name", job.source().name()));
  RETURN_IF_ERROR(ValidateResourceName("destination storage name", job.destination().name()));
  if (job.source().name() == job.destination().name()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "copy of backup ", job.backup_id(), " to storage \"", job.destination().name(),
        "\": that is where it is read from"));
  }
  v1::CopyResult result;
  result.set_storage(job.destination().name());
  ASSIGN_OR_RETURN_PREPEND(std::unique_ptr<Storage> from, OpenStorage(job.source()),
                           "cannot open the source storage: ");
  ASSIGN_OR_RETURN_PREPEND(
      v1::Manifest m, ReadManifest(from.get(), job.source().prefix(), job.database(), job.backup_id()),
      absl::StrCat("backup ", job.backup_id(), " in storage \"", job.source().name(), "\": "));
  // Locked like the backup's own pass would have: the controller's date
  // (until retention) or the destination's period from now.
  ASSIGN_OR_RETURN(absl::Time locked_until,
                   ObjectLockRetainUntil(job.destination(), job.lock_until(),
                                         options_.clock->Now()));
  ASSIGN_OR_RETURN(std::unique_ptr<Storage> to,
                   OpenJournaled(job.job_id(), "copy", job.destination(), job.database(),
                                 job.backup_id(), locked_until));
  RETURN_IF_ERROR(TakeOverEarlierCopies(job, to.get()));
  tracker->SetRunning();
  const std::string& to_prefix = job.destination().prefix();
  // Already committed there (e.g. by the backup's own pass, or an earlier
  // copy job whose outcome was lost): nothing to do.
  absl::StatusOr<v1::Manifest> there =
      ReadManifest(to.get(), to_prefix, job.database(), job.backup_id());
  if (there.ok() && there->stored_sha256() == m.stored_sha256() &&
      there->job_id() == m.job_id()) {
    LogInfo("agent", "backup ", job.backup_id(), " is already committed in ",
            job.destination().name(), ": nothing to copy");
    result.set_committed(true);
    result.set_stored_size_bytes(m.stored_size_bytes());
    result.set_stored_sha256(m.stored_sha256());
    return result;
  }
  std::vector<v1::StoredObject> objects(m.extra_objects().begin(), m.extra_objects().end());
  objects.push_back(MainObject(m));
  const std::string from_dir = BackupDir(job.source().prefix(), job.database(), job.backup_id());
  const std::string to_dir = BackupDir(to_prefix, job.database(), job.backup_id());
  std::vector<std::string> committed;
  absl::Status copied = [&]() -> absl::Status {
    for (const v1::StoredObject& o : objects) {
      std::string to_key = absl::StrCat(to_dir, "/", o.object());
      RETURN_IF_ERROR(ValidateObjectKey(to_key));
      RETURN_IF_ERROR(CopyObject(from.get(), to.get(), absl::StrCat(from_dir, "/", o.object()),
                                 to_key, o, m, job.backup_id(), tracker));
      committed.push_back(to_key);
    }
    // The copy's commit point, as in the backup's own pass; its manifest
    // records its own lock.
    v1::Manifest dm = m;
    dm.clear_locked_until();
    dm.clear_lock_mode();
    if (locked_until != absl::InfinitePast()) {
      dm.set_locked_until(TimeToString(locked_until));
      dm.set_lock_mode(job.destination().object_lock().mode());
      result.set_locked_until(dm.locked_until());
      result.set_lock_mode(dm.lock_mode());
    }
    return WriteSmallObject(to.get(), ManifestKey(to_prefix, job.database(), job.backup_id()),
                            ManifestToJson(dm));
  }();
  if (!copied.ok()) {
    // Best effort, as a failed backup's: objects without a manifest are no
    // copy, and the agent's sweeper removes what this leaves.
    for (const std::string& key : committed) {
      if (absl::Status st = to->Remove(key); !st.ok()) {
        LogWarn("agent", "cannot remove ", key, " of the failed copy: ", st.message());
      }
    }
    return copied;
  }
  result.set_committed(true);
  result.set_stored_size_bytes(m.stored_size_bytes());
  result.set_stored_sha256(m.stored_sha256());
  return result;
}

}  // namespace dbdump
