// The Object Lock date of a backup written to a destination that locks
// "until retention would delete it".
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controller/retention/retention_policy.h"
#include "controller/store/store.h"

namespace dbdump {

// The longest the rules can keep a backup, counted from its creation, while
// backups keep coming (so no rule is stretched by missing ones): the longest
// of keep_within; keep_daily N days; keep_weekly N weeks; keep_monthly
// N x 31 days; keep_yearly N x 366 days; keep_last N x `backup_interval`
// (zero: unknown, that rule then sets no date). Zero when no rule bounds it
// (no rules: everything is kept).
absl::Duration RetentionHorizon(const RetentionRules& rules, absl::Duration backup_interval);

// The longest gap between consecutive successful backups among the newest
// `count` + 1 of `created` times (oldest first); zero with fewer than two.
absl::Duration RecentBackupInterval(const std::vector<absl::Time>& created, int count);

// For a destination locked until retention: `created` + the horizon of the
// database's rules in force, and never before `created` + its retain_s.
// InfinitePast() for any other destination. FailedPrecondition, saying what
// to set, when neither the rules nor retain_s give a date.
absl::StatusOr<absl::Time> UntilRetentionLockDate(Store* store, const std::string& database,
                                                  const dbdump::v1::StorageDestination& dest,
                                                  absl::Time created);

}  // namespace dbdump
