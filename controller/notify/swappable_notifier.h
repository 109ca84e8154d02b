// SwappableNotifier: notifications go to whichever AsyncNotifier is current,
// so that SIGHUP can put one built from new settings in place while the
// dispatcher, scheduler and watchers keep the pointer they were given.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "controller/notify/async_notifier.h"
#include "controller/notify/notifier.h"

namespace dbdump {

// Thread-safe.
class SwappableNotifier final : public Notifier {
 public:
  // `current` may be null (no channel configured): notifications go nowhere.
  explicit SwappableNotifier(std::unique_ptr<AsyncNotifier> current);
  ~SwappableNotifier() override;

  // Before Start: every notifier that becomes current reports its
  // deliveries to `observer` (see AsyncNotifier::SetDeliveryObserver).
  void SetDeliveryObserver(std::function<void(const std::string& channel, bool delivered)> observer);
  void Start();
  void Notify(const Notification& n) override;
  // Starts `next` and makes it current; the previous one sends what it has
  // queued (for up to `drain`) and stops.
  void Replace(std::unique_ptr<AsyncNotifier> next, absl::Duration drain);
  void FlushAndStop(absl::Duration drain);

 private:
  absl::Mutex mu_;
  std::shared_ptr<AsyncNotifier> current_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void(const std::string&, bool)> observer_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dbdump
