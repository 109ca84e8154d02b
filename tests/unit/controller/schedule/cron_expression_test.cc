// CronExpression against known run times: month ends, leap years, Vixie
// day matching and DST gaps/overlaps in zones of both hemispheres and with
// half-hour shifts. Expected instants were worked out by hand and checked
// against Python's zoneinfo.
#include "controller/schedule/cron_expression.h"

#include <string>
#include <vector>

#include "common/base/names.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {

struct NextCase {
  std::string zone;
  std::string expr;
  std::string after;  // RFC 3339 UTC
  std::vector<std::string> expected;  // RFC 3339 UTC
};

class CronNextTest : public ::testing::TestWithParam<NextCase> {};

TEST_P(CronNextTest, MatchesKnownRunTimes) {
  const NextCase& c = GetParam();
  auto zone = LoadScheduleTimeZone(c.zone);
  ASSERT_TRUE(zone.ok()) << zone.status();
  auto cron = CronExpression::Parse(c.expr);
  ASSERT_TRUE(cron.ok()) << cron.status();
  auto runs = cron->NextN(TimeFromString(c.after), *zone, static_cast<int>(c.expected.size()));
  ASSERT_TRUE(runs.ok()) << runs.status();
  std::vector<std::string> got;
  for (absl::Time t : *runs) got.push_back(TimeToString(t));
  EXPECT_EQ(got, c.expected) << c.zone << " \"" << c.expr << "\" after " << c.after;
}

INSTANTIATE_TEST_SUITE_P(
    Table, CronNextTest,
    ::testing::Values(
        // Month ends: the 1st after a 31-day month, and the 31st skipping short months.
        NextCase{"UTC", "0 0 1 * *", "2024-01-31T12:00:00Z",
                 {"2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"}},
        NextCase{"UTC", "0 0 31 * *", "2024-01-31T00:00:00Z",
                 {"2024-03-31T00:00:00Z", "2024-05-31T00:00:00Z", "2024-07-31T00:00:00Z",
                  "2024-08-31T00:00:00Z"}},
        NextCase{"UTC", "59 23 30 * *", "2023-01-30T23:59:00Z",
                 {"2023-03-30T23:59:00Z", "2023-04-30T23:59:00Z"}},
        // Leap years: Feb 29 only in 2024 and 2028 (2100 is no leap year).
        NextCase{"UTC", "0 12 29 2 *", "2023-03-01T00:00:00Z",
                 {"2024-02-29T12:00:00Z", "2028-02-29T12:00:00Z"}},
        NextCase{"UTC", "0 0 29 feb *", "2096-03-01T00:00:00Z", {"2104-02-29T00:00:00Z"}},
        NextCase{"UTC", "0 0 28-29 2 *", "2023-02-28T00:00:00Z",
                 {"2024-02-28T00:00:00Z", "2024-02-29T00:00:00Z", "2025-02-28T00:00:00Z"}},
        // Vixie: both day fields restricted = either matches (13th OR Friday).
        NextCase{"UTC", "0 0 13 * 5", "2024-09-01T00:00:00Z",
                 {"2024-09-06T00:00:00Z", "2024-09-13T00:00:00Z", "2024-09-20T00:00:00Z",
                  "2024-09-27T00:00:00Z", "2024-10-04T00:00:00Z"}},
        NextCase{"UTC", "0 0 1,15 * sun", "2024-09-01T00:00:00Z",
                 {"2024-09-08T00:00:00Z", "2024-09-15T00:00:00Z", "2024-09-22T00:00:00Z"}},
        // Day-of-month starting with '*' = both must match (odd days AND Monday).
        NextCase{"UTC", "0 0 */2 * 1", "2024-09-01T00:00:00Z",
                 {"2024-09-09T00:00:00Z", "2024-09-23T00:00:00Z", "2024-10-07T00:00:00Z",
                  "2024-10-21T00:00:00Z"}},
        // Ranges, steps, names, 7 = Sunday, macros.
        NextCase{"UTC", "10-50/20 9-17/8 * * *", "2024-05-05T00:00:00Z",
                 {"2024-05-05T09:10:00Z", "2024-05-05T09:30:00Z", "2024-05-05T09:50:00Z",
                  "2024-05-05T17:10:00Z"}},
        NextCase{"UTC", "0 6 * JAN,jul Mon-Fri", "2024-06-30T00:00:00Z",
                 {"2024-07-01T06:00:00Z", "2024-07-02T06:00:00Z"}},
        NextCase{"UTC", "0 0 * * 7", "2024-09-02T00:00:00Z", {"2024-09-08T00:00:00Z"}},
        NextCase{"UTC", "45/5 * * * *", "2024-09-02T00:50:00Z",
                 {"2024-09-02T00:55:00Z", "2024-09-02T01:45:00Z"}},
        NextCase{"UTC", "@yearly", "2024-12-31T23:59:59Z", {"2025-01-01T00:00:00Z"}},
        NextCase{"UTC", "@weekly", "2024-09-07T12:00:00Z", {"2024-09-08T00:00:00Z"}},
        NextCase{"UTC", "@hourly", "2024-09-07T12:00:00Z",
                 {"2024-09-07T13:00:00Z", "2024-09-07T14:00:00Z"}},
        // The zone matters: 02:00 in Kolkata (+05:30) and New York.
        NextCase{"Asia/Kolkata", "0 9 * * 1-5", "2024-12-31T00:00:00Z",
                 {"2024-12-31T03:30:00Z", "2025-01-01T03:30:00Z", "2025-01-02T03:30:00Z",
                  "2025-01-03T03:30:00Z", "2025-01-06T03:30:00Z"}},
        NextCase{"America/New_York", "@monthly",
                 "2024-01-15T00:00:00Z", {"2024-02-01T05:00:00Z", "2024-03-01T05:00:00Z",
                                          "2024-04-01T04:00:00Z"}},
        // New York spring forward (2024-03-10 02:00 EST -> 03:00 EDT): 02:30
        // does not exist and runs when the clocks jump, once.
        NextCase{"America/New_York", "30 2 * * *", "2024-03-09T17:00:00Z",
                 {"2024-03-10T07:00:00Z", "2024-03-11T06:30:00Z"}},
        NextCase{"America/New_York", "*/30 * * * *", "2024-03-10T06:00:00Z",
                 {"2024-03-10T06:30:00Z", "2024-03-10T07:00:00Z", "2024-03-10T07:30:00Z"}},
        // New York fall back (2024-11-03 02:00 EDT -> 01:00 EST): 01:30 runs
        // once, at its first (EDT) occurrence.
        NextCase{"America/New_York", "30 1 * * *", "2024-11-02T17:00:00Z",
                 {"2024-11-03T05:30:00Z", "2024-11-04T06:30:00Z"}},
        NextCase{"America/New_York", "30 1 * * *", "2024-11-03T06:00:00Z",
                 {"2024-11-04T06:30:00Z"}},
        // Berlin: spring forward at 02:00 CET, fall back at 03:00 CEST.
        NextCase{"Europe/Berlin", "15 2 * * *", "2024-03-30T12:00:00Z",
                 {"2024-03-31T01:00:00Z", "2024-04-01T00:15:00Z"}},
        NextCase{"Europe/Berlin", "0 * * * *", "2024-10-26T23:30:00Z",
                 {"2024-10-27T00:00:00Z", "2024-10-27T02:00:00Z", "2024-10-27T03:00:00Z"}},
        // Sydney, southern hemisphere: DST starts in October, ends in April.
        NextCase{"Australia/Sydney", "30 2 * * *", "2024-10-05T00:00:00Z",
                 {"2024-10-05T16:00:00Z", "2024-10-06T15:30:00Z"}},
        NextCase{"Australia/Sydney", "30 2 * * *", "2024-04-06T00:00:00Z",
                 {"2024-04-06T15:30:00Z", "2024-04-07T16:30:00Z"}},
        // Lord Howe shifts by half an hour (02:00 -> 02:30).
        NextCase{"Australia/Lord_Howe", "15 2 * * *", "2024-10-05T00:00:00Z",
                 {"2024-10-05T15:30:00Z", "2024-10-06T15:15:00Z"}}));

