// WebhookChannel: generic JSON webhook, optionally signed with HMAC-SHA256.
#pragma once

#include <memory>
#include <string>

#include "common/s3/http_client.h"
#include "controller/notify/notification_channel.h"

namespace dbdump {

// POSTs NotificationJson. With a key, the header
// "X-Dbdump-Signature: sha256=<hex HMAC-SHA256(key, body)>" lets the receiver
// check the sender; the key itself is never sent. Not thread-safe.
class WebhookChannel final : public NotificationChannel {
 public:
  WebhookChannel(std::string url, std::string hmac_key);
  std::string name() const override;
  absl::Status Send(const Notification& n) override;

  static std::string Signature(const std::string& key, const std::string& body);

 private:
  std::string url_;
  std::string hmac_key_;
  HttpClient http_;
};

}  // namespace dbdump
