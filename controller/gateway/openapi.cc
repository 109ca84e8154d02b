#include "controller/gateway/openapi.h"

#include <google/protobuf/descriptor.h>

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "controller/gateway/route_table.h"
#include "controller/gateway/sse.h"

namespace dbdump {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using json = nlohmann::json;

constexpr char kStatusSchema[] = "google.rpc.Status";

std::string Ref(const std::string& name) { return absl::StrCat("#/components/schemas/", name); }

class SchemaBuilder {
 public:
  // The schema of a field's value (one element for a repeated field).
  json ValueSchema(const FieldDescriptor* f) {
    switch (f->type()) {
      case FieldDescriptor::TYPE_DOUBLE:
        return {{"type", "number"}, {"format", "double"}};
      case FieldDescriptor::TYPE_FLOAT:
        return {{"type", "number"}, {"format", "float"}};
      case FieldDescriptor::TYPE_INT32:
      case FieldDescriptor::TYPE_SINT32:
      case FieldDescriptor::TYPE_SFIXED32:
        return {{"type", "integer"}, {"format", "int32"}};
      case FieldDescriptor::TYPE_UINT32:
      case FieldDescriptor::TYPE_FIXED32:
        return {{"type", "integer"}, {"format", "int64"}, {"minimum", 0}, {"maximum", 4294967295u}};
      case FieldDescriptor::TYPE_INT64:
      case FieldDescriptor::TYPE_SINT64:
      case FieldDescriptor::TYPE_SFIXED64:
        // The JSON mapping prints 64-bit integers as strings.
        return {{"type", "string"}, {"format", "int64"}};
      case FieldDescriptor::TYPE_UINT64:
      case FieldDescriptor::TYPE_FIXED64:
        return {{"type", "string"}, {"format", "uint64"}};
      case FieldDescriptor::TYPE_BOOL:
        return {{"type", "boolean"}};
      case FieldDescriptor::TYPE_STRING:
        return {{"type", "string"}};
      case FieldDescriptor::TYPE_BYTES:
        return {{"type", "string"}, {"format", "byte"}};
      case FieldDescriptor::TYPE_ENUM: {
        json values = json::array();
        for (int i = 0; i < f->enum_type()->value_count(); ++i) {
          values.push_back(f->enum_type()->value(i)->name());
        }
        return {{"type", "string"}, {"enum", values}};
      }
      case FieldDescriptor::TYPE_MESSAGE:
      case FieldDescriptor::TYPE_GROUP:
        return MessageSchema(f->message_type());
    }
    return json::object();
  }

  json FieldSchema(const FieldDescriptor* f) {
    if (f->is_map()) {
      return {{"type", "object"},
              {"additionalProperties", ValueSchema(f->message_type()->map_value())}};
    }
    if (f->is_repeated()) return {{"type", "array"}, {"items", ValueSchema(f)}};
    return ValueSchema(f);
  }

  // A $ref to the message's schema (added to the components), or the
  // well-known type's JSON form inline.
  json MessageSchema(const Descriptor* d) {
    const std::string& name = d->full_name();
    if (name == "google.protobuf.FieldMask") {
      return {{"type", "string"}, {"description", "comma-separated field paths"}};
    }
    if (name == "google.protobuf.Timestamp") return {{"type", "string"}, {"format", "date-time"}};
    if (name == "google.protobuf.Duration") return {{"type", "string"}, {"example", "3.5s"}};
    if (name == "google.protobuf.Empty") return {{"type", "object"}};
    if (!schemas_.contains(name)) {
      schemas_[name] = json::object();  // placeholder: stops recursion
      json properties = json::object();
      for (int i = 0; i < d->field_count(); ++i) {
        properties[d->field(i)->name()] = FieldSchema(d->field(i));
      }
      schemas_[name] = {{"type", "object"}, {"properties", properties}};
    }
    return {{"$ref", Ref(name)}};
  }

  json& schemas() { return schemas_; }

 private:
  json schemas_ = json::object();
};

std::string OperationId(const HttpRoute& route) {
  return absl::StrCat(route.method->service()->name(), "_", route.method->name());
}

}  // namespace

