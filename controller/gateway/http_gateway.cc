#include "controller/gateway/http_gateway.h"

#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/base/log.h"
#include "common/security/identity.h"
#include "common/security/tls_credentials.h"
#include "controller/gateway/dashboard_assets.h"
#include "controller/gateway/http_status.h"
#include "controller/gateway/loopback_client.h"
#include "controller/gateway/openapi.h"
#include "controller/gateway/request_mapping.h"
#include "controller/gateway/route_table.h"
#include "controller/gateway/server_certificate.h"
#include "controller/gateway/sse.h"
#include "controller/gateway/url_decoding.h"
#include "dbdump/v1/http.pb.h"
#include "dbdump/v1/security_service.pb.h"

namespace dbdump {
namespace {

constexpr char kJson[] = "application/json";
// The dashboard loads its own scripts, styles and nothing else.
constexpr char kDashboardPolicy[] =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

// "host:port" or "[v6]:port" into its parts.
bool SplitHostPort(const std::string& address, std::string* host, int* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  *host = address.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  return !host->empty() && absl::SimpleAtoi(address.substr(colon + 1), port) && *port >= 0 &&
         *port <= 65535;
}

// The query string of the request target only (never a form body).
bool ParseQuery(const std::string& target, std::multimap<std::string, std::string>* query) {
  size_t mark = target.find('?');
  if (mark == std::string::npos) return true;
  for (absl::string_view pair : absl::StrSplit(absl::string_view(target).substr(mark + 1), '&',
                                               absl::SkipEmpty())) {
    size_t eq = pair.find('=');
    std::string key, value;
    if (!PercentDecode(pair.substr(0, eq), /*plus_is_space=*/true, &key)) return false;
    if (eq != absl::string_view::npos &&
        !PercentDecode(pair.substr(eq + 1), /*plus_is_space=*/true, &value)) {
      return false;
    }
    query->emplace(std::move(key), std::move(value));
  }
  return true;
}

void Fail(httplib::Response& res, int grpc_code, const std::string& message) {
  res.status = HttpStatusForGrpcCode(grpc_code);
  if (grpc_code == static_cast<int>(grpc::StatusCode::UNAUTHENTICATED)) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"dbdump\"");
  }
  res.set_content(StatusJson(grpc_code, message), kJson);
}

void FailHttp(httplib::Response& res, int http_status, int grpc_code,
              const std::string& message) {
  res.status = http_status;
  res.set_content(StatusJson(grpc_code, message), kJson);
}

}  // namespace

struct HttpGateway::Impl {
  HttpGatewayOptions options;
  RouteTable routes;
  std::string openapi;
  DashboardAssets dashboard;
  bool has_dashboard = false;
  std::unique_ptr<ServerCertificate> certificate;
  std::unique_ptr<httplib::Server> server;
  std::unique_ptr<LoopbackClient> client;
  std::thread thread;
  int port = 0;
  std::atomic<bool> stopping{false};
  absl::Mutex mu;
  std::set<LoopbackClient::Stream*> streams ABSL_GUARDED_BY(mu);
  bool stopped = false;

  void Handle(const httplib::Request& req, httplib::Response& res);
  void HandleApi(const httplib::Request& req, httplib::Response& res, const std::string& path);
  void HandleMetrics(const httplib::Request& req, httplib::Response& res);
  void HandleStream(const HttpRoute& route, const std::string& authorization,
                    const google::protobuf::Message& request, httplib::Response& res);
  void HandleFile(const HttpRoute& route, const std::string& authorization,
                  const google::protobuf::Message& request, httplib::Response& res);
  void AddCors(const httplib::Request& req, httplib::Response& res) const;
  bool OpenStreamSlot(LoopbackClient::Stream* stream);
  void CloseStreamSlot(LoopbackClient::Stream* stream, const char* why);
};

