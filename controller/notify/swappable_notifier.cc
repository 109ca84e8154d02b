#include "controller/notify/swappable_notifier.h"

#include <utility>

namespace dbdump {

SwappableNotifier::SwappableNotifier(std::unique_ptr<AsyncNotifier> current)
    : current_(std::move(current)) {}

SwappableNotifier::~SwappableNotifier() = default;

void SwappableNotifier::SetDeliveryObserver(
    std::function<void(const std::string& channel, bool delivered)> observer) {
  absl::MutexLock lock(&mu_);
  observer_ = std::move(observer);
  if (current_ && observer_) current_->SetDeliveryObserver(observer_);
}

void SwappableNotifier::Start() {
  absl::MutexLock lock(&mu_);
  if (started_) return;
  started_ = true;
  if (current_) current_->Start();
}

void SwappableNotifier::Notify(const Notification& n) {
  std::shared_ptr<AsyncNotifier> current;
  {
    absl::MutexLock lock(&mu_);
    current = current_;
  }
  // Outside the lock: Notify only queues, but a Replace must not wait on it.
  if (current) current->Notify(n);
}

void SwappableNotifier::Replace(std::unique_ptr<AsyncNotifier> next, absl::Duration drain) {
  std::shared_ptr<AsyncNotifier> previous;
  {
    absl::MutexLock lock(&mu_);
    if (next && observer_) next->SetDeliveryObserver(observer_);
    if (next && started_) next->Start();
    previous = std::move(current_);
    current_ = std::move(next);
  }
  if (previous) {
    previous->Flush(drain);
    previous->Stop();
  }
}

void SwappableNotifier::FlushAndStop(absl::Duration drain) { Replace(nullptr, drain); }

}  // namespace dbdump
