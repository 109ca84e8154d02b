// EmailChannel: notifications as e-mail over SMTP (libcurl).
#pragma once

#include <string>
#include <vector>

#include "controller/notify/notification_channel.h"

namespace dbdump {

struct EmailChannelOptions {
  // smtp://host:port or smtps://host:port.
  std::string smtp_url;
  std::string from;
  std::vector<std::string> to;
  // Optional SMTP login; the password is never logged nor put in a message.
  std::string username;
  std::string password;
  long timeout_s = 30;
};

// Not thread-safe.
class EmailChannel final : public NotificationChannel {
 public:
  explicit EmailChannel(EmailChannelOptions options) : options_(std::move(options)) {}
  std::string name() const override;
  absl::Status Send(const Notification& n) override;
  // The RFC 5322 message sent for `n`.
  std::string Message(const Notification& n) const;

 private:
  EmailChannelOptions options_;
};

}  // namespace dbdump