void HttpGateway::Impl::AddCors(const httplib::Request& req, httplib::Response& res) const {
  std::string origin = req.get_header_value("Origin");
  if (origin.empty()) return;
  if (std::find(options.cors_origins.begin(), options.cors_origins.end(), origin) ==
      options.cors_origins.end()) {
    return;
  }
  res.set_header("Access-Control-Allow-Origin", origin);
  res.set_header("Vary", "Origin");
  res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
  res.set_header("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
  res.set_header("Access-Control-Max-Age", "600");
}

void HttpGateway::Impl::Handle(const httplib::Request& req, httplib::Response& res) {
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  if (!options.plaintext) res.set_header("Strict-Transport-Security", "max-age=31536000");
  std::string path = req.target.substr(0, req.target.find('?'));
  if (absl::StartsWith(path, "/v1/") || path == "/v1") {
    res.set_header("Cache-Control", "no-store");
    AddCors(req, res);
    if (req.method == "OPTIONS") {
      res.status = 204;
      return;
    }
    HandleApi(req, res, path);
    return;
  }
  if (path == "/metrics" && options.metrics) {
    res.set_header("Cache-Control", "no-store");
    HandleMetrics(req, res);
    return;
  }
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Content-Security-Policy", kDashboardPolicy);
  const DashboardAssets::Asset* asset = has_dashboard ? dashboard.Find(path) : nullptr;
  if (req.method != "GET" || asset == nullptr) {
    FailHttp(res, req.method == "GET" ? 404 : 405, static_cast<int>(grpc::StatusCode::NOT_FOUND),
             has_dashboard ? absl::StrCat("no page ", path, "; the dashboard is at /")
                           : "this controller serves no dashboard (see --dashboard_dir); "
                             "the API is under /v1/");
    return;
  }
  res.set_header("Cache-Control", "no-cache");
  res.set_content(asset->content, asset->content_type.c_str());
}

void HttpGateway::Impl::HandleMetrics(const httplib::Request& req, httplib::Response& res) {
  if (req.method != "GET") {
    res.set_header("Allow", "GET");
    FailHttp(res, 405, static_cast<int>(grpc::StatusCode::UNIMPLEMENTED), "GET /metrics only");
    return;
  }
  // Without TLS there are no tokens to check (--insecure_plaintext).
  if (!options.plaintext) {
    std::string authorization = req.get_header_value("Authorization");
    if (authorization.empty()) {
      Fail(res, static_cast<int>(grpc::StatusCode::UNAUTHENTICATED),
           "/metrics needs an API token (role viewer or higher) in \"Authorization: Bearer "
           "...\"; in Prometheus: authorization: {credentials_file: ...}");
      return;
    }
    v1::GetSessionResponse session;
    grpc::Status st = client->Call("/dbdump.v1.TokenService/GetSession", authorization,
                                   v1::GetSessionRequest(), &session, options.call_timeout);
    if (!st.ok()) {
      Fail(res, static_cast<int>(st.error_code()), st.error_message());
      return;
    }
  }
  res.set_content(options.metrics(), "text/plain; version=0.0.4; charset=utf-8");
}

void HttpGateway::Impl::HandleApi(const httplib::Request& req, httplib::Response& res,
                                  const std::string& path) {
  if (path == "/v1/openapi.json") {
    if (req.method != "GET") {
      res.set_header("Allow", "GET");
      FailHttp(res, 405, 12, "GET /v1/openapi.json only");
      return;
    }
    res.set_content(openapi, kJson);
    return;
  }
  RouteTable::Match match = routes.Find(req.method, path);
  switch (match.kind) {
    case RouteTable::MatchKind::kNoSuchPath:
      FailHttp(res, 404, static_cast<int>(grpc::StatusCode::NOT_FOUND),
               absl::StrCat("no route ", req.method, " ", path,
                            "; the routes are listed in /v1/openapi.json"));
      return;
    case RouteTable::MatchKind::kMethodNotAllowed:
      res.set_header("Allow", match.allowed);
      FailHttp(res, 405, static_cast<int>(grpc::StatusCode::UNIMPLEMENTED),
               absl::StrCat(path, " accepts ", match.allowed, ", not ", req.method));
      return;
    case RouteTable::MatchKind::kBadSegment:
      Fail(res, static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT), match.problem);
      return;
    case RouteTable::MatchKind::kMatched:
      break;
  }
  const HttpRoute& route = *match.route;
  std::string length = req.get_header_value("Content-Length");
  if (route.body.empty() && req.body.empty() &&
      ((!length.empty() && length != "0") || req.has_header("Transfer-Encoding"))) {
    // httplib leaves a GET's or DELETE's body unread: refuse it rather than
    // ignore what the client meant, and drop the connection it is still on.
    res.set_header("Connection", "close");
    Fail(res, static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT),
         absl::StrCat(req.method, " ", route.path_template,
                      " takes no body; give its fields as query parameters or in the path"));
    return;
  }
  HttpRequestParts parts;
  parts.path_fields = match.fields;
  std::string authorization = req.get_header_value("Authorization");
  std::multimap<std::string, std::string> query;
  if (!ParseQuery(req.target, &query)) {
    Fail(res, static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT),
         "the query string is not validly percent-encoded");
    return;
  }
  if (!req.body.empty() &&
      !absl::StartsWith(absl::AsciiStrToLower(req.get_header_value("Content-Type")),
                        "application/json")) {
    // Also keeps plain HTML forms of other sites from posting here.
    FailHttp(res, 415, static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT),
             "send the body as JSON with Content-Type: application/json");
    return;
  }
  for (const auto& [key, value] : query) {
    // A browser's EventSource cannot set headers: a streaming route also
    // takes the token as a query parameter.
    if (key == "access_token" && route.server_streaming) {
      if (authorization.empty()) authorization = absl::StrCat("Bearer ", value);
      continue;
    }
    parts.query.emplace(key, value);
  }
  parts.body = req.body;
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> request = BuildRequest(route, parts);
  if (!request.ok()) {
    Fail(res, static_cast<int>(request.status().code()), std::string(request.status().message()));
    return;
  }
  if (route.file) {
    if (req.has_header("Range")) {
      // The bytes come from a stream read once, from its start.
      FailHttp(res, 416, static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT),
               "a download does not take a Range: fetch the whole file");
      return;
    }
    HandleFile(route, authorization, **request, res);
    return;
  }
  if (route.server_streaming) {
    HandleStream(route, authorization, **request, res);
    return;
  }
  std::unique_ptr<google::protobuf::Message> response = NewMessageOf(route.method->output_type());
  grpc::Status status =
      client->Call(route.grpc_method, authorization, **request, response.get(), options.call_timeout);
  if (!status.ok()) {
    Fail(res, status.error_code(), status.error_message());
    return;
  }
  absl::StatusOr<std::string> json = ResponseJson(*response);
  if (!json.ok()) {
    Fail(res, static_cast<int>(json.status().code()), std::string(json.status().message()));
    return;
  }
  res.set_content(*json, kJson);
}

