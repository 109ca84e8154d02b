// ControllerOnlyProcessor: the agent's gate. Its job RPCs (backups,
// restores, deletes, storage probes) may be called only over a connection
// whose client certificate carries the controller's identity; another
// agent's certificate, or any other certificate from the CA, is refused.
// Server reflection (the API's description, no data) and grpc.health.v1
// (serving or not) stay open to any certificate from the CA.
#pragma once

#include <grpcpp/security/auth_metadata_processor.h>

namespace dbdump {

// Thread-safe.
class ControllerOnlyProcessor final : public grpc::AuthMetadataProcessor {
 public:
  bool IsBlocking() const override { return false; }
  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;
};

}  // namespace dbdump
