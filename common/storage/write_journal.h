// WriteJournal: what each job is about to write, on disk before it writes
// it, so that whatever a killed job leaves behind can be found and removed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "dbdump/v1/agent_service.pb.h"

namespace dbdump {

// The journal entry of backup job `job_id`'s copy to its `index`th copy
// destination (from 1): a job writes to each destination under an entry of
// its own, which names that destination.
std::string CopyJournalId(const std::string& job_id, int index);
// The job of a copy's entry; empty for an entry that is not a copy's.
std::string JobOfCopyJournalId(const std::string& id);

// One file per job, <dir>/<job_id>.json (a WriteIntents message as JSON),
// replaced atomically and fsynced on every change: a note is durable before
// the write it announces starts. The entry lives until the job has ended
// and its leftovers are gone (Clear). Thread-safe.
class WriteJournal {
 public:
  explicit WriteJournal(std::string dir);

  // Creates the directory (0700).
  absl::Status Init();
  // Starts a job's entry: which job, storage, database and backup. Replaces
  // an entry of the same job left by an earlier process.
  absl::Status Begin(const dbdump::v1::WriteIntents& intents);
  // The job is about to write `key` (to its entry's storage).
  absl::Status NoteObject(const std::string& job_id, const std::string& key);
  // The job is about to create `path` on this host, outside storage.
  absl::Status NoteLocalFile(const std::string& job_id, const std::string& path);
  // The job's entry, if any.
  std::optional<dbdump::v1::WriteIntents> Get(const std::string& job_id);
  // Every entry, by job id. Unreadable files are skipped (and logged).
  std::vector<dbdump::v1::WriteIntents> List();
  // Forgets a job's entry once nothing it lists is left over.
  absl::Status Clear(const std::string& job_id);

 private:
  std::string PathOf(const std::string& job_id) const;
  std::optional<dbdump::v1::WriteIntents> Read(const std::string& path);
  absl::Status Write(const dbdump::v1::WriteIntents& intents);
  // Adds `value` to the repeated field `field` picks, once.
  absl::Status Append(const std::string& job_id, const std::string& value,
                      google::protobuf::RepeatedPtrField<std::string>* (*field)(
                          dbdump::v1::WriteIntents*));

  const std::string dir_;
  absl::Mutex mu_;
};

}  // namespace dbdump
