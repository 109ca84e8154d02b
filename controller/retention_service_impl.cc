#include "controller/retention_service_impl.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/names.h"
#include "common/status_macros.h"
#include "controller/cron_expression.h"
#include "controller/retention_policy.h"

namespace dbdump {
namespace {

RetentionRules FromProto(const v1::RetentionRules& r) {
  RetentionRules out;
  out.keep_last = static_cast<int>(r.keep_last());
  out.keep_within = absl::Seconds(static_cast<int64_t>(r.keep_within_s()));
  out.keep_daily = static_cast<int>(r.keep_daily());
  out.keep_weekly = static_cast<int>(r.keep_weekly());
  out.keep_monthly = static_cast<int>(r.keep_monthly());
  out.keep_yearly = static_cast<int>(r.keep_yearly());
  return out;
}

}  // namespace

absl::StatusOr<v1::PlanRetentionResponse> RetentionServiceImpl::Plan(
    const v1::PlanRetentionRequest& req) {
  RETURN_IF_ERROR(ValidateResourceName("database name", req.database()));
  RETURN_IF_ERROR(store_->GetDatabase(req.database()).status());
  RetentionRules rules;
  absl::TimeZone zone = absl::UTCTimeZone();
  std::string source = "given rules";
  if (req.use_given_rules()) {
    rules = FromProto(req.rules());
  } else {
    ASSIGN_OR_RETURN(std::vector<v1::Schedule> schedules, store_->ListSchedules(req.database()));
    for (const v1::Schedule& s : schedules) {
      RetentionRules r = FromProto(s.retention());
      if (r.empty()) continue;
      rules = r;
      ASSIGN_OR_RETURN(zone, LoadScheduleTimeZone(s.time_zone()));
      source = absl::StrCat("schedule ", s.name(), ", ", s.time_zone());
      break;
    }
    if (rules.empty()) source = "no schedule of this database has retention rules";
  }
  ASSIGN_OR_RETURN(std::vector<v1::Backup> backups, store_->ListBackups(req.database()));
  std::vector<RetentionCandidate> candidates;
  std::map<std::string, uint64_t> sizes;
  for (const v1::Backup& b : backups) {
    if (!b.deleted_at().empty()) continue;
    candidates.push_back(
        {b.id(), TimeFromString(b.created_at()), b.state() == v1::BACKUP_STATE_COMPLETED});
    sizes[b.id()] = b.manifest().stored_size_bytes();
  }
  v1::PlanRetentionResponse resp;
  resp.set_rules(absl::StrCat(rules.ToString(), " (", source, ")"));
  for (const RetentionDecision& d : RetentionPolicy(rules, zone).Plan(candidates, clock_->Now())) {
    v1::RetentionVerdict* v = resp.add_verdicts();
    v->set_backup_id(d.backup_id);
    v->set_created_at(TimeToString(d.created));
    v->set_keep(d.keep);
    v->set_reason(d.reason);
    v->set_stored_size_bytes(sizes[d.backup_id]);
  }
  return resp;
}

grpc::Status RetentionServiceImpl::PlanRetention(grpc::ServerContext*,
                                                 const v1::PlanRetentionRequest* req,
                                                 v1::PlanRetentionResponse* resp) {
  auto r = Plan(*req);
  if (!r.ok()) return ToGrpc(r.status());
  *resp = *r;
  return grpc::Status::OK;
}

}  // namespace dbdump
