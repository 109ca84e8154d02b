// Runs backup and restore jobs through the data path. The runs live in
// their own files: backup_run.cc, restore_run.cc, test_restore.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/base/clock.h"
#include "common/engines/engine.h"
#include "common/engines/job_control.h"
#include "common/io/pump.h"
#include "common/storage/storage.h"
#include "common/storage/write_journal.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump {

struct AgeDecryptKeys;
struct AgeEncryptKeys;

struct JobRunnerOptions {
  std::string agent_name;
  // Private scratch space (pgpass files, sqlite snapshots).
  std::string work_dir;
  size_t buffer_bytes = 1 << 20;
  size_t buffers = 4;
  int compression_workers = 2;
  // Stamps the manifest's start and end times; null: DefaultClock().
  Clock* clock = nullptr;
  // Where each job notes what it is about to write (objects, temporary
  // files) before writing it; null: nothing is journaled (dbdumpctl's
  // bucket-only restore). Not owned.
  WriteJournal* journal = nullptr;
  // A copy destination that accepts no bytes for this long while a backup
  // waits for it is dropped from the pass (see FanOutOptions).
  absl::Duration copy_stall_timeout = absl::Minutes(5);
};

struct BackupDestination;

// Stateless apart from its options; thread-safe.
class JobRunner {
 public:
  explicit JobRunner(JobRunnerOptions options) : options_(std::move(options)) {
    if (options_.clock == nullptr) options_.clock = DefaultClock();
  }

  // dump tool -> raw sha256 -> compress -> [age encrypt, when the target
  // asks for it] -> stored sha256 -> storage, then the manifest last. On any
  // failure nothing stays in storage.
  //
  // job.copies(): the same stored bytes go to each copy destination in the
  // same pass (its own objects, its manifest after the primary's). A copy
  // that fails is dropped from the pass, what it got is removed and the
  // backup goes on; `copies` (when given) gets each copy's outcome.
  absl::StatusOr<dbdump::v1::Manifest> Backup(const dbdump::v1::BackupJob& job, Engine* engine,
                                              JobControl* tracker,
                                              std::vector<dbdump::v1::CopyResult>* copies = nullptr);

  // A copy job: reads the committed backup from job.source() and writes its
  // objects and then its manifest to job.destination(), checking every
  // object against the manifest as it passes (stored sha256 and size; the
  // raw ones too, decompressing beside the writer, unless the backup is
  // encrypted). A mismatch (DataLoss) commits nothing there. A backup
  // already committed at the destination is a success with nothing done.
  absl::StatusOr<dbdump::v1::CopyResult> Copy(const dbdump::v1::CopyJob& job, JobControl* tracker);

  // Reads the manifest and streams the stored dump into the engine in one
  // pass, checking both checksums; the last MiB is held back from the engine
  // until they match, so a corrupted backup is never committed.
  //
  // job.options(): a dry run checks every object of the backup and lets the
  // engine list the dump without touching a database; a test restore goes
  // into a scratch database the engine names, is checked against the tables
  // recorded at backup time and is dropped again whatever happened. What
  // they found goes into `report` (also when they fail).
  absl::Status Restore(const dbdump::v1::RestoreJob& job, Engine* engine, JobControl* tracker,
                       dbdump::v1::RestoreReport* report = nullptr);

  // Drops the scratch databases of test restores that an earlier agent
  // process did not finish (killed mid-restore): each is written down in
  // <work_dir>/scratch/ before it is created and crossed out once dropped.
  // Call at start-up, before any job runs. Returns how many were dropped.
  int SweepScratch(const std::map<dbdump::v1::Engine, std::unique_ptr<Engine>>& engines);

 private:
  // Pump options reporting progress to `tracker`: bytes read, and
  // `bytes_out()` for the bytes that left the chain.
  PumpOptions MakePumpOptions(JobControl* tracker, std::function<uint64_t()> bytes_out) const;
  // Starts the job's write journal entry and opens its storage, journaled.
  // Objects written are locked until `lock_retain_until` when the
  // destination has an Object Lock (ObjectLockRetainUntil); InfinitePast():
  // not locked.
  absl::StatusOr<std::unique_ptr<Storage>> OpenJournaled(
      const std::string& job_id, const std::string& kind,
      const dbdump::v1::StorageDestination& dest, const std::string& database,
      const std::string& backup_id, absl::Time lock_retain_until = absl::InfinitePast());
  // Streams one dump session into `object_name` of the backup in every
  // destination still in the pass and commits it (see Backup); fills the
  // sizes and digests of `object`. Fails when the primary fails.
  absl::Status StoreDump(DumpSession* dump, std::vector<BackupDestination>* dests,
                         const std::string& object_name, const dbdump::v1::BackupJob& job,
                         dbdump::v1::Compression codec,
                         const std::shared_ptr<const AgeEncryptKeys>& keys, JobControl* tracker,
                         dbdump::v1::StoredObject* object);
  // Discards the earlier, failed writes of the same copy that the journal
  // still lists, and their entries (see copy_run.cc).
  absl::Status TakeOverEarlierCopies(const dbdump::v1::CopyJob& job, Storage* to);
  // Copies one object of a backup (see Copy); commits it only when it
  // matched `expected`.
  absl::Status CopyObject(Storage* from, Storage* to, const std::string& from_key,
                          const std::string& to_key, const dbdump::v1::StoredObject& expected,
                          const dbdump::v1::Manifest& m, const std::string& backup_id,
                          JobControl* tracker);
  // Streams the dump into a session started on `target`, with the checksum
  // hold-back; returns the session's verdict. `after`, when set, runs once
  // the session succeeded; if it fails the session's work is undone where
  // the engine can (a database it created is dropped).
  // `keys`: the backup's decryption keys, null when it is not encrypted.
  absl::Status Apply(const dbdump::v1::RestoreJob& job, const dbdump::v1::Manifest& m,
                     const std::shared_ptr<const AgeDecryptKeys>& keys, Storage* storage,
                     const dbdump::v1::DatabaseTarget& target,
                     const dbdump::v1::RestoreOptions& options, Engine* engine,
                     JobControl* tracker, dbdump::v1::RestoreReport* report,
                     const std::function<absl::Status()>& after = nullptr);
  // Test restore: Apply into a scratch target, compare, drop.
  absl::Status TestRestore(const dbdump::v1::RestoreJob& job, const dbdump::v1::Manifest& m,
                           const std::shared_ptr<const AgeDecryptKeys>& keys, Storage* storage, Engine* engine, JobControl* tracker,
                           dbdump::v1::RestoreReport* report);
  JobRunnerOptions options_;
};

}  // namespace dbdump
