// AgentClients: one gRPC channel per agent address, shared by all calls.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "dbdump/v1/agent_service.grpc.pb.h"

namespace dbdump {

// Thread-safe cache of stubs keyed by address.
class AgentClients {
 public:
  std::shared_ptr<dbdump::v1::AgentService::StubInterface> For(const std::string& address);
  // Tests put fakes here.
  void Set(const std::string& address,
           std::shared_ptr<dbdump::v1::AgentService::StubInterface> stub);

 private:
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<dbdump::v1::AgentService::StubInterface>> stubs_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace dbdump
