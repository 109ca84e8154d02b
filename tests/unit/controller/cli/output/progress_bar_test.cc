// ProgressBar with an injected clock and a fake terminal width: the bar,
// percentage, bytes, rate and ETA; redraws at most every 200 ms on a
// terminal; plain lines elsewhere; estimated and unknown totals.
#include "controller/cli/output/progress_bar.h"

#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {

constexpr uint64_t kMiB = 1 << 20;

ProgressBar::Progress At(std::string state, uint64_t done, uint64_t total,
                         bool estimated = false) {
  ProgressBar::Progress p;
  p.state = std::move(state);
  p.done_bytes = done;
  p.total_bytes = total;
  p.total_estimated = estimated;
  return p;
}

// "[##....]" with `filled` of `width` cells.
std::string Bar(int filled, int width) {
  return absl::StrCat("[", std::string(filled, '#'), std::string(width - filled, '.'), "]");
}

class ProgressBarTest : public ::testing::Test {
 protected:
  ProgressBar Make(bool terminal, int columns) {
    ProgressBar::Options options;
    options.out = &out_;
    options.terminal = terminal;
    options.columns = columns;
    options.now = [this] { return now_; };
    return ProgressBar(options);
  }

  std::ostringstream out_;
  absl::Time now_ = absl::FromUnixSeconds(1768442400);
};

TEST_F(ProgressBarTest, TerminalRedrawsInPlaceAtMostFiveTimesASecond) {
  ProgressBar bar = Make(/*terminal=*/true, /*columns=*/80);
  bar.Update(At("running", 0, 100 * kMiB));
  now_ += absl::Milliseconds(100);
  bar.Update(At("running", 1 * kMiB, 100 * kMiB));  // 100 ms after the last draw: held back
  now_ += absl::Milliseconds(900);
  bar.Update(At("running", 10 * kMiB, 100 * kMiB));  // 10 MiB in 1 s: 90 MiB left, 9 s
  now_ += absl::Milliseconds(50);
  bar.Update(At("succeeded", 100 * kMiB, 100 * kMiB));  // a new state is drawn at once
  bar.Finish();
  // Each line takes the width the text leaves, up to 40 cells, and stays
  // within 79 columns.
  EXPECT_EQ(out_.str(),
            absl::StrCat("\rrunning 0% ", Bar(0, 40), " 0 B / 100.0 MiB",
                         "\rrunning 10% ", Bar(2, 24), " 10.0 MiB / 100.0 MiB  10.0 MiB/s  ETA 9s",
                         "\rsucceeded 100% ", Bar(28, 28),
                         " 100.0 MiB / 100.0 MiB  95.2 MiB/s\n"));
}

TEST_F(ProgressBarTest, LinesFitANarrowTerminalAndShorterOnesBlankTheRest) {
  ProgressBar bar = Make(/*terminal=*/true, /*columns=*/40);
  bar.Update(At("running", 0, 100 * kMiB));
  now_ += absl::Seconds(1);
  bar.Update(At("running", 10 * kMiB, 100 * kMiB));
  now_ += absl::Seconds(1);
  bar.Update(At("failed", 10 * kMiB, 100 * kMiB));
  bar.Finish();
  std::vector<std::string> draws = absl::StrSplit(out_.str(), '\r', absl::SkipEmpty());
  ASSERT_EQ(draws.size(), 3u) << out_.str();
  // Room for a bar of at least 10 cells is left only by the first text.
  EXPECT_EQ(draws[0], absl::StrCat("running 0% ", Bar(0, 10), " 0 B / 100.0 MiB"));
  // Too long for 39 columns: the bar, the ETA and the rate give way (and
  // spaces blank the rest of the longer line before).
  EXPECT_EQ(draws[1], "running 10% 10.0 MiB / 100.0 MiB" + std::string(7, ' '));
  // A shorter line blanks what is left of the longer one before it.
  EXPECT_EQ(draws[2], "failed 10% 10.0 MiB / 100.0 MiB \n");
}

TEST_F(ProgressBarTest, PlainLinesOnStateChangesAndEveryFiveSeconds) {
  ProgressBar bar = Make(/*terminal=*/false, /*columns=*/80);
  bar.Update(At("queued", 0, 0));
  bar.Update(At("running", 0, 0));
  now_ += absl::Seconds(1);
  bar.Update(At("running", 1 * kMiB, 0));  // too soon
  now_ += absl::Seconds(4);
  bar.Update(At("running", 5 * kMiB, 0));  // 5 s after the last line
  now_ += absl::Seconds(4);
  bar.Update(At("running", 9 * kMiB, 0));  // too soon: drawn by Finish
  bar.Finish();
  EXPECT_EQ(out_.str(),
            "queued 0 B\n"
            "running 0 B\n"
            "running 5.0 MiB  1.0 MiB/s\n"
            "running 9.0 MiB  1.0 MiB/s\n");
}

TEST_F(ProgressBarTest, AnEstimatedTotalIsMarkedAndDroppedOncePassed) {
  ProgressBar bar = Make(/*terminal=*/false, /*columns=*/80);
  bar.Update(At("running", 0, 4 * kMiB, /*estimated=*/true));
  now_ += absl::Seconds(5);
  bar.Update(At("running", 2 * kMiB, 4 * kMiB, true));
  now_ += absl::Seconds(5);
  bar.Update(At("running", 5 * kMiB, 4 * kMiB, true));
  EXPECT_EQ(out_.str(),
            "running ~0% 0 B / ~4.0 MiB\n"
            "running ~50% 2.0 MiB / ~4.0 MiB  409.6 KiB/s  ETA 5s\n"
            "running 5.0 MiB  512.0 KiB/s\n");
}

TEST_F(ProgressBarTest, TheEtaIsAtLeastOneSecondWhileBytesRemain) {
  ProgressBar bar = Make(/*terminal=*/false, /*columns=*/80);
  bar.Update(At("running", 0, 1000 * kMiB));
  now_ += absl::Seconds(10);
  bar.Update(At("running", 999 * kMiB, 1000 * kMiB));  // 0.01 s left
  EXPECT_NE(out_.str().find("99.9 MiB/s  ETA 1s\n"), std::string::npos) << out_.str();
}

TEST_F(ProgressBarTest, TheRateCoversTheLastTenSecondsAndRestartsWhenTheCountDoes) {
  ProgressBar bar = Make(/*terminal=*/false, /*columns=*/80);
  bar.Update(At("running", 0, 0));
  for (int i = 1; i <= 20; ++i) {
    now_ += absl::Seconds(1);
    // 1 MiB/s for ten seconds, then 3 MiB/s.
    bar.Update(At("running", (i <= 10 ? i : 10 + 3 * (i - 10)) * kMiB, 0));
  }
  now_ += absl::Seconds(5);
  bar.Update(At("running", 1 * kMiB, 0));  // a second object: counted from 0 again
  now_ += absl::Seconds(5);
  bar.Update(At("running", 3 * kMiB, 0));
  std::vector<std::string> lines = absl::StrSplit(out_.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 7u) << out_.str();
  EXPECT_EQ(lines[2], "running 10.0 MiB  1.0 MiB/s");
  EXPECT_EQ(lines[4], "running 40.0 MiB  3.0 MiB/s");
  EXPECT_EQ(lines[5], "running 1.0 MiB");
  EXPECT_EQ(lines[6], "running 3.0 MiB  409.6 KiB/s");
}

}  // namespace
}  // namespace dbdump
