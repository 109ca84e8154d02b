#include "controller/notify/webhook_channel.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace dbdump {

namespace {

// Host part of a URL, for logs: paths and queries may carry tokens.
std::string HostOf(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = url.find_first_of("/?#", start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

absl::Status CheckHttpStatus(const std::string& what, long status, const std::string& body) {
  if (status >= 200 && status < 300) return absl::OkStatus();
  std::string msg = absl::StrCat(what, " answered HTTP ", status);
  // 5xx and 429 are worth a retry; other codes mean the request is wrong.
  if (status >= 500 || status == 429) return absl::UnavailableError(msg);
  return absl::FailedPreconditionError(msg);
}

}  // namespace

WebhookChannel::WebhookChannel(std::string url, std::string hmac_key)
    : url_(std::move(url)), hmac_key_(std::move(hmac_key)), http_(HttpOptions()) {}

std::string WebhookChannel::name() const { return absl::StrCat("webhook ", HostOf(url_)); }

std::string WebhookChannel::Signature(const std::string& key, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(mac), len));
}

absl::Status WebhookChannel::Send(const Notification& n) {
  std::string body = NotificationJson(n);
  HttpRequest req;
  req.method = "POST";
  req.url = url_;
  req.headers = {{"Content-Type", "application/json"}, {"User-Agent", "dbdump-controller"}};
  if (!hmac_key_.empty()) {
    req.headers.push_back({"X-Dbdump-Signature", "sha256=" + Signature(hmac_key_, body)});
  }
  req.body = body.data();
  req.body_size = body.size();
  HttpResponse resp;
  absl::Status st = http_.Send(req, &resp);
  // A webhook URL may carry a token: only its host is ever shown.
  if (!st.ok()) {
    return absl::UnavailableError(
        absl::StrReplaceAll(st.message(), {{url_, absl::StrCat("<", name(), ">")}}));
  }
  return CheckHttpStatus(name(), resp.status, resp.body);
}

}  // namespace dbdump
