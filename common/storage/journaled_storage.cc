#include "common/storage/journaled_storage.h"

#include "absl/strings/str_cat.h"

namespace dbdump {

absl::StatusOr<std::unique_ptr<ObjectWriter>> JournaledStorage::NewWriter(const std::string& key) {
  if (absl::Status noted = journal_->NoteObject(job_id_, key); !noted.ok()) {
    return absl::Status(noted.code(), absl::StrCat("cannot journal the write of ", key,
                                                   " before starting it: ", noted.message()));
  }
  return inner_->NewWriter(key);
}

}  // namespace dbdump
