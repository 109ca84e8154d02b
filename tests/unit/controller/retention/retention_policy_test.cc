// RetentionPolicy: a worked grandfather-father-son example, and properties
// checked over generated histories (seeded, so failures reproduce).
#include "controller/retention/retention_policy.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {

std::set<std::string> Kept(const std::vector<RetentionDecision>& ds) {
  std::set<std::string> out;
  for (const RetentionDecision& d : ds) {
    if (d.keep) out.insert(d.backup_id);
  }
  return out;
}

TEST(RetentionPolicyTest, GrandfatherFatherSonWorkedExample) {
  // One backup a day at 02:00 UTC through Q1 2024 (a leap year).
  std::vector<RetentionCandidate> history;
  for (absl::CivilDay d(2024, 1, 1); d <= absl::CivilDay(2024, 3, 31); ++d) {
    absl::Time t = absl::FromCivil(absl::CivilSecond(d.year(), d.month(), d.day(), 2, 0, 0),
                                   absl::UTCTimeZone());
    history.push_back({TimeToString(t), t, true});
  }
  RetentionRules rules;
  rules.keep_daily = 3;
  rules.keep_weekly = 2;
  rules.keep_monthly = 2;
  RetentionPolicy policy(rules, absl::UTCTimeZone());
  auto ds = policy.Plan(history, TimeFromString("2024-03-31T12:00:00Z"));
  ASSERT_EQ(ds.size(), 91u);
  // Days 31, 30, 29 March; ISO weeks 13 (ends Sunday 31st) and 12 (ends
  // the 24th); months March (31st) and February (29th).
  EXPECT_EQ(Kept(ds), (std::set<std::string>{"2024-03-31T02:00:00Z", "2024-03-30T02:00:00Z",
                                             "2024-03-29T02:00:00Z", "2024-03-24T02:00:00Z",
                                             "2024-02-29T02:00:00Z"}));
  EXPECT_EQ(ds[0].backup_id, "2024-03-31T02:00:00Z");
  EXPECT_NE(ds[0].reason.find("daily 2024-03-31"), std::string::npos) << ds[0].reason;
  EXPECT_NE(ds[0].reason.find("weekly 2024-W13"), std::string::npos) << ds[0].reason;
  EXPECT_NE(ds[4].reason.find("delete: not kept by daily 3, weekly 2, monthly 2"),
            std::string::npos)
      << ds[4].reason;
}

TEST(RetentionPolicyTest, PeriodsFollowTheZone) {
  // 23:30 UTC on Jan 31 is already February 1st in Berlin.
  absl::Time a = TimeFromString("2024-01-31T23:30:00Z");
  absl::Time b = TimeFromString("2024-01-31T12:00:00Z");
  RetentionRules rules;
  rules.keep_monthly = 1;
  absl::TimeZone berlin;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Berlin", &berlin));
  // Both in January in UTC: only the newest is kept. In Berlin they are in
  // different months, but monthly 1 still keeps only February's.
  EXPECT_EQ(Kept(RetentionPolicy(rules, absl::UTCTimeZone()).Plan({{"a", a}, {"b", b}}, a)),
            std::set<std::string>{"a"});
  rules.keep_monthly = 2;
  EXPECT_EQ(Kept(RetentionPolicy(rules, absl::UTCTimeZone()).Plan({{"a", a}, {"b", b}}, a)),
            std::set<std::string>{"a"});
  EXPECT_EQ(Kept(RetentionPolicy(rules, berlin).Plan({{"a", a}, {"b", b}}, a)),
            (std::set<std::string>{"a", "b"}));
}

TEST(RetentionPolicyTest, AfterAWeekOfFailuresTheLastGoodBackupStays) {
  // Seven days of failures after one good backup: keep-within-3-days would
  // keep nothing, but the newest good backup is never deleted.
  std::vector<RetentionCandidate> h;
  absl::Time t0 = TimeFromString("2024-06-01T00:00:00Z");
  h.push_back({"good-old", t0 - absl::Hours(48), true});
  h.push_back({"good", t0, true});
  for (int i = 1; i <= 7; ++i) h.push_back({absl::StrCat("failed-", i), t0 + absl::Hours(24 * i), false});
  RetentionRules rules;
  rules.keep_within = absl::Hours(72);
  auto ds = RetentionPolicy(rules, absl::UTCTimeZone()).Plan(h, t0 + absl::Hours(24 * 8));
  std::set<std::string> kept = Kept(ds);
  EXPECT_TRUE(kept.count("good"));
  EXPECT_FALSE(kept.count("good-old"));
  for (const RetentionDecision& d : ds) {
    if (d.backup_id.rfind("failed", 0) == 0) {
      EXPECT_TRUE(d.keep);
      EXPECT_NE(d.reason.find("not counted"), std::string::npos);
    }
  }
}

// --- properties over generated histories ------------------------------------

struct History {
  std::vector<RetentionCandidate> backups;
  absl::Time now;
};

History Generate(std::mt19937_64& rng) {
  History h;
  absl::Time t = TimeFromString("2021-01-01T00:00:00Z") +
                 absl::Minutes(std::uniform_int_distribution<int>(0, 60 * 24 * 365)(rng));
  int n = std::uniform_int_distribution<int>(0, 250)(rng);
  std::uniform_int_distribution<int> gap_min(1, 60 * 24 * 9);
  std::bernoulli_distribution fails(0.25);
  for (int i = 0; i < n; ++i) {
    t += absl::Minutes(gap_min(rng));
    h.backups.push_back({absl::StrCat("b", i), t, !fails(rng)});
  }
  h.now = t + absl::Minutes(gap_min(rng));
  std::shuffle(h.backups.begin(), h.backups.end(), rng);
  return h;
}

