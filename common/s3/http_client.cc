#include "common/s3/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace dbdump {
namespace {

struct UploadState {
  const char* data;
  size_t size;
  size_t pos;
};

size_t ReadBody(char* buf, size_t size, size_t n, void* user) {
  auto* s = static_cast<UploadState*>(user);
  size_t k = std::min(size * n, s->size - s->pos);
  memcpy(buf, s->data + s->pos, k);
  s->pos += k;
  return k;
}

size_t WriteBody(char* buf, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(buf, size * n);
  return size * n;
}

// Where a streamed body goes: the caller's callback for a 2xx answer, the
// response (an error's body, kept small) otherwise.
struct BodyState {
  CURL* curl;
  const std::function<absl::Status(const char*, size_t)>* on_body;
  std::string* error_body;
  absl::Status failed;
};

constexpr size_t kMaxErrorBody = 64 << 10;

size_t StreamBody(char* buf, size_t size, size_t n, void* user) {
  auto* s = static_cast<BodyState*>(user);
  long status = 0;
  curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) {
    size_t room = kMaxErrorBody - std::min(kMaxErrorBody, s->error_body->size());
    s->error_body->append(buf, std::min(room, size * n));
    return size * n;
  }
  s->failed = (*s->on_body)(buf, size * n);
  return s->failed.ok() ? size * n : 0;  // 0 makes curl stop with a write error
}

size_t WriteHeader(char* buf, size_t size, size_t n, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  absl::string_view line(buf, size * n);
  if (absl::StartsWith(line, "HTTP/")) {
    headers->clear();  // a new response (after 100-continue or a redirect)
  } else if (auto colon = line.find(':'); colon != absl::string_view::npos) {
    (*headers)[absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, colon)))] =
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  }
  return size * n;
}

}  // namespace

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  curl_ = curl_easy_init();
}

HttpClient::~HttpClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

absl::Status HttpClient::Send(const HttpRequest& req, HttpResponse* resp) {
  CURL* c = static_cast<CURL*>(curl_);
  curl_easy_reset(c);  // keeps the connection cache
  resp->status = 0;
  resp->headers.clear();
  resp->body.clear();
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, options_.connect_timeout_s);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, options_.stall_timeout_s);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  if (!options_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_PROXY, "");  // S3 endpoints are reached directly
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);

  UploadState up{req.body, req.body ? req.body_size : 0, 0};
  if (req.method == "GET") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else if (req.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadBody);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(up.size));
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }
  struct curl_slist* list = nullptr;
  for (const auto& [k, v] : req.headers) {
    if (k == "host") continue;  // curl derives it from the URL, byte for byte
    list = curl_slist_append(list, absl::StrCat(k, ": ", v).c_str());
  }
  list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
  if (req.method != "GET" && req.method != "HEAD") {
    list = curl_slist_append(list, "Transfer-Encoding:");
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  BodyState streamed{c, &req.on_body, &resp->body, absl::OkStatus()};
  if (req.on_body) {
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, StreamBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &streamed);
  } else {
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp->body);
  }
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp->headers);

  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(list);
  if (!streamed.failed.ok()) return streamed.failed;
  if (rc != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat(req.method, " ", req.url.substr(0, req.url.find('?')),
                                               ": ", curl_easy_strerror(rc)));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
  return absl::OkStatus();
}

}  // namespace dbdump
