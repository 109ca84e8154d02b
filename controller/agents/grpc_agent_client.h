// GrpcAgentClient: AgentClient over gRPC, one channel per agent address.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "controller/agents/agent_client.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace dbdump {

// The channel to the agent of this name at this address: mutual TLS
// expecting that agent's identity, or plaintext.
using AgentChannels = std::function<std::shared_ptr<grpc::Channel>(const std::string& agent_name,
                                                                   const std::string& address)>;

// Plaintext channels (tests, --insecure_plaintext).
AgentChannels PlaintextAgentChannels();

// Deadlines of the unary calls; a call that finds the agent unreachable
// (Unavailable) is tried again, `attempts` times in all, with a short
// backoff, inside its deadline.
struct GrpcAgentClientOptions {
  absl::Duration test_connection_timeout = absl::Seconds(30);
  absl::Duration probe_storage_timeout = absl::Seconds(60);
  // Deleting or re-reading a big backup takes a while; bounded all the same.
  absl::Duration maintenance_timeout = absl::Minutes(30);
  absl::Duration cancel_timeout = absl::Seconds(5);
  int attempts = 3;
  absl::Duration retry_backoff = absl::Milliseconds(200);
};

// Caches one channel (and client) per agent name and address; clients
// share the channel. Thread-safe.
class GrpcAgentClients final : public AgentClients {
 public:
  explicit GrpcAgentClients(AgentChannels channels = PlaintextAgentChannels(),
                            GrpcAgentClientOptions options = GrpcAgentClientOptions());
  ~GrpcAgentClients() override;
  std::shared_ptr<AgentClient> For(const dbdump::v1::Agent& agent) override;

 private:
  const AgentChannels channels_;
  const GrpcAgentClientOptions options_;
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<AgentClient>> clients_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dbdump
