// Registrar: keeps the agent registered with the controller.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "dbdump/v1/controller_service.grpc.pb.h"

namespace grpc {
class ChannelCredentials;
}  // namespace grpc

namespace dbdump {

struct RegistrarOptions {
  std::string controller_address;
  std::string agent_name;
  // Where the controller reaches this agent.
  std::string advertise_address;
  std::vector<dbdump::v1::Engine> engines;
  // Their tools' versions, reported with them.
  std::map<dbdump::v1::Engine, std::string> tool_versions;
  // Mutual TLS with the agent's certificate (plaintext when null).
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // Told after every registration or heartbeat whether the controller has
  // this agent registered now (health and metrics); on the registrar's
  // thread, must not block.
  std::function<void(bool connected)> on_connection;
};

// Registers on start and heartbeats at the interval the controller asks for;
// re-registers when the controller forgot the agent (e.g. a new store) and
// retries with backoff while the controller is unreachable. Thread-safe.
class Registrar {
 public:
  explicit Registrar(RegistrarOptions options);
  ~Registrar();
  void Start();
  void Stop();

 private:
  void Loop();
  RegistrarOptions options_;
  std::unique_ptr<dbdump::v1::RegistryService::Stub> stub_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace dbdump
