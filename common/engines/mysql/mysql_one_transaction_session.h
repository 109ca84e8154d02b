// OneTransactionSession: a MySQL data-only restore as one transaction.
#pragma once

#include <memory>

#include "common/engines/engine.h"

namespace dbdump {
namespace mysql {

// Runs a data-only restore as one transaction: autocommit goes off before
// the first row, and COMMIT follows only once the whole dump has arrived
// (the agent finishes the sink only after both checksums matched), so a
// restore that fails or stops early leaves no row behind.
class OneTransactionSession : public RestoreSession {
 public:
  explicit OneTransactionSession(std::unique_ptr<RestoreSession> inner)
      : inner_(std::move(inner)), sink_(inner_->sink()) {}
  Sink* sink() override { return &sink_; }
  absl::Status Finish() override { return inner_->Finish(); }
  void Cancel() override { inner_->Cancel(); }

 private:
  // Puts the transaction around what it forwards.
  class Wrapper : public Sink {
   public:
    explicit Wrapper(Sink* next) : next_(next) {}
    absl::Status Write(const char* data, size_t n) override;
    absl::Status Finish() override;

   private:
    absl::Status Begin();
    Sink* next_;
    bool begun_ = false;
    bool finished_ = false;
  };
  std::unique_ptr<RestoreSession> inner_;
  Wrapper sink_;
};

}  // namespace mysql
}  // namespace dbdump
