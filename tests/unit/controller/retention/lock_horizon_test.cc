// Object Lock in retention planning: only what the rules would delete is
// kept as locked, and a lock that passed keeps nothing; how long the rules
// can keep a backup, which dates "until retention" locks.
#include "controller/retention/lock_horizon.h"

#include "common/base/names.h"
#include "controller/retention/retention_policy.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {

TEST(RetentionPolicyLockTest, OnlyWhatTheRulesWouldDeleteSaysLocked) {
  absl::Time now = TimeFromString("2026-03-03T00:00:00Z");
  RetentionRules rules;
  rules.keep_last = 1;
  std::vector<RetentionCandidate> c = {
      {"b-new", now - absl::Hours(1), true, 2, now + absl::Hours(5)},
      {"b-old", now - absl::Hours(30), true, 1, now + absl::Hours(5)},
      {"b-expired", now - absl::Hours(60), true, 0, now - absl::Seconds(1)}};
  std::vector<RetentionDecision> d = RetentionPolicy(rules, absl::UTCTimeZone()).Plan(c, now);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_TRUE(d[0].keep);
  EXPECT_EQ(d[0].locked_until, absl::InfinitePast()) << "kept by the rules, not by the lock";
  EXPECT_TRUE(d[1].keep);
  EXPECT_EQ(d[1].locked_until, now + absl::Hours(5));
  EXPECT_EQ(d[1].reason,
            "locked until 2026-03-03T05:00:00Z (S3 Object Lock); not kept by last 1, so it goes "
            "once the lock has passed");
  EXPECT_FALSE(d[2].keep) << "a lock that has passed keeps nothing";
}

TEST(LockHorizonTest, TheLongestTheRulesCanKeepABackup) {
  const absl::Duration day = absl::Hours(24);
  RetentionRules r;
  EXPECT_EQ(RetentionHorizon(r, day), absl::ZeroDuration()) << "no rules: no end";
  r.keep_within = absl::Hours(36);
  EXPECT_EQ(RetentionHorizon(r, day), absl::Hours(36));
  r.keep_daily = 7;
  EXPECT_EQ(RetentionHorizon(r, day), 7 * day);
  r.keep_weekly = 4;
  EXPECT_EQ(RetentionHorizon(r, day), 28 * day);
  r.keep_monthly = 12;
  EXPECT_EQ(RetentionHorizon(r, day), 372 * day);
  r.keep_yearly = 2;
  EXPECT_EQ(RetentionHorizon(r, day), 732 * day);
  RetentionRules last;
  last.keep_last = 10;
  EXPECT_EQ(RetentionHorizon(last, absl::Hours(6)), absl::Hours(60));
  EXPECT_EQ(RetentionHorizon(last, absl::ZeroDuration()), absl::ZeroDuration());
}

TEST(LockHorizonTest, TheIntervalIsTheLongestRecentGap) {
  absl::Time t0 = TimeFromString("2026-03-01T00:00:00Z");
  EXPECT_EQ(RecentBackupInterval({t0}, 3), absl::ZeroDuration());
  // The newest 3 + 1 backups count: the 50 h gap at the start is older.
  EXPECT_EQ(RecentBackupInterval({t0, t0 + absl::Hours(50), t0 + absl::Hours(51),
                                  t0 + absl::Hours(53), t0 + absl::Hours(54)},
                                 3),
            absl::Hours(2));
}

}  // namespace
}  // namespace dbdump
