// NotificationChannel: one destination of notifications (webhook, Slack, e-mail).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "controller/notify/notifier.h"

namespace dbdump {

// Interface. Send blocks until delivered or failed; Unavailable = worth
// retrying. Implementations are not required to be thread-safe (one
// AsyncNotifier worker calls them).
class NotificationChannel {
 public:
  virtual ~NotificationChannel() = default;
  // For logs; never contains a secret (no URL token, no password).
  virtual std::string name() const = 0;
  virtual absl::Status Send(const Notification& n) = 0;
};

// The JSON body of generic webhooks:
// {"event":"failure","database":"orders","summary":"...","time":"...","fields":{...}}
std::string NotificationJson(const Notification& n);
// Plain text: the summary, then one "key: value" line per field.
std::string NotificationText(const Notification& n);

}  // namespace dbdump
