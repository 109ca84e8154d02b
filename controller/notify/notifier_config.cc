#include "controller/notify/notifier_config.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/status_macros.h"
#include "controller/notify/email_channel.h"
#include "controller/notify/slack_channel.h"
#include "controller/notify/webhook_channel.h"

namespace dbdump {
namespace {

absl::StatusOr<std::string> ReadSecretFile(const std::string& flag, const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("--", flag, ": cannot read ", path));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--", flag, ": ", path, " is readable by others: chmod 600 it, it holds a secret"));
  }
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string v(absl::StripAsciiWhitespace(ss.str()));
  if (v.empty()) return absl::FailedPreconditionError(absl::StrCat("--", flag, ": ", path, " is empty"));
  return v;
}

}  // namespace

absl::StatusOr<std::set<NotificationEvent>> ParseNotificationEvents(const std::string& list) {
  std::set<NotificationEvent> out;
  for (absl::string_view e : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    bool found = false;
    for (NotificationEvent k :
         {NotificationEvent::kBackupFailed, NotificationEvent::kBackupSucceeded,
          NotificationEvent::kVerificationFailed, NotificationEvent::kBackupStale,
          NotificationEvent::kBackupMissing}) {
      if (absl::StripAsciiWhitespace(e) == NotificationEventName(k)) {
        out.insert(k);
        found = true;
      }
    }
    if (!found) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown notification event \"", e, "\": use failure, success, verify_failure, stale, missing"));
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<AsyncNotifier>> MakeNotifier(const NotifierConfig& c,
                                                            AsyncNotifierOptions options) {
  ASSIGN_OR_RETURN(std::set<NotificationEvent> events, ParseNotificationEvents(c.events));
  auto notifier = std::make_unique<AsyncNotifier>(options);
  int channels = 0;
  if (!c.webhook_url_file.empty()) {
    ASSIGN_OR_RETURN(std::string url,
                     ReadSecretFile("notify_webhook_url_file", c.webhook_url_file));
    std::string key;
    if (!c.webhook_secret_file.empty()) {
      ASSIGN_OR_RETURN(key, ReadSecretFile("notify_webhook_secret_file", c.webhook_secret_file));
    }
    notifier->AddChannel(std::make_unique<WebhookChannel>(url, key), events);
    ++channels;
  }
  if (!c.slack_url_file.empty()) {
    ASSIGN_OR_RETURN(std::string url, ReadSecretFile("notify_slack_url_file", c.slack_url_file));
    notifier->AddChannel(std::make_unique<SlackChannel>(url), events);
    ++channels;
  }
  if (!c.smtp_url.empty()) {
    EmailChannelOptions eo;
    eo.smtp_url = c.smtp_url;
    eo.from = c.email_from;
    for (absl::string_view to : absl::StrSplit(c.email_to, ',', absl::SkipWhitespace())) {
      eo.to.emplace_back(absl::StripAsciiWhitespace(to));
    }
    if (eo.from.empty() || eo.to.empty()) {
      return absl::InvalidArgumentError(
          "--notify_smtp_url needs --notify_email_from and --notify_email_to");
    }
    if (!c.smtp_credentials_file.empty()) {
      ASSIGN_OR_RETURN(std::string cred,
                       ReadSecretFile("notify_smtp_credentials_file", c.smtp_credentials_file));
      size_t colon = cred.find(':');
      if (colon == std::string::npos) {
        return absl::InvalidArgumentError(
            "--notify_smtp_credentials_file must hold one line user:password");
      }
      eo.username = cred.substr(0, colon);
      eo.password = cred.substr(colon + 1);
    }
    notifier->AddChannel(std::make_unique<EmailChannel>(eo), events);
    ++channels;
  }
  if (channels == 0) return std::unique_ptr<AsyncNotifier>();
  return notifier;
}

}  // namespace dbdump
