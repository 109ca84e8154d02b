#include "controller/api/health_service_impl.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "common/base/grpc_status.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "common/base/version.h"
#include "controller/schedule/cron_expression.h"

namespace dbdump {
namespace {

struct Totals {
  uint32_t succeeded = 0;
  uint32_t failed = 0;
  uint64_t bytes = 0;
  double duration_sum = 0;
  uint64_t raw = 0;
  uint64_t stored = 0;
  absl::Time last_good = absl::InfinitePast();
};

void Fill(const Totals& t, absl::Time now, v1::DatabaseStats* s) {
  s->set_backups_succeeded(t.succeeded);
  s->set_backups_failed(t.failed);
  s->set_backups_total(t.succeeded + t.failed);
  s->set_success_rate(t.succeeded + t.failed == 0
                          ? 0
                          : static_cast<double>(t.succeeded) / (t.succeeded + t.failed));
  s->set_bytes_stored(t.bytes);
  s->set_avg_duration_s(t.succeeded == 0 ? 0 : t.duration_sum / t.succeeded);
  s->set_avg_compression_ratio(t.stored == 0 ? 0 : static_cast<double>(t.raw) / t.stored);
  if (t.last_good != absl::InfinitePast()) {
    s->set_last_good_backup_at(TimeToString(t.last_good));
    s->set_last_good_age_s(absl::ToDoubleSeconds(now - t.last_good));
  } else {
    s->set_last_good_age_s(-1);
  }
}

// How old the last good backup may get under a schedule: two intervals.
absl::StatusOr<absl::Duration> AllowedAge(const v1::Schedule& s, absl::Time now) {
  ASSIGN_OR_RETURN(CronExpression cron, CronExpression::Parse(s.cron()));
  ASSIGN_OR_RETURN(absl::TimeZone zone, LoadScheduleTimeZone(s.time_zone()));
  ASSIGN_OR_RETURN(std::vector<absl::Time> runs, cron.NextN(now, zone, 2));
  return (runs[1] - runs[0]) * 2;
}

}  // namespace

absl::StatusOr<v1::GetStatsResponse> HealthServiceImpl::Stats() {
  absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(std::vector<v1::Database> dbs, store_->ListDatabases());
  // Summed by SQL: the catalogue is never loaded whole.
  ASSIGN_OR_RETURN(auto totals, store_->BackupTotalsByDatabase());
  ASSIGN_OR_RETURN(auto counts, store_->CountBackupJobs());
  ASSIGN_OR_RETURN(std::vector<v1::Schedule> schedules, store_->ListSchedules(""));
  std::map<std::string, Totals> per_db;
  Totals overall;
  // A backup retention deleted since was a good backup all the same.
  for (const auto& [db, b] : totals) {
    for (Totals* t : {&per_db[db], &overall}) {
      t->bytes += b.stored_now;
      t->duration_sum += b.duration_sum_s;
      t->raw += b.raw;
      t->stored += b.stored;
      if (!b.last_good_at.empty()) {
        t->last_good = std::max(t->last_good, TimeFromString(b.last_good_at));
      }
    }
  }
  // Success counts come from the jobs, which also know the failures.
  for (const auto& [db, c] : counts) {
    for (Totals* t : {&per_db[db], &overall}) {
      t->succeeded += c.succeeded;
      t->failed += c.failed;
    }
  }
  v1::GetStatsResponse resp;
  for (const v1::Database& d : dbs) {
    const std::string& name = d.target().name();
    v1::DatabaseStats* s = resp.add_databases();
    s->set_database(name);
    Fill(per_db[name], now, s);
    absl::Duration allowed = absl::InfiniteDuration();
    absl::Time since = absl::InfiniteFuture();
    for (const v1::Schedule& sc : schedules) {
      if (sc.database() != name || !sc.enabled()) continue;
      absl::StatusOr<absl::Duration> a = AllowedAge(sc, now);
      if (a.ok()) allowed = std::min(allowed, *a);
      since = std::min(since, TimeFromString(sc.created_at()));
    }
    if (allowed != absl::InfiniteDuration()) {
      absl::Time reference = per_db[name].last_good != absl::InfinitePast() ? per_db[name].last_good
                                                                            : since;
      s->set_stale(now - reference > allowed);
    }
  }
  overall.last_good = absl::InfinitePast();  // not meaningful over all databases
  Fill(overall, now, resp.mutable_overall());
  return resp;
}

absl::StatusOr<v1::GetHealthResponse> HealthServiceImpl::Health() {
  absl::Time now = clock_->Now();
  v1::GetHealthResponse resp;
  resp.set_version(kVersion);
  resp.set_schema_version(store_->schema_version());
  resp.set_uptime_s(absl::ToDoubleSeconds(now - started_));
  ASSIGN_OR_RETURN(std::vector<v1::Agent> agents, store_->ListAgents());
  for (const v1::Agent& a : agents) {
    if (dispatcher_->IsOnline(a, now)) {
      resp.set_agents_online(resp.agents_online() + 1);
    } else {
      resp.set_agents_offline(resp.agents_offline() + 1);
      resp.add_problems(absl::StrCat("agent ", a.name(), " is offline (last heartbeat ",
                                     a.last_heartbeat(), ")"));
    }
  }
  DispatcherStats ds = dispatcher_->stats();
  resp.set_jobs_queued(ds.queued);
  resp.set_jobs_running(ds.running);
  ASSIGN_OR_RETURN(v1::GetStatsResponse stats, Stats());
  for (const v1::DatabaseStats& s : stats.databases()) {
    if (!s.stale()) continue;
    resp.set_stale_databases(resp.stale_databases() + 1);
    resp.add_problems(absl::StrCat(
        "database ", s.database(), " is stale: ",
        s.last_good_backup_at().empty() ? "no good backup yet"
                                        : absl::StrCat("last good backup ", s.last_good_backup_at())));
  }
  resp.set_status(resp.problems_size() == 0 ? "ok" : "degraded");
  return resp;
}

grpc::Status HealthServiceImpl::GetHealth(grpc::ServerContext*, const v1::GetHealthRequest*,
                                          v1::GetHealthResponse* resp) {
  auto r = Health();
  if (!r.ok()) return ToGrpc(r.status());
  *resp = *r;
  return grpc::Status::OK;
}

grpc::Status HealthServiceImpl::GetStats(grpc::ServerContext*, const v1::GetStatsRequest*,
                                         v1::GetStatsResponse* resp) {
  auto r = Stats();
  if (!r.ok()) return ToGrpc(r.status());
  *resp = *r;
  return grpc::Status::OK;
}

}  // namespace dbdump