TEST(CronExpressionTest, NeverMatchingDateIsNotFound) {
  auto cron = CronExpression::Parse("0 0 30 2 *");
  ASSERT_TRUE(cron.ok());
  auto next = cron->Next(TimeFromString("2024-01-01T00:00:00Z"), absl::UTCTimeZone());
  EXPECT_TRUE(absl::IsNotFound(next.status())) << next.status();
  EXPECT_NE(next.status().message().find("never matches"), std::string::npos);
}

TEST(CronExpressionTest, NextIsStrictlyAfter) {
  auto cron = CronExpression::Parse("0 3 * * *");
  ASSERT_TRUE(cron.ok());
  auto next = cron->Next(TimeFromString("2024-01-01T03:00:00Z"), absl::UTCTimeZone());
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(TimeToString(*next), "2024-01-02T03:00:00Z");
}

struct BadCase {
  std::string expr;
  std::string must_mention;
};

class CronErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(CronErrorTest, PointsAtTheBadField) {
  auto cron = CronExpression::Parse(GetParam().expr);
  ASSERT_FALSE(cron.ok()) << GetParam().expr;
  EXPECT_TRUE(absl::IsInvalidArgument(cron.status()));
  EXPECT_NE(cron.status().message().find(GetParam().must_mention), std::string::npos)
      << cron.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Table, CronErrorTest,
    ::testing::Values(BadCase{"60 * * * *", "field 1 (minute) \"60\" has 60, out of range"},
                      BadCase{"0 24 * * *", "field 2 (hour)"},
                      BadCase{"0 0 0 * *", "field 3 (day of month)"},
                      BadCase{"0 0 32 * *", "field 3 (day of month)"},
                      BadCase{"0 0 * 13 *", "field 4 (month)"},
                      BadCase{"0 0 * foo *", "field 4 (month) \"foo\" has \"foo\""},
                      BadCase{"0 0 * * 8", "field 5 (day of week)"},
                      BadCase{"0 0 * * mon-xyz", "field 5 (day of week)"},
                      BadCase{"*/0 * * * *", "field 1 (minute) \"*/0\" has step \"0\""},
                      BadCase{"5-1 * * * *", "start is after its end"},
                      BadCase{"1,,2 * * * *", "empty list item"},
                      BadCase{"-1 * * * *", "field 1 (minute)"},
                      BadCase{"* * *", "has 3 fields; it needs five"},
                      BadCase{"* * * * * *", "has 6 fields"},
                      BadCase{"", "has 0 fields"},
                      BadCase{"@every 5m", "unknown macro"}));

TEST(ScheduleTimeZoneTest, UnknownZonesAreRejectedWithAHint) {
  for (const char* bad : {"Mars/Olympus", "", "../etc/passwd", "/etc/localtime"}) {
    auto zone = LoadScheduleTimeZone(bad);
    ASSERT_FALSE(zone.ok()) << bad;
    EXPECT_NE(zone.status().message().find("use an IANA name"), std::string::npos);
  }
  EXPECT_TRUE(LoadScheduleTimeZone("Europe/Berlin").ok());
  EXPECT_TRUE(LoadScheduleTimeZone("UTC").ok());
}

}  // namespace
}  // namespace dbdump
