// AsyncNotifier: queues notifications and sends them on its own thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <set>
#include <vector>

#include "common/base/work_queue.h"
#include "controller/notify/notification_channel.h"
#include "controller/notify/notifier.h"

namespace dbdump {

struct AsyncNotifierOptions {
  // Tries per channel and notification, and the wait before the first
  // retry (doubled each time).
  int attempts = 4;
  absl::Duration backoff = absl::Seconds(2);
  // Notifications waiting beyond this are dropped (oldest first), logged.
  size_t max_queued = 1000;
};

// Notify only queues: the scheduler and dispatcher never wait for a slow or
// dead receiver. Each channel receives the events selected for it. Failed
// sends are retried with backoff; a notification that still fails is logged
// and dropped. Thread-safe.
class AsyncNotifier final : public Notifier {
 public:
  explicit AsyncNotifier(AsyncNotifierOptions options);
  ~AsyncNotifier() override;

  // Before Start.
  void AddChannel(std::unique_ptr<NotificationChannel> channel,
                  std::set<NotificationEvent> events);
  // Before Start: told of each notification a channel delivered or gave up
  // on, with the channel's kind ("webhook", "slack", "email": never its URL,
  // which may be a secret); on the queue's thread, must not block.
  void SetDeliveryObserver(std::function<void(const std::string& channel, bool delivered)> observer);
  void Start();
  void Notify(const Notification& n) override;
  // Waits until everything queued was sent or given up; false on timeout.
  bool Flush(absl::Duration timeout);
  void Stop();
  int dropped();

 private:
  struct Route {
    std::unique_ptr<NotificationChannel> channel;
    std::set<NotificationEvent> events;
  };
  // On the queue's thread: to every channel that selected the event.
  void Send(const Notification& n);

  const AsyncNotifierOptions options_;
  // Filled before Start, then read by the queue's thread only.
  std::vector<Route> routes_;
  std::function<void(const std::string&, bool)> observer_;
  // Last: its thread, which uses the members above, ends first.
  WorkQueue queue_;
};

}  // namespace dbdump
