#include "controller/gateway/http_status.h"

#include <nlohmann/json.hpp>

namespace dbdump {

int HttpStatusForGrpcCode(int code) {
  switch (code) {
    case 0:  // OK
      return 200;
    case 1:  // CANCELLED: the client went away (nginx's and google.rpc's 499)
      return 499;
    case 3:   // INVALID_ARGUMENT
    case 9:   // FAILED_PRECONDITION
    case 11:  // OUT_OF_RANGE
      return 400;
    case 4:  // DEADLINE_EXCEEDED
      return 504;
    case 5:  // NOT_FOUND
      return 404;
    case 6:   // ALREADY_EXISTS
    case 10:  // ABORTED
      return 409;
    case 7:  // PERMISSION_DENIED
      return 403;
    case 8:  // RESOURCE_EXHAUSTED
      return 429;
    case 12:  // UNIMPLEMENTED
      return 501;
    case 14:  // UNAVAILABLE
      return 503;
    case 16:  // UNAUTHENTICATED
      return 401;
    default:  // UNKNOWN, INTERNAL, DATA_LOSS
      return 500;
  }
}

std::string StatusJson(int code, absl::string_view message) {
  nlohmann::json status = {{"code", code},
                           {"message", std::string(message)},
                           {"details", nlohmann::json::array()}};
  // Messages come from our own code and may hold bytes that are not UTF-8
  // (a path); replace them rather than fail.
  return status.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace dbdump
