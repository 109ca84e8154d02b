// LineScanSession: a dry run that reads a dump and counts what it holds.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "common/engines/engine.h"
#include "common/io/line_counter.h"

namespace dbdump {

// A dry run without a listing tool: reads the whole dump and counts the
// lines for which `count_line` is true (e.g. CREATE TABLE statements of a
// SQL script). Touches nothing.
class LineScanSession : public RestoreSession {
 public:
  LineScanSession(std::function<bool(absl::string_view line)> count_line,
                  std::string summary_format)
      : counter_(std::move(count_line)), summary_format_(std::move(summary_format)) {}
  Sink* sink() override { return &counter_; }
  absl::Status Finish() override { return absl::OkStatus(); }
  void Cancel() override {}
  uint32_t listed_entries() const override { return counter_.count(); }
  std::string summary() const override;

 private:
  LineCounter counter_;
  std::string summary_format_;
};

// "%d tables" with %d replaced by `n`.
std::string FormatCount(const std::string& format, uint32_t n);


}  // namespace dbdump
