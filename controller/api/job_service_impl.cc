#include "controller/api/job_service_impl.h"

#include <grpcpp/grpcpp.h>

#include <google/protobuf/util/message_differencer.h>

#include "common/base/job_state.h"
#include "absl/strings/str_cat.h"
#include "common/base/grpc_status.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "controller/auth/caller.h"

namespace dbdump {


grpc::Status JobServiceImpl::ListJobs(grpc::ServerContext*, const v1::ListJobsRequest* req,
                                      v1::ListJobsResponse* resp) {
  auto all = c_.store->ListJobs(req->database(), static_cast<int>(req->limit()));
  if (!all.ok()) return ToGrpc(all.status());
  for (auto& j : *all) *resp->add_jobs() = j;
  return grpc::Status::OK;
}

grpc::Status JobServiceImpl::GetJob(grpc::ServerContext*, const v1::GetJobRequest* req,
                                    v1::GetJobResponse* resp) {
  auto j = c_.store->GetJob(req->id());
  if (!j.ok()) return ToGrpc(j.status());
  *resp->mutable_job() = *j;
  return grpc::Status::OK;
}

absl::Status JobServiceImpl::Cancel(const grpc::ServerContext& ctx, const std::string& id,
                                    v1::Job* out) {
  RETURN_IF_ERROR(ValidateId("job id", id));
  ASSIGN_OR_RETURN(v1::Job job, c_.store->GetJob(id));
  // Stopping a restore that writes is an admin's call, as starting it is.
  if (job.kind() == v1::JOB_KIND_RESTORE && !job.restore_options().dry_run() &&
      !job.restore_options().test_restore()) {
    RETURN_IF_ERROR(RequireRole(CallerOf(ctx), v1::ROLE_ADMIN, "cancelling a restore"));
  }
  ASSIGN_OR_RETURN(*out, c_.dispatcher->Cancel(id));
  return absl::OkStatus();
}

grpc::Status JobServiceImpl::CancelJob(grpc::ServerContext* ctx, const v1::CancelJobRequest* req,
                                       v1::CancelJobResponse* resp) {
  return ToGrpc(Cancel(*ctx, req->id(), resp->mutable_job()));
}

grpc::Status JobServiceImpl::FollowJob(grpc::ServerContext* ctx, const v1::FollowJobRequest* req,
                                       grpc::ServerWriter<v1::FollowJobResponse>* writer) {
  // The record in memory is the newest there is; the store holds the jobs
  // no one published since this controller started. An update published
  // after either read is newer than `seen` and is not missed.
  v1::Job last;
  uint64_t seen = 0;
  if (!c_.updates->Latest(req->id(), &last, &seen)) {
    absl::StatusOr<v1::Job> j = c_.store->GetJob(req->id());
    if (!j.ok()) return ToGrpc(j.status());
    last = *std::move(j);
  }
  v1::FollowJobResponse r;
  *r.mutable_job() = last;
  if (!writer->Write(r)) return grpc::Status::CANCELLED;
  while (!IsTerminalJobState(last.state())) {
    v1::Job next;
    // The wait wakes on every update of the job; the timeout only bounds
    // how long a client that went away keeps this thread.
    if (!c_.updates->WaitNewer(req->id(), seen, absl::Milliseconds(500), &next, &seen)) {
      if (ctx->IsCancelled()) return grpc::Status::CANCELLED;
      if (c_.updates->closed()) {
        return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            "the controller is shutting down: follow the job again once it is back");
      }
      continue;
    }
    if (google::protobuf::util::MessageDifferencer::Equals(next, last)) continue;
    last = std::move(next);
    *r.mutable_job() = last;
    if (!writer->Write(r)) return grpc::Status::CANCELLED;
  }
  return grpc::Status::OK;
}

}  // namespace dbdump
