// The OpenAPI 3 document of the gateway, generated from the route table and
// the messages' descriptors (the same declarations the gateway serves), so
// it cannot drift from what is served. Served at /v1/openapi.json.
#pragma once

#include <string>

namespace dbdump {

class RouteTable;

std::string OpenApiJson(const RouteTable& routes, const std::string& version);

}  // namespace dbdump
