// LineCounter: a sink that counts the lines for which a predicate holds.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "common/io/sink.h"

namespace dbdump {

// Counts the lines of a stream for which a predicate holds. Only the first
// 4 KiB of a line reach the predicate. Not thread-safe. Never fails.
class LineCounter : public Sink {
 public:
  explicit LineCounter(std::function<bool(absl::string_view line)> count_line)
      : count_line_(std::move(count_line)) {}
  absl::Status Write(const char* data, size_t n) override;
  // Counts a last line without a newline.
  absl::Status Finish() override;
  uint32_t count() const { return count_; }

 private:
  std::function<bool(absl::string_view)> count_line_;
  std::string partial_;
  uint32_t count_ = 0;
};

}  // namespace dbdump
