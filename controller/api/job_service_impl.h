// JobServiceImpl: job history, and following a job live through JobUpdates.
#pragma once

#include "controller/api/admin_context.h"
#include "dbdump/v1/controller_service.grpc.pb.h"

namespace dbdump {

// Thread-safe.
class JobServiceImpl final : public dbdump::v1::JobService::Service {
 public:
  explicit JobServiceImpl(AdminContext c) : c_(c) {}
  grpc::Status ListJobs(grpc::ServerContext*, const dbdump::v1::ListJobsRequest*,
                        dbdump::v1::ListJobsResponse*) override;
  grpc::Status GetJob(grpc::ServerContext*, const dbdump::v1::GetJobRequest*,
                      dbdump::v1::GetJobResponse*) override;
  grpc::Status FollowJob(grpc::ServerContext*, const dbdump::v1::FollowJobRequest*,
                         grpc::ServerWriter<dbdump::v1::FollowJobResponse>*) override;
  grpc::Status CancelJob(grpc::ServerContext*, const dbdump::v1::CancelJobRequest*,
                         dbdump::v1::CancelJobResponse*) override;

 private:
  absl::Status List(const dbdump::v1::ListJobsRequest& req, dbdump::v1::ListJobsResponse* resp);
  absl::Status Cancel(const grpc::ServerContext& ctx, const std::string& id, dbdump::v1::Job* out);

  AdminContext c_;
};

}  // namespace dbdump
