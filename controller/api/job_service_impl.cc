#include "controller/api/job_service_impl.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>

#include <google/protobuf/util/message_differencer.h>

#include "common/base/job_state.h"
#include "absl/strings/str_cat.h"
#include "common/base/grpc_status.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "absl/strings/str_split.h"
#include "controller/api/page_token.h"
#include "controller/auth/caller.h"

namespace dbdump {

absl::Status JobServiceImpl::List(const v1::ListJobsRequest& req, v1::ListJobsResponse* resp) {
  if (!req.database().empty()) {
    RETURN_IF_ERROR(ValidateResourceName("database name", req.database()));
  }
  if (!v1::JobState_IsValid(req.state())) return absl::InvalidArgumentError("unknown job state");
  // `limit` is the older name of the page size.
  ASSIGN_OR_RETURN(int page, PageSizeOf(req.page_size() != 0 ? req.page_size()
                                                              : std::min(req.limit(), 1000u)));
  JobQuery q;
  q.database = req.database();
  q.state = req.state();
  // The token is tied to the filters it was made with.
  const std::string filters = absl::StrCat("jobs\n", req.database(), "\n", req.state());
  if (!req.page_token().empty()) {
    ASSIGN_OR_RETURN(std::string position, DecodePageToken(req.page_token(), filters));
    std::pair<std::string, std::string> at = absl::StrSplit(position, absl::MaxSplits('\n', 1));
    q.before_created_at = at.first;
    q.before_id = at.second;
  }
  q.limit = page + 1;  // one more tells whether another page follows
  ASSIGN_OR_RETURN(std::vector<v1::Job> rows, c_.store->QueryJobs(q));
  const bool more = static_cast<int>(rows.size()) > page;
  if (more) rows.pop_back();
  for (v1::Job& j : rows) *resp->add_jobs() = std::move(j);
  if (more) {
    const v1::Job& last = *resp->jobs().rbegin();
    resp->set_next_page_token(
        EncodePageToken(absl::StrCat(last.created_at(), "\n", last.id()), filters));
  }
  return absl::OkStatus();
}

grpc::Status JobServiceImpl::ListJobs(grpc::ServerContext*, const v1::ListJobsRequest* req,
                                      v1::ListJobsResponse* resp) {
  return ToGrpc(List(*req, resp));
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
    RETURN_IF_ERROR(RequireRole(CallerOf(ctx, c_.callers), v1::ROLE_ADMIN, "cancelling a restore"));
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
