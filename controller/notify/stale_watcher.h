// StaleWatcher: notifies when a database's last good backup gets too old.
#pragma once

#include <functional>
#include <set>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/status/statusor.h"
#include "controller/notify/notifier.h"
#include "dbdump/v1/controller_service.pb.h"

namespace dbdump {

// Checks at most every `interval` and notifies once per database each time
// it becomes stale (again after it recovered). Thread-safe.
class StaleWatcher {
 public:
  // Where the statistics come from (the health service's per-database view).
  using StatsSource = std::function<absl::StatusOr<dbdump::v1::GetStatsResponse>()>;

  StaleWatcher(StatsSource stats, Notifier* notifier, absl::Duration interval)
      : stats_(std::move(stats)), notifier_(notifier), interval_(interval) {}
  void Check(absl::Time now);

 private:
  StatsSource stats_;
  Notifier* notifier_;
  absl::Duration interval_;
  absl::Mutex mu_;
  absl::Time last_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::set<std::string> stale_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dbdump
