// ControllerAuthProcessor: decides, before any handler runs, who is calling
// (an API token in "authorization: Bearer …", an agent's certificate) and
// whether that caller may call the method (RpcAccess table). Refusals are
// reported (for the audit log) with the caller and the reason; admitted
// token callers are left in a CallerDirectory for the handlers (caller.h).
#pragma once

#include <functional>
#include <map>
#include <string>

#include <grpcpp/security/auth_metadata_processor.h>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/base/clock.h"
#include "controller/auth/caller.h"

namespace dbdump {

class Store;

struct Refusal {
  std::string actor;
  std::string rpc;
  // gRPC status code name, e.g. "PERMISSION_DENIED".
  std::string outcome;
  std::string detail;
};

struct AuthProcessorOptions {
  Store* store = nullptr;
  Clock* clock = nullptr;
  // Agent certificates this controller did not issue (bring-your-own PKI
  // without the CA key) are admitted on their chain and identity alone;
  // otherwise an agent certificate must be one the store recorded and not
  // revoked.
  bool admit_unrecorded_agent_certificates = false;
  std::function<void(const Refusal&)> on_refusal;
  // Where admitted token callers are left for the handlers (CallerOf).
  CallerDirectory* callers = nullptr;
};

// Thread-safe; gRPC runs it on its own threads (IsBlocking).
class ControllerAuthProcessor final : public grpc::AuthMetadataProcessor {
 public:
  explicit ControllerAuthProcessor(AuthProcessorOptions options);

  bool IsBlocking() const override { return true; }
  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

 private:
  grpc::Status Refuse(const Caller& caller, const std::string& rpc, grpc::StatusCode code,
                      const std::string& message);
  // The agent whose certificate the connection presented, if any; an error
  // for a certificate that is revoked or was not issued here.
  grpc::Status AgentFromCertificate(const grpc::AuthContext& context, Caller* caller);
  grpc::Status CallerFromToken(absl::string_view header, Caller* caller);

  const AuthProcessorOptions options_;
  absl::Mutex mu_;
  // Last time each token's use was written to the store (at most once a minute).
  std::map<std::string, absl::Time> touched_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dbdump
