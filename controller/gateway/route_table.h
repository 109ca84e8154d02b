// RouteTable: the HTTP routes of the admin API, read from the
// `(dbdump.v1.http)` option beside each RPC (proto/dbdump/v1/http.proto), and
// the matching of a request's method and path onto one of them. The gateway
// and the OpenAPI document both use this table, so a route exists once.
//
// Immutable after construction; safe to share between threads.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace google::protobuf {
class MethodDescriptor;
class ServiceDescriptor;
}  // namespace google::protobuf

namespace dbdump {

struct HttpRoute {
  // "GET", "POST", "PUT", "PATCH", "DELETE".
  std::string http_method;
  // As declared: "/v1/backups/{backup_id}:restore".
  std::string path_template;
  // The template's segments after "/": a literal, or "{field}" naming the
  // top-level request field the segment fills.
  std::vector<std::string> segments;
  // A custom method's verb ("restore"), empty for standard methods.
  std::string verb;
  // "*": the JSON body is the request; a field name: the body is that
  // field; empty: no body.
  std::string body;
  const google::protobuf::MethodDescriptor* method = nullptr;
  // gRPC's method path: "/dbdump.v1.BackupService/StartRestore".
  std::string grpc_method;
  bool server_streaming = false;
  // The stream is a file (HttpRoute.file in http.proto): a FileHeader, then
  // data chunks, answered as the file's bytes or a redirect.
  bool file = false;

  // The field names of the {field} segments, in order.
  std::vector<std::string> PathFields() const;
};

// Whether `method` can back a file route: server-streaming, its response a
// oneof of `dbdump.v1.FileHeader header` and `bytes data`. InvalidArgument
// saying what is missing otherwise.
absl::Status CheckFileStream(const google::protobuf::MethodDescriptor& method);

class RouteTable {
 public:
  // Every route declared on the methods of `services`. InvalidArgument
  // naming the RPC when a template is malformed, names a field the request
  // does not have, or two routes would match the same requests.
  static absl::StatusOr<RouteTable> FromServices(
      const std::vector<const google::protobuf::ServiceDescriptor*>& services);
  // The routes of dbdump's admin services (everything in dbdump.v1 that
  // declares one).
  static absl::StatusOr<RouteTable> ForAdminApi();

  enum class MatchKind { kMatched, kNoSuchPath, kMethodNotAllowed, kBadSegment };
  struct Match {
    MatchKind kind = MatchKind::kNoSuchPath;
    const HttpRoute* route = nullptr;
    // Path fields and their percent-decoded values.
    std::map<std::string, std::string> fields;
    // kMethodNotAllowed: the methods the path accepts ("GET, DELETE").
    std::string allowed;
    // kBadSegment: what is wrong with which segment.
    std::string problem;
  };
  // `raw_path` is the request target's path, still percent-encoded (without
  // the query). A segment that decodes to something containing '/', or to
  // "." or "..", or that is empty, never fills a field (kBadSegment).
  Match Find(absl::string_view http_method, absl::string_view raw_path) const;

  const std::vector<HttpRoute>& routes() const { return routes_; }

 private:
  std::vector<HttpRoute> routes_;
};

}  // namespace dbdump
