#include "controller/agents/agent_clients.h"

#include <grpcpp/grpcpp.h>

namespace dbdump {

std::shared_ptr<v1::AgentService::StubInterface> AgentClients::For(const std::string& address) {
  absl::MutexLock l(&mu_);
  auto& stub = stubs_[address];
  if (!stub) {
    stub = v1::AgentService::NewStub(
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  }
  return stub;
}

void AgentClients::Set(const std::string& address,
                       std::shared_ptr<v1::AgentService::StubInterface> stub) {
  absl::MutexLock l(&mu_);
  stubs_[address] = std::move(stub);
}

}  // namespace dbdump
