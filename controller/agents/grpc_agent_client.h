// GrpcAgentClient: AgentClient over gRPC, one channel per agent address.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "controller/agents/agent_client.h"

namespace dbdump {

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

// Caches one channel (and client) per address; clients share the channel.
// Thread-safe.
class GrpcAgentClients final : public AgentClients {
 public:
  explicit GrpcAgentClients(GrpcAgentClientOptions options = GrpcAgentClientOptions());
  ~GrpcAgentClients() override;
  std::shared_ptr<AgentClient> For(const dbdump::v1::Agent& agent) override;

 private:
  const GrpcAgentClientOptions options_;
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<AgentClient>> clients_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dbdump
