#include "controller/notify/email_channel.h"

#include <curl/curl.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"

namespace dbdump {
namespace {

struct Upload {
  const std::string* data;
  size_t pos = 0;
};

size_t ReadMessage(char* buf, size_t size, size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  size_t k = std::min(size * n, u->data->size() - u->pos);
  memcpy(buf, u->data->data() + u->pos, k);
  u->pos += k;
  return k;
}

// Header values never carry line breaks (no header injection).
std::string OneLine(const std::string& s) {
  return absl::StrReplaceAll(s, {{"\r", " "}, {"\n", " "}});
}

}  // namespace

std::string EmailChannel::name() const {
  std::string url = options_.smtp_url;
  return absl::StrCat("email via ", url.substr(0, url.find('?')));
}

std::string EmailChannel::Message(const Notification& n) const {
  std::string body = absl::StrReplaceAll(NotificationText(n), {{"\r", ""}, {"\n", "\r\n"}});
  // No dot-stuffing here: libcurl escapes lines starting with '.' itself.
  return absl::StrCat("From: ", OneLine(options_.from), "\r\n", "To: ",
                      OneLine(absl::StrJoin(options_.to, ", ")), "\r\n", "Subject: [dbdump] ",
                      OneLine(n.summary), "\r\n", "Date: ",
                      absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", n.time, absl::UTCTimeZone()),
                      "\r\n", "Content-Type: text/plain; charset=utf-8\r\n",
                      "X-Dbdump-Event: ", NotificationEventName(n.event), "\r\n\r\n", body, "\r\n");
}

absl::Status EmailChannel::Send(const Notification& n) {
  if (options_.to.empty()) return absl::FailedPreconditionError("email: no recipient");
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("email: cannot start libcurl");
  std::string message = Message(n);
  Upload upload{&message};
  curl_slist* rcpt = nullptr;
  for (const std::string& to : options_.to) rcpt = curl_slist_append(rcpt, to.c_str());
  std::string from = absl::StrCat("<", options_.from, ">");
  curl_easy_setopt(curl, CURLOPT_URL, options_.smtp_url.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadMessage);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, options_.timeout_s);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  if (!options_.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, options_.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.password.c_str());
  }
  CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(curl);
  if (rc == CURLE_OK) return absl::OkStatus();
  std::string msg = absl::StrCat(name(), ": ", curl_easy_strerror(rc),
                                 code ? absl::StrCat(" (SMTP ", code, ")") : "");
  // Permanent SMTP refusals (5xx) are not retried.
  if (code >= 500) return absl::FailedPreconditionError(msg);
  return absl::UnavailableError(msg);
}

}  // namespace dbdump
