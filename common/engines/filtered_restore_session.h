// A restore session whose dump passes through a filter (a Sink that
// forwards a changed stream to the session's own sink) before the tool.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "common/engines/engine.h"

namespace dbdump {

class FilteredRestoreSession : public RestoreSession {
 public:
  // `filter` writes into inner->sink() and finishes it with its own Finish.
  FilteredRestoreSession(std::unique_ptr<RestoreSession> inner, std::unique_ptr<Sink> filter)
      : inner_(std::move(inner)), filter_(std::move(filter)) {}
  Sink* sink() override { return filter_.get(); }
  absl::Status Finish() override { return inner_->Finish(); }
  void Cancel() override { inner_->Cancel(); }
  uint32_t listed_entries() const override { return inner_->listed_entries(); }
  std::string summary() const override { return inner_->summary(); }
  void Undo() override { inner_->Undo(); }

 private:
  std::unique_ptr<RestoreSession> inner_;
  std::unique_ptr<Sink> filter_;
};

}  // namespace dbdump
