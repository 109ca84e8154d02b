#include "controller/retention/lock_horizon.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "common/storage/object_lock.h"
#include "controller/retention/rules_in_force.h"

namespace dbdump {

absl::Duration RetentionHorizon(const RetentionRules& rules, absl::Duration backup_interval) {
  const absl::Duration day = absl::Hours(24);
  // A period's newest backup is kept while its period is one of the last N
  // that have backups: at most N periods after the period's start.
  absl::Duration h = std::max({rules.keep_within, rules.keep_daily * day,
                               rules.keep_weekly * 7 * day, rules.keep_monthly * 31 * day,
                               rules.keep_yearly * 366 * day});
  // One of the last N: until N newer backups came.
  if (rules.keep_last > 0) h = std::max(h, rules.keep_last * backup_interval);
  return h;
}

absl::Duration RecentBackupInterval(const std::vector<absl::Time>& created, int count) {
  absl::Duration longest = absl::ZeroDuration();
  size_t first = created.size() > static_cast<size_t>(count) + 1
                     ? created.size() - static_cast<size_t>(count) - 1
                     : 0;
  for (size_t i = first + 1; i < created.size(); ++i) {
    longest = std::max(longest, created[i] - created[i - 1]);
  }
  return longest;
}

absl::StatusOr<absl::Time> UntilRetentionLockDate(Store* store, const std::string& database,
                                                  const v1::StorageDestination& dest,
                                                  absl::Time created) {
  if (!HasObjectLock(dest) || !dest.object_lock().until_retention()) return absl::InfinitePast();
  ASSIGN_OR_RETURN(RulesInForce in_force, LoadRulesInForce(store, database));
  absl::Duration interval = absl::ZeroDuration();
  if (in_force.rules.keep_last > 0) {
    ASSIGN_OR_RETURN(std::vector<v1::Backup> backups, store->ListBackupsByAge(database));
    std::vector<absl::Time> times;
    for (const v1::Backup& b : backups) {
      if (b.state() == v1::BACKUP_STATE_COMPLETED) times.push_back(TimeFromString(b.created_at()));
    }
    // This backup is the newest: it counts as the gap after the last one.
    times.push_back(created);
    interval = RecentBackupInterval(times, in_force.rules.keep_last);
  }
  absl::Duration horizon = std::max(
      RetentionHorizon(in_force.rules, interval),
      absl::Seconds(static_cast<int64_t>(dest.object_lock().retain_s())));
  if (horizon <= absl::ZeroDuration()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "storage \"", dest.name(), "\" locks backups until retention would delete them, but the "
        "retention of database \"", database, "\" sets no end (", in_force.source,
        "): give the database retention rules (dbdumpctl retention set ", database,
        " --keep-daily=7) or the storage a period (dbdumpctl storage update ", dest.name(),
        " --object-lock-retain=30d)"));
  }
  return absl::FromUnixSeconds(absl::ToUnixSeconds(created)) + horizon;
}

}  // namespace dbdump
