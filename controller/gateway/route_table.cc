#include "controller/gateway/route_table.h"

#include <google/protobuf/descriptor.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/base/status_macros.h"
#include "controller/gateway/url_decoding.h"
#include "dbdump/v1/controller_service.pb.h"
#include "dbdump/v1/http.pb.h"
#include "dbdump/v1/security_service.pb.h"

namespace dbdump {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;

bool IsVariable(absl::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

std::string VariableName(absl::string_view segment) {
  return std::string(segment.substr(1, segment.size() - 2));
}

bool IsLiteral(absl::string_view segment) {
  if (segment.empty()) return false;
  for (char c : segment) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

// Splits "/a/b/{c}:verb" into its segments and verb.
absl::Status SplitTemplate(const std::string& path, std::vector<std::string>* segments,
                           std::string* verb) {
  if (path.size() < 2 || path[0] != '/') return absl::InvalidArgumentError("must start with /");
  std::string rest = path.substr(1);
  size_t last_slash = rest.rfind('/');
  size_t colon = rest.find(':', last_slash == std::string::npos ? 0 : last_slash);
  if (colon != std::string::npos) {
    *verb = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
    if (!IsLiteral(*verb)) return absl::InvalidArgumentError("bad custom verb");
  }
  *segments = absl::StrSplit(rest, '/');
  for (const std::string& s : *segments) {
    if (!IsLiteral(s) && !IsVariable(s)) {
      return absl::InvalidArgumentError(absl::StrCat("bad segment '", s, "'"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckFileStream(const MethodDescriptor& method) {
  if (!method.server_streaming()) {
    return absl::InvalidArgumentError("a file route needs a server-streaming RPC");
  }
  const google::protobuf::Descriptor* out = method.output_type();
  const FieldDescriptor* header = out->FindFieldByName("header");
  const FieldDescriptor* data = out->FindFieldByName("data");
  if (header == nullptr || header->type() != FieldDescriptor::TYPE_MESSAGE ||
      header->message_type() != v1::FileHeader::descriptor() || data == nullptr ||
      data->type() != FieldDescriptor::TYPE_BYTES || header->is_repeated() ||
      data->is_repeated() || header->containing_oneof() == nullptr ||
      header->containing_oneof() != data->containing_oneof()) {
    return absl::InvalidArgumentError(
        absl::StrCat("a file route's response must be a oneof of dbdump.v1.FileHeader header "
                     "and bytes data; ", out->full_name(), " is not"));
  }
  return absl::OkStatus();
}

namespace {

absl::StatusOr<HttpRoute> RouteOf(const MethodDescriptor* method, const v1::HttpRoute& rule) {
  HttpRoute route;
  route.method = method;
  route.grpc_method = absl::StrCat("/", method->service()->full_name(), "/", method->name());
  route.server_streaming = method->server_streaming();
  route.body = rule.body();
  std::string path;
  switch (rule.pattern_case()) {
    case v1::HttpRoute::kGet:
      route.http_method = "GET";
      path = rule.get();
      break;
    case v1::HttpRoute::kPost:
      route.http_method = "POST";
      path = rule.post();
      break;
    case v1::HttpRoute::kPut:
      route.http_method = "PUT";
      path = rule.put();
      break;
    case v1::HttpRoute::kPatch:
      route.http_method = "PATCH";
      path = rule.patch();
      break;
    case v1::HttpRoute::kDelete:
      route.http_method = "DELETE";
      path = rule.delete_();
      break;
    default:
      return absl::InvalidArgumentError("no method and path");
  }
  route.path_template = path;
  if (absl::Status s = SplitTemplate(path, &route.segments, &route.verb); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("path ", path, ": ", s.message()));
  }
  const google::protobuf::Descriptor* input = method->input_type();
  for (const std::string& field : route.PathFields()) {
    const FieldDescriptor* f = input->FindFieldByName(field);
    if (f == nullptr || f->is_repeated() || f->type() != FieldDescriptor::TYPE_STRING) {
      return absl::InvalidArgumentError(absl::StrCat("path ", path, ": {", field,
                                                     "} is not a string field of ",
                                                     input->full_name()));
    }
  }
  if (!route.body.empty() && route.body != "*") {
    const FieldDescriptor* f = input->FindFieldByName(route.body);
    if (f == nullptr || f->type() != FieldDescriptor::TYPE_MESSAGE || f->is_repeated()) {
      return absl::InvalidArgumentError(
          absl::StrCat("body ", route.body, " is not a message field of ", input->full_name()));
    }
  }
  if ((route.http_method == "GET" || route.http_method == "DELETE") && !route.body.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(route.http_method, " takes no body"));
  }
  route.file = rule.file();
  if (route.file) RETURN_IF_ERROR(CheckFileStream(*method));
  return route;
}

// Whether some request path would match both templates.
bool Overlap(const HttpRoute& a, const HttpRoute& b) {
  if (a.http_method != b.http_method || a.verb != b.verb ||
      a.segments.size() != b.segments.size()) {
    return false;
  }
  for (size_t i = 0; i < a.segments.size(); ++i) {
    if (IsVariable(a.segments[i]) || IsVariable(b.segments[i])) continue;
    if (a.segments[i] != b.segments[i]) return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> HttpRoute::PathFields() const {
  std::vector<std::string> fields;
  for (const std::string& s : segments) {
    if (IsVariable(s)) fields.push_back(VariableName(s));
  }
  return fields;
}

absl::StatusOr<RouteTable> RouteTable::FromServices(
    const std::vector<const google::protobuf::ServiceDescriptor*>& services) {
  RouteTable table;
  for (const google::protobuf::ServiceDescriptor* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      const MethodDescriptor* method = service->method(i);
      if (!method->options().HasExtension(v1::http)) continue;
      if (method->client_streaming()) {
        return absl::InvalidArgumentError(
            absl::StrCat(method->full_name(), ": a client-streaming RPC cannot have a route"));
      }
      absl::StatusOr<HttpRoute> route = RouteOf(method, method->options().GetExtension(v1::http));
      if (!route.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(method->full_name(), ": ", route.status().message()));
      }
      for (const HttpRoute& other : table.routes_) {
        if (Overlap(*route, other)) {
          return absl::InvalidArgumentError(absl::StrCat(
              method->full_name(), ": ", route->http_method, " ", route->path_template,
              " overlaps ", other.method->full_name(), "'s ", other.path_template));
        }
      }
      table.routes_.push_back(*std::move(route));
    }
  }
  return table;
}

absl::StatusOr<RouteTable> RouteTable::ForAdminApi() {
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  for (const google::protobuf::FileDescriptor* file :
       {v1::AddDatabaseRequest::descriptor()->file(), v1::GetSessionRequest::descriptor()->file()}) {
    for (int i = 0; i < file->service_count(); ++i) services.push_back(file->service(i));
  }
  return FromServices(services);
}

RouteTable::Match RouteTable::Find(absl::string_view http_method,
                                   absl::string_view raw_path) const {
  Match match;
  if (raw_path.empty() || raw_path[0] != '/') return match;
  std::vector<absl::string_view> parts = absl::StrSplit(raw_path.substr(1), '/');
  std::string verb;
  size_t colon = parts.back().rfind(':');
  if (colon != absl::string_view::npos) {
    verb = std::string(parts.back().substr(colon + 1));
    parts.back() = parts.back().substr(0, colon);
  }
  std::vector<std::string> allowed;
  for (const HttpRoute& route : routes_) {
    if (route.verb != verb || route.segments.size() != parts.size()) continue;
    std::map<std::string, std::string> fields;
    bool fits = true;
    std::string problem;
    for (size_t i = 0; i < parts.size() && fits; ++i) {
      const std::string& segment = route.segments[i];
      if (!IsVariable(segment)) {
        fits = segment == parts[i];
        continue;
      }
      std::string value;
      std::string name = VariableName(segment);
      if (!PercentDecode(parts[i], /*plus_is_space=*/false, &value)) {
        problem = absl::StrCat(name, " is not validly percent-encoded");
      } else if (value.empty() || value == "." || value == ".." ||
                 value.find('/') != std::string::npos || value.find('\0') != std::string::npos) {
        problem = absl::StrCat(name, " '", absl::CHexEscape(value),
                               "' is not a name: it is empty, a dot path or contains '/'");
      }
      fields[name] = value;
    }
    if (!fits) continue;
    if (route.http_method != http_method) {
      allowed.push_back(route.http_method);
      continue;
    }
    if (!problem.empty()) {
      match.kind = MatchKind::kBadSegment;
      match.route = &route;
      match.problem = problem;
      return match;
    }
    match.kind = MatchKind::kMatched;
    match.route = &route;
    match.fields = std::move(fields);
    return match;
  }
  if (!allowed.empty()) {
    match.kind = MatchKind::kMethodNotAllowed;
    match.allowed = absl::StrJoin(allowed, ", ");
  }
  return match;
}

}  // namespace dbdump
