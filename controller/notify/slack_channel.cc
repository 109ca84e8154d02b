#include "controller/notify/slack_channel.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace dbdump {

SlackChannel::SlackChannel(std::string url) : url_(std::move(url)), http_(HttpOptions()) {}

absl::Status SlackChannel::Send(const Notification& n) {
  // Slack's {"text": ...} with the same escaping as the generic webhook.
  std::string json = NotificationJson(Notification{n.event, "", NotificationText(n), {}, n.time});
  // Extract the escaped summary from the generic body rather than escape twice.
  size_t start = json.find("\"summary\":") + 10;
  size_t end = json.find(",\"time\":");
  std::string body = absl::StrCat("{\"text\":", json.substr(start, end - start), "}");
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
