#include "controller/gateway/request_mapping.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "controller/gateway/route_table.h"

namespace dbdump {
namespace {

using google::protobuf::FieldDescriptor;
using json = nlohmann::json;

// The JSON value of one query parameter for `field`; protobuf's JSON parser
// accepts numbers and enum names as strings, not booleans.
absl::StatusOr<json> QueryValue(const FieldDescriptor* field, const std::string& text) {
  if (field->type() == FieldDescriptor::TYPE_BOOL) {
    std::string t = absl::AsciiStrToLower(text);
    if (t == "true" || t == "1" || t.empty()) return json(true);
    if (t == "false" || t == "0") return json(false);
    return absl::InvalidArgumentError(
        absl::StrCat("query parameter ", field->name(), " must be true or false, not '", text, "'"));
  }
  return json(text);
}

}  // namespace

std::unique_ptr<google::protobuf::Message> NewMessageOf(const google::protobuf::Descriptor* type) {
  return std::unique_ptr<google::protobuf::Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
}

absl::StatusOr<std::unique_ptr<google::protobuf::Message>> BuildRequest(
    const HttpRoute& route, const HttpRequestParts& parts) {
  const google::protobuf::Descriptor* type = route.method->input_type();
  json request = json::object();
  bool blank_body = parts.body.find_first_not_of(" \t\r\n") == std::string::npos;
  if (route.body.empty()) {
    // An empty JSON object is no fields at all: taken, as clients that
    // always send a body send it.
    json given = blank_body ? json::object() : json::parse(parts.body, nullptr, false);
    if (!given.is_object() || !given.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          route.http_method, " ", route.path_template,
          " takes no body; give its fields as query parameters or in the path"));
    }
  } else if (!blank_body) {
    json body = json::parse(parts.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) {
      return absl::InvalidArgumentError(
          "the body is not valid JSON; send a JSON object with the request's fields");
    }
    if (!body.is_object()) {
      return absl::InvalidArgumentError("the body must be a JSON object");
    }
    if (route.body == "*") {
      request = std::move(body);
    } else {
      request[route.body] = std::move(body);
    }
  }
  if (!parts.query.empty() && !route.body.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "query parameter ", parts.query.begin()->first, " is not accepted by ", route.http_method,
        " ", route.path_template, "; give the request's fields in the JSON body"));
  }
  for (const auto& [name, text] : parts.query) {
    const FieldDescriptor* field = type->FindFieldByName(name);
    for (int i = 0; field == nullptr && i < type->field_count(); ++i) {
      if (type->field(i)->json_name() == name) field = type->field(i);
    }
    if (field == nullptr || field->type() == FieldDescriptor::TYPE_MESSAGE || field->is_map()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown query parameter ", name, " for ",
                                                     route.http_method, " ",
                                                     route.path_template));
    }
    absl::StatusOr<json> value = QueryValue(field, text);
    if (!value.ok()) return value.status();
    if (field->is_repeated()) {
      request[field->name()].push_back(*value);
    } else if (request.contains(field->name())) {
      return absl::InvalidArgumentError(
          absl::StrCat("query parameter ", name, " is given more than once"));
    } else {
      request[field->name()] = *value;
    }
  }
  for (const auto& [name, value] : parts.path_fields) {
    const FieldDescriptor* field = type->FindFieldByName(name);
    for (const std::string& key : {field->name(), field->json_name()}) {
      if (request.contains(key) && request[key] != json(value)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "the body's ", key, " (", request[key].dump(), ") differs from the path's '", value,
            "'; leave it out of the body or make them equal"));
      }
      if (key != name) request.erase(key);
    }
    request[name] = value;
  }
  std::unique_ptr<google::protobuf::Message> message = NewMessageOf(type);
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto parsed = google::protobuf::util::JsonStringToMessage(request.dump(), message.get(), options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("the request does not fit ", type->full_name(),
                                                   ": ", std::string(parsed.message())));
  }
  return message;
}

absl::StatusOr<std::string> ResponseJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  auto printed = google::protobuf::util::MessageToJsonString(message, &out, options);
  if (!printed.ok()) {
    return absl::InternalError(absl::StrCat("cannot print ", message.GetTypeName(), " as JSON: ",
                                            std::string(printed.message())));
  }
  return out;
}

}  // namespace dbdump
