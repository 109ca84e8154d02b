#include "controller/notify/stale_watcher.h"

#include "absl/strings/str_cat.h"
#include "common/base/log.h"

namespace dbdump {

void StaleWatcher::Check(absl::Time now) {
  absl::MutexLock l(&mu_);
  if (now - last_ < interval_) return;
  last_ = now;
  auto stats = stats_();
  if (!stats.ok()) {
    LogWarn("controller", "stale check: ", stats.status().message());
    return;
  }
  std::set<std::string> stale;
  for (const v1::DatabaseStats& s : stats->databases()) {
    if (!s.stale()) continue;
    stale.insert(s.database());
    if (stale_.count(s.database()) || notifier_ == nullptr) continue;
    Notification n;
    n.event = NotificationEvent::kBackupStale;
    n.database = s.database();
    n.summary = absl::StrCat("database ", s.database(), " has no recent good backup");
    n.fields = {{"database", s.database()},
                {"last good backup",
                 s.last_good_backup_at().empty() ? "none" : s.last_good_backup_at()}};
    n.time = now;
    notifier_->Notify(n);
  }
  stale_ = std::move(stale);
}

}  // namespace dbdump
