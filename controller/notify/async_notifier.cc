#include "controller/notify/async_notifier.h"

#include "absl/strings/str_cat.h"
#include "common/base/log.h"

namespace dbdump {
namespace {

WorkQueueOptions QueueOptions(const AsyncNotifierOptions& o) {
  WorkQueueOptions q;
  q.name = "notifier";
  q.max_queued = o.max_queued;
  return q;
}

}  // namespace

AsyncNotifier::AsyncNotifier(AsyncNotifierOptions options)
    : options_(options), queue_(QueueOptions(options)) {}

AsyncNotifier::~AsyncNotifier() { Stop(); }

void AsyncNotifier::AddChannel(std::unique_ptr<NotificationChannel> channel,
                               std::set<NotificationEvent> events) {
  routes_.push_back({std::move(channel), std::move(events)});
}

void AsyncNotifier::Start() { queue_.Start(); }

void AsyncNotifier::Notify(const Notification& n) {
  // Refused only once stopping, when nothing would send it anyway; drops
  // for a full queue are logged by the queue itself.
  (void)queue_.Post([this, n] { Send(n); }, absl::StrCat("\"", n.summary, "\""));
}

int AsyncNotifier::dropped() { return queue_.dropped(); }

bool AsyncNotifier::Flush(absl::Duration timeout) { return queue_.WaitIdle(timeout); }

void AsyncNotifier::Stop() { queue_.Stop(); }

void AsyncNotifier::SetDeliveryObserver(
    std::function<void(const std::string& channel, bool delivered)> observer) {
  observer_ = std::move(observer);
}

void AsyncNotifier::Send(const Notification& n) {
  for (Route& r : routes_) {
    if (!r.events.count(n.event)) continue;
    absl::Duration wait = options_.backoff;
    // The first word of the name ("webhook host", "email via smtp://...").
    std::string kind = r.channel->name();
    kind = kind.substr(0, kind.find(' '));
    for (int attempt = 1;; ++attempt) {
      absl::Status st = r.channel->Send(n);
      if (st.ok()) {
        if (observer_) observer_(kind, true);
        break;
      }
      bool retry = absl::IsUnavailable(st) && attempt < options_.attempts;
      LogWarn("notifier", r.channel->name(), ": ", st.message(),
              retry ? "; retrying" : "; giving up on this notification");
      if (!retry) {
        if (observer_) observer_(kind, false);
        break;
      }
      // Stop interrupts the backoff.
      if (!queue_.SleepUnlessStopped(wait)) return;
      wait = wait * 2;
    }
    if (queue_.stopping()) return;
  }
}

}  // namespace dbdump