std::string OpenApiJson(const RouteTable& routes, const std::string& version) {
  SchemaBuilder schemas;
  schemas.schemas()[kStatusSchema] = {
      {"type", "object"},
      {"description", "an error: a gRPC status code and a message saying what to do"},
      {"properties",
       {{"code", {{"type", "integer"}, {"format", "int32"}}},
        {"message", {{"type", "string"}}},
        {"details", {{"type", "array"}, {"items", {{"type", "object"}}}}}}}};
  json paths = json::object();
  for (const HttpRoute& route : routes.routes()) {
    const Descriptor* input = route.method->input_type();
    json parameters = json::array();
    std::set<std::string> path_fields;
    for (const std::string& field : route.PathFields()) {
      path_fields.insert(field);
      parameters.push_back({{"name", field},
                            {"in", "path"},
                            {"required", true},
                            {"schema", {{"type", "string"}}}});
    }
    if (route.body.empty()) {
      for (int i = 0; i < input->field_count(); ++i) {
        const FieldDescriptor* f = input->field(i);
        if (path_fields.count(f->name()) || f->type() == FieldDescriptor::TYPE_MESSAGE) continue;
        parameters.push_back({{"name", f->name()},
                              {"in", "query"},
                              {"required", false},
                              {"schema", schemas.FieldSchema(f)}});
      }
    }
    json operation = {{"operationId", OperationId(route)},
                      {"tags", json::array({route.method->service()->name()})},
                      {"summary", route.method->full_name()},
                      {"parameters", parameters}};
    if (route.body == "*") {
      operation["requestBody"] = {
          {"required", false},
          {"content", {{"application/json", {{"schema", schemas.MessageSchema(input)}}}}}};
    } else if (!route.body.empty()) {
      operation["requestBody"] = {
          {"required", true},
          {"content",
           {{"application/json",
             {{"schema", schemas.MessageSchema(input->FindFieldByName(route.body)->message_type())}}}}}};
    }
    json ok;
    json redirect;
    if (route.file) {
      ok = {{"description",
             "the file's bytes; X-Dbdump-Sha256 is the SHA-256 they must have (check it before "
             "trusting the file)"},
            {"headers",
             {{"Content-Disposition",
               {{"description", "attachment; filename=\"...\""}, {"schema", {{"type", "string"}}}}},
              {"X-Dbdump-Sha256",
               {{"description", "hex SHA-256 of the whole file"},
                {"schema", {{"type", "string"}}}}}}},
            {"content",
             {{"application/octet-stream", {{"schema", {{"type", "string"}, {"format", "binary"}}}}}}}};
      redirect = {{"description",
                   "the file is in object storage: fetch it from the presigned URL in Location "
                   "(valid for presign_ttl_s; it grants access until then, so do not log it)"},
                  {"headers",
                   {{"Location", {{"schema", {{"type", "string"}, {"format", "uri"}}}}}}}};
    } else if (route.server_streaming) {
      ok = {{"description",
             absl::StrCat("Server-Sent Events: each `event: ", SseEventName(route), "` carries one ",
                          route.method->output_type()->full_name(),
                          " as JSON; `event: end` closes the stream, `event: error` carries a "
                          "google.rpc.Status")},
            {"content", {{"text/event-stream", {{"schema", {{"type", "string"}}}}}}}};
      schemas.MessageSchema(route.method->output_type());
    } else {
      ok = {{"description", route.method->output_type()->full_name()},
            {"content",
             {{"application/json",
               {{"schema", schemas.MessageSchema(route.method->output_type())}}}}}};
    }
    operation["responses"] = {
        {"200", ok},
        {"default",
         {{"description", "an error"},
          {"content", {{"application/json", {{"schema", {{"$ref", Ref(kStatusSchema)}}}}}}}}}};
    if (!redirect.is_null()) operation["responses"]["302"] = redirect;
    paths[route.path_template][absl::AsciiStrToLower(route.http_method)] = operation;
  }
  json document = {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "dbdump controller API"},
        {"version", version},
        {"description",
         "The HTTP/JSON form of dbdump's gRPC admin API (package dbdump.v1), generated from the "
         "routes declared beside the RPCs. Field names are the proto field names; 64-bit "
         "integers are strings; enums are their names."}}},
      {"paths", paths},
      {"components",
       {{"schemas", schemas.schemas()},
        {"securitySchemes",
         {{"bearer", {{"type", "http"}, {"scheme", "bearer"}, {"description", "an API token (dbdt_…)"}}}}}}},
      {"security", json::array({{{"bearer", json::array()}}})}};
  return document.dump(1);
}

}  // namespace dbdump
