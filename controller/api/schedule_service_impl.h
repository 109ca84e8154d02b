// ScheduleService: backup schedules through the admin API.
#pragma once

#include "common/base/clock.h"
#include "controller/dispatch/dispatcher.h"
#include "controller/store/store.h"
#include "dbdump/v1/controller_service.grpc.pb.h"

namespace dbdump {

// Validates schedules (cron fields, IANA zone, limits) with errors that
// point at the bad value, and answers with next run times. Thread-safe.
class ScheduleServiceImpl final : public dbdump::v1::ScheduleService::Service {
 public:
  ScheduleServiceImpl(Store* store, Dispatcher* dispatcher, Clock* clock)
      : store_(store), dispatcher_(dispatcher), clock_(clock) {}

  grpc::Status CreateSchedule(grpc::ServerContext*, const dbdump::v1::CreateScheduleRequest*,
                              dbdump::v1::CreateScheduleResponse*) override;
  grpc::Status ListSchedules(grpc::ServerContext*, const dbdump::v1::ListSchedulesRequest*,
                             dbdump::v1::ListSchedulesResponse*) override;
  grpc::Status GetSchedule(grpc::ServerContext*, const dbdump::v1::GetScheduleRequest*,
                           dbdump::v1::GetScheduleResponse*) override;
  grpc::Status UpdateSchedule(grpc::ServerContext*, const dbdump::v1::UpdateScheduleRequest*,
                              dbdump::v1::UpdateScheduleResponse*) override;
  grpc::Status SetScheduleEnabled(grpc::ServerContext*,
                                  const dbdump::v1::SetScheduleEnabledRequest*,
                                  dbdump::v1::SetScheduleEnabledResponse*) override;
  grpc::Status RunScheduleNow(grpc::ServerContext*, const dbdump::v1::RunScheduleNowRequest*,
                              dbdump::v1::RunScheduleNowResponse*) override;
  grpc::Status DeleteSchedule(grpc::ServerContext*, const dbdump::v1::DeleteScheduleRequest*,
                              dbdump::v1::DeleteScheduleResponse*) override;
  grpc::Status PreviewSchedule(grpc::ServerContext*, const dbdump::v1::PreviewScheduleRequest*,
                               dbdump::v1::PreviewScheduleResponse*) override;

  // The absl-level operations behind the RPCs (also used by tests).
  absl::StatusOr<dbdump::v1::Schedule> Create(const dbdump::v1::CreateScheduleRequest& req);
  absl::StatusOr<dbdump::v1::Schedule> Get(const std::string& name, int next_runs);
  absl::StatusOr<dbdump::v1::Schedule> Update(const dbdump::v1::UpdateScheduleRequest& req);
  absl::StatusOr<dbdump::v1::Schedule> SetEnabled(const std::string& name, bool enabled);
  absl::StatusOr<dbdump::v1::Job> RunNow(const std::string& name);
  absl::StatusOr<dbdump::v1::PreviewScheduleResponse> Preview(
      const dbdump::v1::PreviewScheduleRequest& req);

 private:
  // Checks the settings and puts them in canonical form (cron text,
  // compression); sets the next run and verification from now when enabled.
  absl::Status Prepare(dbdump::v1::Schedule* s);
  Store* store_;
  Dispatcher* dispatcher_;
  Clock* clock_;
};

}  // namespace dbdump
