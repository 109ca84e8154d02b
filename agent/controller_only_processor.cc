#include "agent/controller_only_processor.h"

#include <grpc/grpc_security_constants.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/log.h"
#include "common/security/identity.h"

namespace dbdump {

grpc::Status ControllerOnlyProcessor::Process(const InputMetadata& auth_metadata,
                                              grpc::AuthContext* context,
                                              OutputMetadata* /*consumed_auth_metadata*/,
                                              OutputMetadata* /*response_metadata*/) {
  std::string rpc;
  for (const auto& [key, value] : auth_metadata) {
    if (key == ":path") rpc.assign(value.data(), value.size());
  }
  if (absl::StartsWith(rpc, "/grpc.reflection.")) return grpc::Status::OK;
  // Health (serving or not, no data) answers any certificate the TLS
  // handshake accepted, i.e. one from the deployment's CA, so a probe on the
  // agent's host can use the agent's own certificate.
  if (absl::StartsWith(rpc, "/grpc.health.v1.Health/")) return grpc::Status::OK;
  std::string seen;
  for (const grpc::string_ref& uri : context->FindPropertyValues(GRPC_PEER_URI_PROPERTY_NAME)) {
    std::string u(uri.data(), uri.size());
    if (ParseIdentity(u).kind == PeerIdentity::kController) return grpc::Status::OK;
    absl::StrAppend(&seen, seen.empty() ? "" : ", ", u);
  }
  std::string message =
      absl::StrCat("only the controller may call ", rpc, "; the caller's certificate is for ",
                   seen.empty() ? "no dbdump identity" : seen);
  LogWarn("agent", "refused: ", message);
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, message);
}

}  // namespace dbdump
