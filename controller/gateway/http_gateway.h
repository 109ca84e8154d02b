// HttpGateway: the controller's HTTP/JSON door. REST routes declared beside
// the RPCs (RouteTable) are answered by calling the same RPC on the
// controller's own gRPC server (LoopbackClient), with the client's bearer
// token; streaming RPCs become Server-Sent Events. Also serves the OpenAPI
// document (/v1/openapi.json), Prometheus metrics (/metrics) and the web
// dashboard (/).
//
// HTTP server: cpp-httplib (Debian's libcpp-httplib, built with OpenSSL):
// a small, well-kept library whose thread-per-connection model suits an
// admin API of a few clients, and whose chunked content providers give
// Server-Sent Events without an event loop of our own. Civetweb and
// libmicrohttpd would need more glue for TLS reloading and streaming;
// Boost.Beast much more code for the same.
//
// Thread-safe; Start and Stop from one thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace dbdump {

struct HttpGatewayOptions {
  // host:port to serve on (port 0: any free port).
  std::string listen;
  // The controller's own gRPC address (loopback), called for every route.
  std::string grpc_target;
  // Serve plain HTTP and call gRPC without TLS (the controller runs with
  // --insecure_plaintext). Otherwise HTTPS with `cert_path`/`key_path`, and
  // the loopback channel trusts `ca_path`.
  bool plaintext = false;
  std::string cert_path;
  std::string key_path;
  std::string ca_path;
  // Origins allowed to call the API from a browser page of another origin
  // (exact match, e.g. "https://ops.example.com"). None by default.
  std::vector<std::string> cors_origins;
  // The dashboard's files; empty: no dashboard, API only.
  std::string dashboard_dir;
  size_t max_body_bytes = 1 << 20;
  // How often an idle event stream gets a comment line (and a client that
  // went away is noticed).
  absl::Duration sse_heartbeat = absl::Seconds(15);
  absl::Duration call_timeout = absl::Minutes(2);
  // Connections served at once; event streams may use at most half.
  int threads = 32;
  std::string version;
  // GET /metrics answers this (Prometheus' text format) to a caller whose
  // bearer token has role viewer or higher: the metrics name databases and
  // agents, which the API shows viewers only. The token is checked by
  // calling TokenService/GetSession with it, so the one auth path decides
  // (and records refusals). Null: /metrics is not served.
  std::function<std::string()> metrics;
};

class HttpGateway {
 public:
  // FailedPrecondition when the address cannot be served, the certificate
  // cannot be read or the routes are inconsistent.
  static absl::StatusOr<std::unique_ptr<HttpGateway>> Start(HttpGatewayOptions options);
  ~HttpGateway();

  int port() const;
  // Ends open event streams and stops serving; waits for handlers to return.
  void Stop();

 private:
  struct Impl;
  explicit HttpGateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dbdump
