#include "controller/api/audit_service_impl.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "common/base/grpc_status.h"
#include "common/base/names.h"
#include "controller/audit/audit_log.h"

namespace dbdump {
grpc::Status AuditServiceImpl::ListAuditEntries(grpc::ServerContext*,
                                                const v1::ListAuditEntriesRequest* req,
                                                v1::ListAuditEntriesResponse* resp) {
  AuditFilter filter;
  filter.actor = req->actor();
  filter.rpc_contains = req->rpc_contains();
  filter.outcome = req->outcome();
  absl::StatusOr<absl::Time> since = ParseTimeBound("since", req->since(), absl::InfinitePast());
  if (!since.ok()) return ToGrpc(since.status());
  absl::StatusOr<absl::Time> until = ParseTimeBound("until", req->until(), absl::InfiniteFuture());
  if (!until.ok()) return ToGrpc(until.status());
  filter.since = *since;
  filter.until = *until;
  filter.limit = req->limit() == 0 ? 100 : static_cast<int>(std::min<uint32_t>(req->limit(), 1000));
  absl::StatusOr<std::vector<AuditEntry>> entries = c_.store->ListAudit(filter);
  if (!entries.ok()) return ToGrpc(entries.status());
  for (const AuditEntry& e : *entries) {
    v1::AuditEntry* out = resp->add_entries();
    out->set_seq(e.seq);
    out->set_at(absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", e.at, absl::UTCTimeZone()));
    out->set_actor(e.actor);
    out->set_peer(e.peer);
    out->set_rpc(e.rpc);
    out->set_target(e.target);
    out->set_outcome(e.outcome);
    out->set_detail(e.detail);
    out->set_prev_hash(e.prev_hash);
    out->set_hash(e.hash);
  }
  return grpc::Status::OK;
}

grpc::Status AuditServiceImpl::VerifyAuditLog(grpc::ServerContext*,
                                              const v1::VerifyAuditLogRequest*,
                                              v1::VerifyAuditLogResponse* resp) {
  absl::StatusOr<AuditLog::VerifyReport> report = c_.audit->Verify();
  if (!report.ok()) return ToGrpc(report.status());
  resp->set_entries_checked(report->entries);
  for (const auto& p : report->problems) {
    v1::AuditProblem* out = resp->add_problems();
    out->set_seq(p.seq);
    out->set_what(p.what);
  }
  return grpc::Status::OK;
}

}  // namespace dbdump
