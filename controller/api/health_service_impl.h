// HealthService: statistics per database and overall, and controller health.
#pragma once

#include "common/base/clock.h"
#include "controller/dispatch/dispatcher.h"
#include "controller/store/store.h"
#include "dbdump/v1/controller_service.grpc.pb.h"

namespace dbdump {

// A database is stale when its last good backup (or, without one, its
// oldest enabled schedule) is older than twice the interval of its most
// frequent enabled schedule. Databases without a schedule are never stale.
// Thread-safe.
class HealthServiceImpl final : public dbdump::v1::HealthService::Service {
 public:
  HealthServiceImpl(Store* store, Dispatcher* dispatcher, Clock* clock, absl::Time started)
      : store_(store), dispatcher_(dispatcher), clock_(clock), started_(started) {}

  grpc::Status GetHealth(grpc::ServerContext*, const dbdump::v1::GetHealthRequest*,
                         dbdump::v1::GetHealthResponse*) override;
  grpc::Status GetStats(grpc::ServerContext*, const dbdump::v1::GetStatsRequest*,
                        dbdump::v1::GetStatsResponse*) override;

  absl::StatusOr<dbdump::v1::GetStatsResponse> Stats();
  absl::StatusOr<dbdump::v1::GetHealthResponse> Health();

 private:
  Store* store_;
  Dispatcher* dispatcher_;
  Clock* clock_;
  absl::Time started_;
};

}  // namespace dbdump
