// RegistryServiceImpl: agents register and heartbeat here.
#pragma once

#include "absl/time/time.h"
#include "common/base/clock.h"
#include "controller/store/store.h"
#include "dbdump/v1/controller_service.grpc.pb.h"

namespace dbdump {

// Thread-safe (the store is).
class RegistryServiceImpl final : public dbdump::v1::RegistryService::Service {
 public:
  // `clock` stamps registrations and heartbeats; null: DefaultClock().
  RegistryServiceImpl(Store* store, absl::Duration heartbeat_interval, Clock* clock = nullptr)
      : store_(store),
        heartbeat_interval_(heartbeat_interval),
        clock_(clock ? clock : DefaultClock()) {}
  grpc::Status RegisterAgent(grpc::ServerContext*, const dbdump::v1::RegisterAgentRequest*,
                             dbdump::v1::RegisterAgentResponse*) override;
  grpc::Status Heartbeat(grpc::ServerContext*, const dbdump::v1::HeartbeatRequest*,
                         dbdump::v1::HeartbeatResponse*) override;

 private:
  Store* store_;
  absl::Duration heartbeat_interval_;
  Clock* clock_;
};

}  // namespace dbdump
