#include "common/io/hold_back_sink.h"

#include "common/base/status_macros.h"

namespace dbdump {

absl::Status HoldBackSink::Write(const char* data, size_t n) {
  tail_.append(data, n);
  // Forward in slices of at least `hold` bytes, so the memmove below costs
  // no more than the bytes forwarded.
  if (tail_.size() > hold_ && tail_.size() >= 2 * hold_) {
    size_t release = tail_.size() - hold_;
    RETURN_IF_ERROR(next_->Write(tail_.data(), release));
    tail_.erase(0, release);
  }
  return absl::OkStatus();
}

absl::Status HoldBackSink::Release() {
  if (!tail_.empty()) RETURN_IF_ERROR(next_->Write(tail_.data(), tail_.size()));
  tail_.clear();
  return next_->Finish();
}

}  // namespace dbdump
