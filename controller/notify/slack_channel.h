// SlackChannel: a Slack incoming webhook.
#pragma once

#include <string>

#include "common/s3/http_client.h"
#include "controller/notify/notification_channel.h"

namespace dbdump {

// POSTs {"text": ...}. The webhook URL is itself a secret: it is never
// logged (name() is just "slack"). Not thread-safe.
class SlackChannel final : public NotificationChannel {
 public:
  explicit SlackChannel(std::string url);
  std::string name() const override { return "slack"; }
  absl::Status Send(const Notification& n) override;

 private:
  std::string url_;
  HttpClient http_;
};

}  // namespace dbdump