bool HttpGateway::Impl::OpenStreamSlot(LoopbackClient::Stream* stream) {
  absl::MutexLock lock(&mu);
  if (stopping || static_cast<int>(streams.size()) >= std::max(1, options.threads / 2)) {
    return false;
  }
  streams.insert(stream);
  LogInfo("gateway", "event stream opened (", streams.size(), " open)");
  return true;
}

void HttpGateway::Impl::CloseStreamSlot(LoopbackClient::Stream* stream, const char* why) {
  absl::MutexLock lock(&mu);
  if (streams.erase(stream) == 0) return;
  LogInfo("gateway", "event stream closed: ", why, " (", streams.size(), " open)");
}

namespace {

// One event stream's state, shared by the content provider and the releaser
// (which httplib calls once the response is done or the client went away).
struct EventStream {
  std::unique_ptr<LoopbackClient::Stream> call;
  std::unique_ptr<google::protobuf::Message> message;
  std::string event_name;
  // An event read before the response started, sent first.
  std::string pending;
  bool finished = false;
  const char* close_reason = "client went away";
};

}  // namespace

void HttpGateway::Impl::HandleStream(const HttpRoute& route, const std::string& authorization,
                                     const google::protobuf::Message& request,
                                     httplib::Response& res) {
  auto state = std::make_shared<EventStream>();
  state->message = NewMessageOf(route.method->output_type());
  state->event_name = SseEventName(route);
  state->call = client->OpenStream(route.grpc_method, authorization, request);
  // The first answer decides the HTTP status: a refused or failed call is an
  // ordinary error response, not an event stream.
  LoopbackClient::Stream::Next first =
      state->call->Read(state->message.get(), std::min(options.call_timeout, absl::Seconds(10)));
  if (first == LoopbackClient::Stream::Next::kEnded && !state->call->status().ok()) {
    Fail(res, state->call->status().error_code(), state->call->status().error_message());
    return;
  }
  if (first == LoopbackClient::Stream::Next::kMessage) {
    absl::StatusOr<std::string> json = ResponseJson(*state->message);
    if (json.ok()) state->pending = SseEvent(state->event_name, *json);
  } else if (first == LoopbackClient::Stream::Next::kEnded) {
    state->pending = SseEvent("end", "{}");
    state->finished = true;
  }
  if (!OpenStreamSlot(state->call.get())) {
    FailHttp(res, 503, static_cast<int>(grpc::StatusCode::UNAVAILABLE),
             "too many event streams are open; close one or try again later");
    return;
  }
  res.set_header("X-Accel-Buffering", "no");
  Impl* self = this;
  absl::Duration heartbeat = options.sse_heartbeat;
  res.set_chunked_content_provider(
      "text/event-stream",
      [state, self, heartbeat](size_t, httplib::DataSink& sink) {
        if (!state->pending.empty()) {
          std::string out = std::move(state->pending);
          state->pending.clear();
          if (!sink.write(out.data(), out.size())) return false;
        }
        if (state->finished) {
          state->close_reason = "the stream ended";
          sink.done();
          return true;
        }
        std::string out;
        switch (state->call->Read(state->message.get(), heartbeat)) {
          case LoopbackClient::Stream::Next::kMessage: {
            absl::StatusOr<std::string> json = ResponseJson(*state->message);
            out = json.ok() ? SseEvent(state->event_name, *json)
                            : SseEvent("error", StatusJson(13, json.status().message()));
            break;
          }
          case LoopbackClient::Stream::Next::kTimedOut:
            if (self->stopping) {
              out = SseEvent("error", StatusJson(14, "the controller is stopping"));
              state->finished = true;
            } else {
              out = SseHeartbeat();
            }
            break;
          case LoopbackClient::Stream::Next::kEnded: {
            const grpc::Status& status = state->call->status();
            out = status.ok() ? SseEvent("end", "{}")
                              : SseEvent("error", StatusJson(status.error_code(),
                                                             status.error_message()));
            state->finished = true;
            break;
          }
        }
        return sink.write(out.data(), out.size());
      },
      [state, self](bool) {
        self->CloseStreamSlot(state->call.get(), state->close_reason);
        // Ends the gRPC call (and the controller's follower) if still open.
        state->call.reset();
      });
}

