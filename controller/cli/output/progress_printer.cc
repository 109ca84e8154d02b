#include "controller/cli/output/progress_printer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/base/clock.h"
#include "controller/cli/output/formatting.h"

namespace dbdump {

ProgressPrinter::ProgressPrinter(Options options) : options_(std::move(options)) {
  if (!options_.now) options_.now = [] { return DefaultClock()->Now(); };
}

std::string ProgressPrinter::Line(const v1::Job& job) {
  return absl::StrCat(JobStateName(job.state()), " in=", HumanBytes(job.progress().bytes_in()),
                      " out=", HumanBytes(job.progress().bytes_out()), " ",
                      FormatSeconds(job.progress().elapsed_s()), "s");
}

void ProgressPrinter::Update(const v1::Job& job) {
  std::string line = Line(job);
  std::ostream& out = *options_.out;
  if (options_.overwrite) {
    size_t width = line.size();
    // Blank out the rest of a longer previous line.
    if (line.size() < last_width_) line.append(last_width_ - line.size(), ' ');
    out << '\r' << line << std::flush;
    last_width_ = width;
    printed_ = true;
    return;
  }
  absl::Time now = options_.now();
  bool state_changed = !printed_ || job.state() != last_state_;
  if (!state_changed && now - last_print_ < options_.min_interval) return;
  out << line << '\n' << std::flush;
  printed_ = true;
  last_state_ = job.state();
  last_print_ = now;
}

void ProgressPrinter::Finish() {
  if (options_.overwrite && printed_) *options_.out << '\n' << std::flush;
  printed_ = false;
  last_width_ = 0;
}

}  // namespace dbdump
