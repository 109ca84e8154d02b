#include "controller/retention/retention_policy.h"

#include <algorithm>
#include <functional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace dbdump {
namespace {

// ISO 8601 week label of a civil day: weeks start on Monday and belong to
// the year that holds their Thursday.
std::string IsoWeek(absl::CivilDay d) {
  int wd = static_cast<int>(absl::GetWeekday(d));  // Monday = 0
  absl::CivilDay thursday = d - wd + 3;
  int week = static_cast<int>((absl::GetYearDay(thursday) - 1) / 7 + 1);
  return absl::StrFormat("%04d-W%02d", thursday.year(), week);
}

}  // namespace

std::string RetentionRules::ToString() const {
  if (empty()) return "keep everything";
  std::vector<std::string> parts;
  if (keep_last > 0) parts.push_back(absl::StrCat("last ", keep_last));
  if (keep_within > absl::ZeroDuration()) {
    parts.push_back(absl::StrCat("within ", absl::FormatDuration(keep_within)));
  }
  if (keep_daily > 0) parts.push_back(absl::StrCat("daily ", keep_daily));
  if (keep_weekly > 0) parts.push_back(absl::StrCat("weekly ", keep_weekly));
  if (keep_monthly > 0) parts.push_back(absl::StrCat("monthly ", keep_monthly));
  if (keep_yearly > 0) parts.push_back(absl::StrCat("yearly ", keep_yearly));
  return absl::StrJoin(parts, ", ");
}

std::vector<RetentionDecision> RetentionPolicy::Plan(std::vector<RetentionCandidate> candidates,
                                                     absl::Time now) const {
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const RetentionCandidate& a, const RetentionCandidate& b) {
                     if (a.created != b.created) return a.created > b.created;
                     if (a.sequence != b.sequence) return a.sequence > b.sequence;
                     return a.backup_id > b.backup_id;
                   });
  std::vector<RetentionDecision> out;
  std::vector<std::vector<std::string>> reasons(candidates.size());
  std::vector<size_t> good;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (candidates[i].succeeded) good.push_back(i);
  }
  if (!good.empty()) reasons[good[0]].push_back("newest successful backup");
  for (size_t n = 0; n < good.size() && static_cast<int>(n) < rules_.keep_last; ++n) {
    reasons[good[n]].push_back(absl::StrCat("one of the last ", rules_.keep_last));
  }
  if (rules_.keep_within > absl::ZeroDuration()) {
    for (size_t i : good) {
      if (candidates[i].created >= now - rules_.keep_within) {
        reasons[i].push_back(absl::StrCat("within ", absl::FormatDuration(rules_.keep_within)));
      }
    }
  }
  // Newest first, so the first backup seen in a period is its newest.
  auto keep_per_period = [&](int count, const char* label,
                             const std::function<std::string(absl::CivilDay)>& period) {
    if (count <= 0) return;
    std::set<std::string> seen;
    for (size_t i : good) {
      if (static_cast<int>(seen.size()) >= count) break;
      std::string p = period(absl::CivilDay(absl::ToCivilSecond(candidates[i].created, zone_)));
      if (seen.insert(p).second) reasons[i].push_back(absl::StrCat(label, " ", p));
    }
  };
  keep_per_period(rules_.keep_daily, "daily", [](absl::CivilDay d) {
    return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
  });
  keep_per_period(rules_.keep_weekly, "weekly", IsoWeek);
  keep_per_period(rules_.keep_monthly, "monthly", [](absl::CivilDay d) {
    return absl::StrFormat("%04d-%02d", d.year(), d.month());
  });
  keep_per_period(rules_.keep_yearly, "yearly",
                  [](absl::CivilDay d) { return absl::StrFormat("%04d", d.year()); });

  for (size_t i = 0; i < candidates.size(); ++i) {
    RetentionDecision d;
    d.backup_id = candidates[i].backup_id;
    d.created = candidates[i].created;
    if (!candidates[i].succeeded) {
      d.keep = true;
      d.reason = "failed backup: not counted, not managed by retention";
    } else if (rules_.empty()) {
      d.keep = true;
      d.reason = "no retention rules: keep everything";
    } else if (!reasons[i].empty()) {
      d.keep = true;
      d.reason = absl::StrCat("kept: ", absl::StrJoin(reasons[i], ", "));
    } else if (candidates[i].locked_until > now) {
      // Deleting it would be refused by the storage until then.
      d.keep = true;
      d.locked_until = candidates[i].locked_until;
      d.reason = absl::StrCat("locked until ",
                              absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", d.locked_until, absl::UTCTimeZone()),
                              " (S3 Object Lock); not kept by ", rules_.ToString(),
                              ", so it goes once the lock has passed");
    } else {
      d.keep = false;
      d.reason = absl::StrCat("delete: not kept by ", rules_.ToString());
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace dbdump