namespace {

// One file download's state, shared by the content provider and the
// releaser.
struct FileStream {
  std::unique_ptr<LoopbackClient::Stream> call;
  std::unique_ptr<google::protobuf::Message> message;
  const google::protobuf::FieldDescriptor* data = nullptr;
  // Bytes handed to httplib so far.
  size_t sent = 0;
  const char* close_reason = "client went away";
};

// A file name safe inside a quoted Content-Disposition parameter.
std::string SafeFileName(const std::string& name) {
  std::string out;
  for (char c : name) {
    out.push_back(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ||
                          c == '_'
                      ? c
                      : '_');
  }
  return out.empty() ? "download" : out;
}

}  // namespace

void HttpGateway::Impl::HandleFile(const HttpRoute& route, const std::string& authorization,
                                   const google::protobuf::Message& request,
                                   httplib::Response& res) {
  auto state = std::make_shared<FileStream>();
  const google::protobuf::Descriptor* output = route.method->output_type();
  state->message = NewMessageOf(output);
  state->data = output->FindFieldByName("data");
  state->call = client->OpenStream(route.grpc_method, authorization, request);
  // The header decides the answer: an error, a redirect or the bytes.
  switch (state->call->Read(state->message.get(), options.call_timeout)) {
    case LoopbackClient::Stream::Next::kEnded:
      if (!state->call->status().ok()) {
        Fail(res, state->call->status().error_code(), state->call->status().error_message());
      } else {
        Fail(res, static_cast<int>(grpc::StatusCode::INTERNAL), "the file stream was empty");
      }
      return;
    case LoopbackClient::Stream::Next::kTimedOut:
      Fail(res, static_cast<int>(grpc::StatusCode::DEADLINE_EXCEEDED),
           "the controller did not start the download in time; try again");
      return;
    case LoopbackClient::Stream::Next::kMessage:
      break;
  }
  const google::protobuf::Reflection* reflection = state->message->GetReflection();
  const google::protobuf::FieldDescriptor* header_field = output->FindFieldByName("header");
  if (!reflection->HasField(*state->message, header_field)) {
    Fail(res, static_cast<int>(grpc::StatusCode::INTERNAL), "the file stream began without its header");
    return;
  }
  v1::FileHeader header;
  header.CopyFrom(reflection->GetMessage(*state->message, header_field));
  if (!header.redirect_url().empty()) {
    // The URL is a credential until it expires: in the Location header only.
    res.status = 302;
    res.set_header("Location", header.redirect_url());
    res.set_header("Cache-Control", "no-store");
    return;
  }
  if (!OpenStreamSlot(state->call.get())) {
    FailHttp(res, 503, static_cast<int>(grpc::StatusCode::UNAVAILABLE),
             "too many downloads and event streams are open; try again later");
    return;
  }
  res.set_header("Content-Disposition",
                 absl::StrCat("attachment; filename=\"", SafeFileName(header.file_name()), "\""));
  res.set_header("X-Dbdump-Sha256", header.stored_sha256());
  absl::Duration wait = options.call_timeout;
  Impl* self = this;
  // httplib asks for the bytes from `offset` until the announced length is
  // sent. A stream that fails half way can only be told by closing the
  // connection short of Content-Length.
  res.set_content_provider(
      static_cast<size_t>(header.size_bytes()), "application/octet-stream",
      [state, wait](size_t offset, size_t, httplib::DataSink& sink) {
        if (offset != state->sent) return false;  // only ever read in order
        switch (state->call->Read(state->message.get(), wait)) {
          case LoopbackClient::Stream::Next::kMessage: {
            const google::protobuf::Reflection* r = state->message->GetReflection();
            std::string scratch;
            const std::string& bytes = r->GetStringReference(*state->message, state->data, &scratch);
            state->sent += bytes.size();
            return sink.write(bytes.data(), bytes.size());
          }
          case LoopbackClient::Stream::Next::kTimedOut:
            state->close_reason = "the agent stopped sending";
            return false;
          case LoopbackClient::Stream::Next::kEnded:
            state->close_reason = state->call->status().ok() ? "the file ended short"
                                                             : "the download failed";
            if (!state->call->status().ok()) {
              LogWarn("gateway", "download ended early: ", state->call->status().error_message());
            }
            return false;
        }
        return false;
      },
      [state, self](bool success) {
        if (success) state->close_reason = "the file was sent";
        self->CloseStreamSlot(state->call.get(), state->close_reason);
        state->call.reset();
      });
}

