// HttpClient: one reusable libcurl connection for S3 and STS requests.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace dbdump {

struct HttpRequest {
  std::string method;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  // Body to send (not owned); may be null for none.
  const char* body = nullptr;
  size_t body_size = 0;
  // When set, a 2xx answer's body is handed here as it arrives (bounded
  // memory for big downloads) instead of kept in HttpResponse::body, which
  // then holds only an error answer's body. An error stops the transfer and
  // is what Send returns.
  std::function<absl::Status(const char* data, size_t n)> on_body;
};

struct HttpResponse {
  long status = 0;
  // Lowercase header names.
  std::map<std::string, std::string> headers;
  std::string body;
};

struct HttpOptions {
  bool verify_tls = true;
  std::string ca_file;  // empty: the system's trust store
  long connect_timeout_s = 10;
  // A transfer slower than 1 KiB/s for this long is aborted (stalled connection).
  long stall_timeout_s = 30;
};

// Keeps its connection alive between requests (same host: reused). Not
// thread-safe: one per thread, or pooled.
class HttpClient {
 public:
  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Transport failures (refused, reset, timeout, TLS) are Unavailable; any
  // HTTP status is returned in `response`.
  absl::Status Send(const HttpRequest& request, HttpResponse* response);

 private:
  HttpOptions options_;
  void* curl_;
};

}  // namespace dbdump