std::vector<RetentionCandidate> Good(const History& h) {
  std::vector<RetentionCandidate> g;
  for (const auto& b : h.backups) {
    if (b.succeeded) g.push_back(b);
  }
  std::sort(g.begin(), g.end(), [](const auto& a, const auto& b) { return a.created > b.created; });
  return g;
}

// Reference for one period rule: the newest backup of each of the `count`
// most recent periods, with periods computed by absl's own civil types.
template <typename PeriodOf>
std::set<std::string> ExpectedPerPeriod(const History& h, int count, PeriodOf period_of) {
  std::map<decltype(period_of(absl::Time())), RetentionCandidate> newest;
  for (const auto& b : Good(h)) {
    auto p = period_of(b.created);
    auto it = newest.find(p);
    if (it == newest.end() || it->second.created < b.created) newest[p] = b;
  }
  std::set<std::string> out;
  int taken = 0;
  for (auto it = newest.rbegin(); it != newest.rend() && taken < count; ++it, ++taken) {
    out.insert(it->second.backup_id);
  }
  return out;
}

std::set<std::string> Union(std::set<std::string> a, const std::set<std::string>& b) {
  a.insert(b.begin(), b.end());
  return a;
}

class RetentionPropertyTest : public ::testing::TestWithParam<int> {};

TEST_P(RetentionPropertyTest, HoldsOverGeneratedHistories) {
  std::mt19937_64 rng(GetParam());
  absl::TimeZone zone;
  const char* zones[] = {"UTC", "America/New_York", "Australia/Sydney", "Asia/Kolkata"};
  ASSERT_TRUE(absl::LoadTimeZone(zones[GetParam() % 4], &zone));
  auto in_zone_day = [&](absl::Time t) { return absl::CivilDay(absl::ToCivilSecond(t, zone)); };
  for (int round = 0; round < 25; ++round) {
    History h = Generate(rng);
    std::vector<RetentionCandidate> good = Good(h);
    std::uniform_int_distribution<int> small(0, 6);
    RetentionRules r;
    r.keep_last = small(rng);
    r.keep_within = absl::Hours(24 * small(rng) * 5);
    r.keep_daily = small(rng);
    r.keep_weekly = small(rng);
    r.keep_monthly = small(rng);
    r.keep_yearly = small(rng) / 2;
    auto ds = RetentionPolicy(r, zone).Plan(h.backups, h.now);
    SCOPED_TRACE(absl::StrCat("seed ", GetParam(), " round ", round, " rules ", r.ToString()));

    // One decision per backup.
    ASSERT_EQ(ds.size(), h.backups.size());
    std::set<std::string> kept = Kept(ds);

    // Failed backups are never deleted, and leaving them out changes nothing.
    std::set<std::string> kept_good;
    for (const auto& b : h.backups) {
      if (!b.succeeded) {
        EXPECT_TRUE(kept.count(b.backup_id)) << b.backup_id;
      }
    }
    for (const auto& b : good) {
      if (kept.count(b.backup_id)) kept_good.insert(b.backup_id);
    }
    History only_good{good, h.now};
    EXPECT_EQ(Kept(RetentionPolicy(r, zone).Plan(only_good.backups, h.now)), kept_good);

    // The newest successful backup always stays.
    if (!good.empty()) {
      EXPECT_TRUE(kept.count(good[0].backup_id));
    }

    if (r.empty()) {
      EXPECT_EQ(kept.size(), h.backups.size());
      continue;
    }
    // Each rule keeps exactly what it says; the policy keeps their union
    // plus the newest good backup, nothing else.
    std::set<std::string> expected;
    if (!good.empty()) expected.insert(good[0].backup_id);
    for (int i = 0; i < r.keep_last && i < static_cast<int>(good.size()); ++i) {
      expected.insert(good[i].backup_id);
    }
    for (const auto& b : good) {
      if (r.keep_within > absl::ZeroDuration() && b.created >= h.now - r.keep_within) {
        expected.insert(b.backup_id);
      }
    }
    expected = Union(expected, ExpectedPerPeriod(h, r.keep_daily, in_zone_day));
    expected = Union(expected, ExpectedPerPeriod(h, r.keep_weekly, [&](absl::Time t) {
                       // The Monday that starts t's week.
                       absl::CivilDay d = in_zone_day(t);
                       return absl::PrevWeekday(d + 1, absl::Weekday::monday);
                     }));
    expected = Union(expected, ExpectedPerPeriod(h, r.keep_monthly, [&](absl::Time t) {
                       return absl::CivilMonth(in_zone_day(t));
                     }));
    expected = Union(expected, ExpectedPerPeriod(h, r.keep_yearly, [&](absl::Time t) {
                       return absl::CivilYear(in_zone_day(t));
                     }));
    EXPECT_EQ(kept_good, expected);

    // Every deletion says why.
    for (const RetentionDecision& d : ds) {
      if (!d.keep) {
        EXPECT_EQ(d.reason.rfind("delete: ", 0), 0u) << d.reason;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, RetentionPropertyTest, ::testing::Range(1, 41));

}  // namespace
}  // namespace dbdump
