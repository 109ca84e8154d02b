#include "common/io/line_counter.h"

#include "absl/strings/str_cat.h"

namespace dbdump {

absl::Status LineCounter::Write(const char* data, size_t n) {
  absl::string_view rest(data, n);
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    if (nl == absl::string_view::npos) {
      // Only the start of a long line matters to the predicates.
      if (partial_.size() < 4096) absl::StrAppend(&partial_, rest.substr(0, 4096 - partial_.size()));
      return absl::OkStatus();
    }
    absl::string_view line = rest.substr(0, nl);
    if (!partial_.empty()) {
      if (partial_.size() < 4096) absl::StrAppend(&partial_, line.substr(0, 4096 - partial_.size()));
      if (count_line_(partial_)) ++count_;
      partial_.clear();
    } else if (count_line_(line)) {
      ++count_;
    }
    rest.remove_prefix(nl + 1);
  }
  return absl::OkStatus();
}

absl::Status LineCounter::Finish() {
  if (!partial_.empty() && count_line_(partial_)) ++count_;
  partial_.clear();
  return absl::OkStatus();
}

}  // namespace dbdump
