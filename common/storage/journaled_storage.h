// JournaledStorage: a Storage whose writers are announced in a job's
// WriteJournal before they start.
#pragma once

#include <memory>
#include <string>

#include "common/storage/storage.h"
#include "common/storage/write_journal.h"

namespace dbdump {

// Forwards everything to `inner`; NewWriter first notes the key in the
// job's journal entry (which WriteJournal::Begin made) and fails when it
// cannot, so nothing is ever written that a restarted agent would not know
// to clean up. Thread-safe as `inner` is.
class JournaledStorage : public Storage {
 public:
  JournaledStorage(std::unique_ptr<Storage> inner, WriteJournal* journal, std::string job_id)
      : inner_(std::move(inner)), journal_(journal), job_id_(std::move(job_id)) {}

  absl::StatusOr<std::unique_ptr<ObjectWriter>> NewWriter(const std::string& key) override;
  absl::StatusOr<std::unique_ptr<ObjectReader>> NewReader(const std::string& key) override {
    return inner_->NewReader(key);
  }
  absl::StatusOr<ObjectInfo> Stat(const std::string& key) override { return inner_->Stat(key); }
  absl::StatusOr<std::vector<ObjectInfo>> List(const std::string& prefix) override {
    return inner_->List(prefix);
  }
  absl::Status Remove(const std::string& key) override { return inner_->Remove(key); }
  absl::StatusOr<std::vector<IncompleteWrite>> ListIncomplete(const std::string& prefix) override {
    return inner_->ListIncomplete(prefix);
  }
  absl::Status AbortIncomplete(const IncompleteWrite& write) override {
    return inner_->AbortIncomplete(write);
  }

 private:
  std::unique_ptr<Storage> inner_;
  WriteJournal* journal_;
  const std::string job_id_;
};

}  // namespace dbdump
