// Sinks and sources over memory: a small object read whole (a backup's
// globals or settings), or one produced in memory (a settings document).
#pragma once

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/io/sink.h"

namespace dbdump {

// Collects what it is given, refusing more than `max_bytes`.
class BoundedStringSink : public Sink {
 public:
  explicit BoundedStringSink(size_t max_bytes) : max_bytes_(max_bytes) {}
  absl::Status Write(const char* data, size_t n) override {
    if (n > max_bytes_ - data_.size()) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the object is larger than ", max_bytes_, " bytes"));
    }
    data_.append(data, n);
    return absl::OkStatus();
  }
  absl::Status Finish() override { return absl::OkStatus(); }
  const std::string& data() const { return data_; }
  std::string Take() { return std::move(data_); }

 private:
  size_t max_bytes_;
  std::string data_;
};

// Reads out a string.
class MemorySource : public Source {
 public:
  explicit MemorySource(std::string data) : data_(std::move(data)) {}
  absl::StatusOr<size_t> Read(char* out, size_t n) override {
    size_t k = std::min(n, data_.size() - pos_);
    std::memcpy(out, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string data_;
  size_t pos_ = 0;
};

}  // namespace dbdump
