#include "controller/notify/slack_channel.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace dbdump {

SlackChannel::SlackChannel(std::string url) : url_(std::move(url)), http_(HttpOptions()) {}

absl::Status SlackChannel::Send(const Notification& n) {
  // Slack's incoming webhooks take {"text": ...}; bytes that are not UTF-8
  // are replaced (U+FFFD) rather than thrown on.
  nlohmann::json message = {{"text", NotificationText(n)}};
  std::string body = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  HttpRequest req;
  req.method = "POST";
  req.url = url_;
  req.headers = {{"Content-Type", "application/json"}};
  req.body = body.data();
  req.body_size = body.size();
  HttpResponse resp;
  absl::Status st = http_.Send(req, &resp);
  // The URL is the credential: it never reaches a log or an error.
  if (!st.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "slack: ", absl::StrReplaceAll(st.message(), {{url_, "<slack webhook url>"}})));
  }
  if (resp.status >= 200 && resp.status < 300) return absl::OkStatus();
  std::string msg = absl::StrCat("slack answered HTTP ", resp.status);
  if (resp.status >= 500 || resp.status == 429) return absl::UnavailableError(msg);
  return absl::FailedPreconditionError(msg);
}

}  // namespace dbdump
