// CronExpression: a five-field cron schedule evaluated in an IANA time zone.
#pragma once

#include <bitset>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/base/time_zone.h"
#include "absl/time/time.h"

namespace dbdump {

// "minute hour day-of-month month day-of-week" with lists (1,5), ranges
// (1-5), steps (*/15, 10-50/20, 5/10 = 5-max/10) and names (jan-dec,
// sun-sat; 7 is Sunday too), or one of @hourly @daily @midnight @weekly
// @monthly @yearly @annually. As in Vixie cron, when both day-of-month and
// day-of-week are restricted (neither starts with '*') a day matches if
// EITHER matches; otherwise both must.
//
// Times are civil times in the schedule's zone. Across DST:
//  - a slot inside a skipped hour (spring forward) runs once, at the instant
//    the clocks jump (e.g. 02:30 on a 02:00->03:00 day runs at 03:00 local);
//    several slots in the gap still run once;
//  - a slot inside a repeated hour (fall back) runs once, at its first
//    occurrence (the earlier, pre-transition offset).
// Immutable after Parse; thread-safe.
class CronExpression {
 public:
  // InvalidArgument naming the field and the value that is wrong.
  static absl::StatusOr<CronExpression> Parse(const std::string& text);

  // The first run time strictly after `after`, or NotFound when the
  // expression never matches a real date (e.g. "0 0 30 2 *").
  absl::StatusOr<absl::Time> Next(absl::Time after, const absl::TimeZone& zone) const;
  // The next `n` run times after `after`.
  absl::StatusOr<std::vector<absl::Time>> NextN(absl::Time after, const absl::TimeZone& zone,
                                                int n) const;

  const std::string& text() const { return text_; }

 private:
  CronExpression() = default;
  bool DayMatches(const absl::CivilDay& day) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  // 1..31
  std::bitset<13> months_;         // 1..12
  std::bitset<7> days_of_week_;    // 0 = Sunday
  bool dom_star_ = false;
  bool dow_star_ = false;
};

}  // namespace dbdump
