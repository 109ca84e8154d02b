#include "controller/notify/async_notifier.h"

#include "common/base/log.h"

namespace dbdump {

AsyncNotifier::AsyncNotifier(AsyncNotifierOptions options) : options_(options) {}

AsyncNotifier::~AsyncNotifier() { Stop(); }

void AsyncNotifier::AddChannel(std::unique_ptr<NotificationChannel> channel,
                               std::set<NotificationEvent> events) {
  routes_.push_back({std::move(channel), std::move(events)});
}

void AsyncNotifier::Start() {
  if (!worker_.joinable()) worker_ = std::thread([this] { Work(); });
}

void AsyncNotifier::Notify(const Notification& n) {
  absl::MutexLock l(&mu_);
  if (stopping_) return;
  queue_.push_back(n);
  while (queue_.size() > options_.max_queued) {
    LogWarn("notifier", "queue full: dropping \"", queue_.front().summary, "\"");
    queue_.pop_front();
    ++dropped_;
  }
}

int AsyncNotifier::dropped() {
  absl::MutexLock l(&mu_);
  return dropped_;
}

bool AsyncNotifier::Flush(absl::Duration timeout) {
  absl::MutexLock l(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(
                                  +[](AsyncNotifier* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                    return a->queue_.empty() && !a->busy_;
                                  },
                                  this),
                              timeout);
}

void AsyncNotifier::Stop() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  if (worker_.joinable()) worker_.join();
}

void AsyncNotifier::Work() {
  auto stopping = [this] {
    absl::MutexLock l(&mu_);
    return stopping_;
  };
  while (true) {
    Notification n;
    {
      absl::MutexLock l(&mu_);
      busy_ = false;
      mu_.Await(absl::Condition(
          +[](AsyncNotifier* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return a->stopping_ || !a->queue_.empty();
          },
          this));
      if (stopping_) return;
      n = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    for (Route& r : routes_) {
      if (!r.events.count(n.event)) continue;
      absl::Duration wait = options_.backoff;
      for (int attempt = 1;; ++attempt) {
        absl::Status st = r.channel->Send(n);
        if (st.ok()) break;
        bool retry = absl::IsUnavailable(st) && attempt < options_.attempts;
        LogWarn("notifier", r.channel->name(), ": ", st.message(),
                retry ? "; retrying" : "; giving up on this notification");
        if (!retry) break;
        // Waits on the mutex so Stop interrupts the backoff.
        absl::MutexLock l(&mu_);
        mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait);
        if (stopping_) return;
        wait = wait * 2;
      }
      if (stopping()) return;
    }
  }
}

}  // namespace dbdump
