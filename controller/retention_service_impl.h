// RetentionService: what retention keeps and deletes, as a dry run.
#pragma once

#include "common/clock.h"
#include "controller/store.h"
#include "dbdump/v1/controller_service.grpc.pb.h"

namespace dbdump {

// Plans retention for one database from the catalogue: rules given in the
// request, or those of the database's schedule (evaluated in its zone).
// Deleted backups are not listed. Thread-safe.
class RetentionServiceImpl final : public dbdump::v1::RetentionService::Service {
 public:
  RetentionServiceImpl(Store* store, Clock* clock) : store_(store), clock_(clock) {}

  grpc::Status PlanRetention(grpc::ServerContext*, const dbdump::v1::PlanRetentionRequest*,
                             dbdump::v1::PlanRetentionResponse*) override;

  absl::StatusOr<dbdump::v1::PlanRetentionResponse> Plan(
      const dbdump::v1::PlanRetentionRequest& req);

 private:
  Store* store_;
  Clock* clock_;
};

}  // namespace dbdump