absl::StatusOr<std::unique_ptr<HttpGateway>> HttpGateway::Start(HttpGatewayOptions options) {
  // A client that goes away mid-response must not kill the controller.
  signal(SIGPIPE, SIG_IGN);
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  HttpGatewayOptions& o = impl->options;
  absl::StatusOr<RouteTable> routes = RouteTable::ForAdminApi();
  if (!routes.ok()) return absl::FailedPreconditionError(routes.status().message());
  impl->routes = *std::move(routes);
  impl->openapi = OpenApiJson(impl->routes, o.version);
  if (!o.dashboard_dir.empty()) {
    absl::StatusOr<DashboardAssets> assets = DashboardAssets::Load(o.dashboard_dir);
    if (!assets.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(assets.status().message(), "; give --dashboard_dir the dashboard's directory"));
    }
    impl->dashboard = *std::move(assets);
    impl->has_dashboard = true;
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (o.plaintext) {
    credentials = grpc::InsecureChannelCredentials();
    impl->server = std::make_unique<httplib::Server>();
  } else {
    std::ifstream in(o.ca_path);
    std::stringstream ca;
    ca << in.rdbuf();
    if (ca.str().empty()) {
      return absl::FailedPreconditionError(absl::StrCat("cannot read the CA from ", o.ca_path));
    }
    credentials = ServerTlsChannelCredentials(ca.str(), ControllerIdentity());
    impl->certificate = std::make_unique<ServerCertificate>(o.cert_path, o.key_path);
    absl::Status configured;
    ServerCertificate* certificate = impl->certificate.get();
    impl->server = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
      configured = certificate->Configure(&ctx);
      return configured.ok();
    });
    if (!configured.ok()) return absl::FailedPreconditionError(configured.message());
    if (!impl->server->is_valid()) {
      return absl::FailedPreconditionError("cannot set up TLS for the HTTP gateway");
    }
  }
  impl->client = std::make_unique<LoopbackClient>(
      CreateChannelTo(o.grpc_target, credentials, ControllerIdentity()));
  httplib::Server& server = *impl->server;
  int threads = std::max(2, o.threads);
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_payload_max_length(o.max_body_bytes);
  server.set_read_timeout(30, 0);
  server.set_write_timeout(30, 0);
  Impl* self = impl.get();
  auto handler = [self](const httplib::Request& req, httplib::Response& res) {
    self->Handle(req, res);
  };
  server.Get(".*", handler);
  server.Post(".*", handler);
  server.Put(".*", handler);
  server.Patch(".*", handler);
  server.Delete(".*", handler);
  server.Options(".*", handler);
  size_t max_body = o.max_body_bytes;
  server.set_error_handler([max_body](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 413) {
      res.set_content(
          StatusJson(3, absl::StrCat("the body is larger than ", max_body, " bytes")), kJson);
    } else if (res.status == 400) {
      res.set_content(StatusJson(3, "malformed HTTP request (a POST, PUT or PATCH needs a "
                                    "Content-Length, 0 when there is no body)"),
                      kJson);
    } else if (res.status == 404) {
      res.set_content(StatusJson(5, "not found"), kJson);
    }
  });
  std::string host;
  int port = 0;
  if (!SplitHostPort(o.listen, &host, &port)) {
    return absl::FailedPreconditionError(
        absl::StrCat("--http_listen=", o.listen, " is not host:port"));
  }
  impl->port = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (impl->port <= 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot serve HTTP on ", o.listen, ": address in use or invalid"));
  }
  impl->thread = std::thread([self] { self->server->listen_after_bind(); });
  LogInfo("gateway", "serving HTTP", o.plaintext ? " (PLAINTEXT)" : "S", " on ", host, ":",
          impl->port, impl->has_dashboard ? " with the dashboard at /" : " (no dashboard)",
          ", ", impl->routes.routes().size(), " routes, OpenAPI at /v1/openapi.json");
  return std::unique_ptr<HttpGateway>(new HttpGateway(std::move(impl)));
}

HttpGateway::HttpGateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpGateway::~HttpGateway() { Stop(); }

int HttpGateway::port() const { return impl_->port; }

void HttpGateway::Stop() {
  Impl& p = *impl_;
  if (p.stopped) return;
  p.stopped = true;
  p.stopping = true;
  {
    absl::MutexLock lock(&p.mu);
    for (LoopbackClient::Stream* stream : p.streams) stream->Cancel();
  }
  p.server->stop();
  if (p.thread.joinable()) p.thread.join();
}

}  // namespace dbdump
