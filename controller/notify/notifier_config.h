// Builds the controller's AsyncNotifier from its flags.
#pragma once

#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "controller/notify/async_notifier.h"

namespace dbdump {

// Secrets (webhook URL, which often carries a token, HMAC key, Slack URL,
// SMTP login) come from files of mode 0600, never from the command line.
struct NotifierConfig {
  std::string webhook_url_file;
  std::string webhook_secret_file;
  std::string slack_url_file;
  std::string smtp_url;
  std::string email_from;
  // Comma-separated.
  std::string email_to;
  // One line "user:password".
  std::string smtp_credentials_file;
  // Comma-separated: failure, success, verify_failure, stale, missing.
  std::string events = "failure,verify_failure,stale,missing";
};

absl::StatusOr<std::set<NotificationEvent>> ParseNotificationEvents(const std::string& list);
// Null when no channel is configured.
absl::StatusOr<std::unique_ptr<AsyncNotifier>> MakeNotifier(const NotifierConfig& config,
                                                            AsyncNotifierOptions options);

}  // namespace dbdump
