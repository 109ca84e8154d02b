// CapturingNotifier: a Notifier that keeps what it is given.
#pragma once

#include <vector>

#include "absl/synchronization/mutex.h"
#include "controller/notify/notifier.h"

namespace dbdump {

// Thread-safe: tests read `seen` holding `mu`.
class CapturingNotifier final : public Notifier {
 public:
  void Notify(const Notification& n) override {
    absl::MutexLock l(&mu);
    seen.push_back(n);
  }
  absl::Mutex mu;
  std::vector<Notification> seen ABSL_GUARDED_BY(mu);
};

}  // namespace dbdump
