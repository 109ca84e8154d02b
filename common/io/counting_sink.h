// CountingSink: pass-through stage that counts the bytes flowing through.
#pragma once

#include <cstdint>

#include "common/io/sink.h"

namespace dbdump {

// Forwards every byte unchanged to `next` and counts them, e.g. the bytes a
// restore tool received. Not thread-safe.
class CountingSink : public Sink {
 public:
  explicit CountingSink(Sink* next) : next_(next) {}
  absl::Status Write(const char* data, size_t n) override {
    bytes_ += n;
    return next_->Write(data, n);
  }
  absl::Status Finish() override { return next_->Finish(); }
  uint64_t bytes() const { return bytes_; }

 private:
  Sink* next_;
  uint64_t bytes_ = 0;
};

}  // namespace dbdump
