#include "controller/cli/output/progress_bar.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/clock.h"
#include "controller/cli/output/formatting.h"

namespace dbdump {
namespace {

// The rate is measured over this much of the recent past.
constexpr absl::Duration kRateWindow = absl::Seconds(10);
// Less than this and the rate says nothing yet.
constexpr absl::Duration kMinRateSpan = absl::Seconds(1);
constexpr int kMinBarWidth = 10;
constexpr int kMaxBarWidth = 40;

// Whether a percentage can be shown: a total is known, and an estimate has
// not been passed (then nothing says how much remains).
bool TotalUsable(const ProgressBar::Progress& p) {
  return p.total_bytes > 0 && !(p.total_estimated && p.done_bytes >= p.total_bytes);
}

}  // namespace

ProgressBar::ProgressBar(Options options) : options_(std::move(options)) {
  if (!options_.now) options_.now = [] { return DefaultClock()->Now(); };
}

double ProgressBar::Rate() const {
  if (samples_.size() < 2) return -1;
  absl::Duration span = samples_.back().first - samples_.front().first;
  if (span < kMinRateSpan) return -1;
  return static_cast<double>(samples_.back().second - samples_.front().second) /
         absl::ToDoubleSeconds(span);
}

std::vector<std::string> ProgressBar::Parts(const Progress& p, int bar_width) const {
  std::string head = p.state;
  bool usable = TotalUsable(p);
  const char* guess = p.total_estimated ? "~" : "";
  if (usable) {
    double fraction =
        std::min(1.0, static_cast<double>(p.done_bytes) / static_cast<double>(p.total_bytes));
    absl::StrAppend(&head, " ", guess, static_cast<int>(fraction * 100), "%");
    if (bar_width > 0) {
      int filled = static_cast<int>(fraction * bar_width);
      absl::StrAppend(&head, " [", std::string(filled, '#'), std::string(bar_width - filled, '.'),
                      "]");
    }
    absl::StrAppend(&head, " ", HumanBytes(p.done_bytes), " / ", guess,
                    HumanBytes(p.total_bytes));
  } else {
    absl::StrAppend(&head, " ", HumanBytes(p.done_bytes));
  }
  std::vector<std::string> parts = {head};
  double rate = Rate();
  if (rate >= 0) {
    parts.push_back(absl::StrCat("  ", HumanBytes(static_cast<uint64_t>(rate)), "/s"));
  }
  if (usable && rate > 0 && p.done_bytes < p.total_bytes) {
    double left_s = static_cast<double>(p.total_bytes - p.done_bytes) / rate;
    // Bytes still to come never read "ETA 0s".
    uint64_t eta_s = std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(left_s)));
    parts.push_back(absl::StrCat("  ETA ", HumanDuration(eta_s)));
  }
  return parts;
}

std::string ProgressBar::Text(const Progress& p, int bar_width) const {
  return absl::StrJoin(Parts(p, bar_width), "");
}

std::string ProgressBar::TerminalLine(const Progress& p) const {
  // The last column stays free: some terminals wrap when it is written.
  size_t room = static_cast<size_t>(std::max(options_.columns - 1, 20));
  // The bar goes first, then the ETA, then the rate, until the line fits.
  std::vector<std::string> plain = Parts(p, 0);
  for (size_t keep = plain.size(); keep >= 1; --keep) {
    std::string line =
        absl::StrJoin(std::vector<std::string>(plain.begin(), plain.begin() + keep), "");
    if (TotalUsable(p) && line.size() + 3 < room) {
      // " [" and "]" around the bar.
      int width = std::min<int>(kMaxBarWidth, static_cast<int>(room - line.size() - 3));
      if (width >= kMinBarWidth) {
        std::vector<std::string> with_bar = Parts(p, width);
        line = absl::StrJoin(std::vector<std::string>(with_bar.begin(), with_bar.begin() + keep),
                             "");
      }
    }
    if (line.size() <= room) return line;
  }
  return plain[0].substr(0, room);
}

void ProgressBar::Draw(const Progress& p, absl::Time now) {
  std::ostream& out = *options_.out;
  if (options_.terminal) {
    std::string line = TerminalLine(p);
    size_t width = line.size();
    // Blank out the rest of a longer previous line.
    if (width < last_width_) line.append(last_width_ - width, ' ');
    out << '\r' << line << std::flush;
    last_width_ = width;
  } else {
    out << Text(p, 0) << '\n' << std::flush;
  }
  drawn_ = true;
  last_state_ = p.state;
  last_draw_ = now;
  pending_ = false;
}

void ProgressBar::Update(const Progress& p) {
  absl::Time now = options_.now();
  // A counter that went back (a new object of the same job) starts the
  // rate afresh.
  if (!samples_.empty() && p.done_bytes < samples_.back().second) samples_.clear();
  samples_.emplace_back(now, p.done_bytes);
  // Keep one sample at or before the window's start so the window is full.
  while (samples_.size() > 2 && samples_[1].first <= now - kRateWindow) samples_.pop_front();

  bool state_changed = !drawn_ || p.state != last_state_;
  absl::Duration interval = options_.terminal ? options_.redraw_interval : options_.line_interval;
  if (state_changed || now - last_draw_ >= interval) {
    Draw(p, now);
    return;
  }
  pending_ = true;
  pending_progress_ = p;
}

void ProgressBar::Finish() {
  if (pending_) Draw(pending_progress_, options_.now());
  if (options_.terminal && drawn_) *options_.out << '\n' << std::flush;
  drawn_ = false;
  last_width_ = 0;
  last_state_.clear();
  samples_.clear();
}

}  // namespace dbdump
