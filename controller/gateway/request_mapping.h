// The HTTP side of protobuf's JSON mapping for the gateway: a request
// message from a route's path fields, query string and JSON body, and a
// response message as JSON (proto field names, every field printed, as
// `dbdumpctl --output=json` prints them).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace google::protobuf {
class Descriptor;
class Message;
}  // namespace google::protobuf

namespace dbdump {

struct HttpRoute;

struct HttpRequestParts {
  // Path fields, percent-decoded (RouteTable::Find).
  std::map<std::string, std::string> path_fields;
  // Query parameters, decoded; a repeated field may appear several times.
  std::multimap<std::string, std::string> query;
  std::string body;
};

// An empty message of a generated type (a route's request or response).
std::unique_ptr<google::protobuf::Message> NewMessageOf(const google::protobuf::Descriptor* type);

// InvalidArgument saying what is wrong for the client: malformed JSON, a
// field the request does not have, a value of the wrong type, a query
// parameter on a route whose fields come from the body, a body on a route
// that takes none, a path field contradicted by the body.
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> BuildRequest(
    const HttpRoute& route, const HttpRequestParts& parts);

// Internal when the message cannot be printed (never for our messages).
absl::StatusOr<std::string> ResponseJson(const google::protobuf::Message& message);

}  // namespace dbdump
