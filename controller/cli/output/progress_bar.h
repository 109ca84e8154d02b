// Shows how far a transfer of bytes has come: a job dbdumpctl follows, or
// any stream with a byte total. On a terminal one line is redrawn in place
// with '\r' (at most every `redraw_interval`, and at once when the state
// changes):
//
//   running  42% [########..........] 1.1 GiB / 2.6 GiB  35.0 MiB/s  ETA 41s
//
// with "~" before the percentage and the total when the total is an
// estimate, and without percentage, bar and ETA when no total is known.
// A narrow terminal loses the bar first, then the ETA, then the rate.
// Elsewhere (a log, a pipe) the same text without the bar is printed as
// plain lines: one per state change, else at most one every
// `line_interval`. The rate is measured over the last ten seconds of
// updates by the injected clock. Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace dbdump {

class ProgressBar {
 public:
  struct Options {
    std::ostream* out = nullptr;
    // Redraw in place: `out` is a terminal.
    bool terminal = false;
    // Width of the terminal; a drawn line stays below it so it never wraps.
    int columns = 80;
    // Defaults to the process's clock.
    std::function<absl::Time()> now;
    absl::Duration redraw_interval = absl::Milliseconds(200);
    absl::Duration line_interval = absl::Seconds(5);
  };

  // One reading of the transfer.
  struct Progress {
    // What the transfer is doing, e.g. "running"; a new word is a new state.
    std::string state;
    uint64_t done_bytes = 0;
    // 0: unknown.
    uint64_t total_bytes = 0;
    // The total is a guess (e.g. the size of the previous backup).
    bool total_estimated = false;
  };

  explicit ProgressBar(Options options);

  void Update(const Progress& progress);
  // Draws the last reading if it was held back, and ends a redrawn line so
  // what follows starts on a fresh one.
  void Finish();

  // The line for `progress` with the rate measured so far; `bar_width` 0
  // leaves out the bar.
  std::string Text(const Progress& progress, int bar_width) const;

 private:
  // Bytes per second over the samples kept; negative when too short to say.
  double Rate() const;
  // The text, the rate and the ETA, each with its leading spaces; the rate
  // and the ETA only when known.
  std::vector<std::string> Parts(const Progress& progress, int bar_width) const;
  // The line that fits the terminal.
  std::string TerminalLine(const Progress& progress) const;
  void Draw(const Progress& progress, absl::Time now);

  Options options_;
  // (time, done bytes) of recent updates, oldest first.
  std::deque<std::pair<absl::Time, uint64_t>> samples_;
  bool drawn_ = false;
  std::string last_state_;
  absl::Time last_draw_ = absl::InfinitePast();
  size_t last_width_ = 0;
  // An update not drawn yet, for Finish.
  bool pending_ = false;
  Progress pending_progress_;
};

}  // namespace dbdump
