// StringSink and StringSource: the byte path's ends in memory, for tests.
#pragma once

#include <algorithm>
#include <string>

#include "common/io/sink.h"

namespace dbdump {

// Collects everything written to it and counts its Finish calls.
class StringSink : public Sink {
 public:
  absl::Status Write(const char* d, size_t n) override {
    data.append(d, n);
    return absl::OkStatus();
  }
  absl::Status Finish() override {
    ++finished;
    return absl::OkStatus();
  }
  std::string data;
  int finished = 0;
};

// Serves a string in chunks of at most `chunk` bytes.
class StringSource : public Source {
 public:
  StringSource(std::string s, size_t chunk) : s_(std::move(s)), chunk_(chunk) {}
  absl::StatusOr<size_t> Read(char* d, size_t n) override {
    size_t k = std::min({n, chunk_, s_.size() - pos_});
    s_.copy(d, k, pos_);
    pos_ += k;
    return k;
  }

 private:
  std::string s_;
  size_t chunk_;
  size_t pos_ = 0;
};

}  // namespace dbdump
