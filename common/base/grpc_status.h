// Conversion between absl::Status and grpc::Status, used only at RPC edges.
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace dbdump {

inline grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

inline absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

}  // namespace dbdump
