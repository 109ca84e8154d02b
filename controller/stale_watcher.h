// StaleWatcher: notifies when a database's last good backup gets too old.
#pragma once

#include <set>
#include <string>

#include "absl/synchronization/mutex.h"
#include "controller/health_service_impl.h"
#include "controller/notifier.h"

namespace dbdump {

// Checks at most every `interval` and notifies once per database each time
// it becomes stale (again after it recovered). Thread-safe.
class StaleWatcher {
 public:
  StaleWatcher(HealthServiceImpl* health, Notifier* notifier, absl::Duration interval)
      : health_(health), notifier_(notifier), interval_(interval) {}
  void Check(absl::Time now);

 private:
  HealthServiceImpl* health_;
  Notifier* notifier_;
  absl::Duration interval_;
  absl::Mutex mu_;
  absl::Time last_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::set<std::string> stale_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dbdump
