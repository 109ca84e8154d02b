// Errors on the HTTP side: gRPC's status codes as HTTP statuses (the table
// of google.rpc.Code) and as a google.rpc.Status JSON body.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace dbdump {

// `code` is a grpc::StatusCode (0-16); anything else is 500.
int HttpStatusForGrpcCode(int code);

// {"code": 3, "message": "...", "details": []}
std::string StatusJson(int code, absl::string_view message);

}  // namespace dbdump
