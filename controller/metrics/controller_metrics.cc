#include "controller/metrics/controller_metrics.h"

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/version.h"
#include "common/metrics/metrics_endpoint.h"
#include "controller/dispatch/dispatcher.h"
#include "controller/store/store.h"
#include "prometheus/client_metric.h"
#include "prometheus/metric_family.h"

namespace dbdump {
namespace {

std::string EnumLabel(const std::string& name, absl::string_view prefix) {
  return absl::AsciiStrToLower(absl::StripPrefix(name, prefix));
}

prometheus::MetricFamily Family(const std::string& name, const std::string& help,
                                prometheus::MetricType type = prometheus::MetricType::Gauge) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

void AddSample(prometheus::MetricFamily* family, const std::string& label, const std::string& value,
               double sample) {
  prometheus::ClientMetric m;
  m.label.push_back({label, value});
  m.gauge.value = sample;
  family->metric.push_back(std::move(m));
}

// Read at each scrape from the store and the dispatcher. A store that cannot
// be read leaves the per-database and per-agent series out and sets
// dbdump_controller_store_up to 0, rather than answering stale numbers.
class CatalogueGauges final : public prometheus::Collectable {
 public:
  explicit CatalogueGauges(ControllerMetricsParts parts) : p_(std::move(parts)) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> out;
    bool store_up = CollectDatabases(&out) && CollectAgents(&out);
    DispatcherStats ds = p_.dispatcher->stats();
    auto queued = Family("dbdump_jobs_queued", "Jobs waiting for a free slot (over all agents)");
    prometheus::ClientMetric m;
    m.gauge.value = ds.queued;
    queued.metric.push_back(m);
    out.push_back(std::move(queued));
    auto queued_on = Family("dbdump_agent_jobs_queued",
                            "Jobs waiting for a free slot, by the agent they will run on");
    for (const auto& [agent, n] : p_.dispatcher->QueuedPerAgent()) {
      AddSample(&queued_on, "agent", agent, n);
    }
    out.push_back(std::move(queued_on));
    auto running = Family("dbdump_agent_jobs_running", "Jobs the controller follows on each agent");
    for (const auto& [agent, n] : p_.dispatcher->RunningPerAgent()) {
      AddSample(&running, "agent", agent, n);
    }
    out.push_back(std::move(running));
    auto up = Family("dbdump_controller_store_up",
                     "1 when the controller could read its store for this scrape, else 0");
    prometheus::ClientMetric u;
    u.gauge.value = store_up ? 1 : 0;
    up.metric.push_back(u);
    out.push_back(std::move(up));
    return out;
  }

 private:
  bool CollectDatabases(std::vector<prometheus::MetricFamily>* out) const {
    absl::StatusOr<v1::GetStatsResponse> stats = p_.stats();
    if (!stats.ok()) {
      LogWarn("metrics", "cannot read the databases' statistics: ", stats.status().message());
      return false;
    }
    auto last_success = Family("dbdump_database_last_success_timestamp_seconds",
                               "Unix time of the database's newest good backup (absent: none)");
    auto stale = Family("dbdump_database_stale",
                        "1 when the newest good backup is older than two intervals of the "
                        "database's most frequent enabled schedule (as `dbdumpctl health`)");
    auto duration = Family("dbdump_database_last_backup_duration_seconds",
                           "How long the newest good backup took");
    auto raw = Family("dbdump_database_last_backup_raw_bytes",
                      "Size of the newest good backup as the dump tool wrote it");
    auto stored = Family("dbdump_database_last_backup_stored_bytes",
                         "Size of the newest good backup as stored (compressed, encrypted)");
    for (const v1::DatabaseStats& s : stats->databases()) {
      AddSample(&stale, "database", s.database(), s.stale() ? 1 : 0);
      if (s.last_good_backup_at().empty()) continue;
      AddSample(&last_success, "database", s.database(),
                absl::ToUnixMillis(TimeFromString(s.last_good_backup_at())) / 1000.0);
      BackupQuery q;
      q.database = s.database();
      q.state = v1::BACKUP_STATE_COMPLETED;
      q.limit = 1;
      absl::StatusOr<std::vector<v1::Backup>> newest = p_.store->QueryBackups(q);
      if (!newest.ok()) {
        LogWarn("metrics", "cannot read the newest backup of ", s.database(), ": ",
                newest.status().message());
        return false;
      }
      if (newest->empty()) continue;
      const v1::Manifest& m = newest->front().manifest();
      AddSample(&raw, "database", s.database(), static_cast<double>(m.raw_size_bytes()));
      AddSample(&stored, "database", s.database(), static_cast<double>(m.stored_size_bytes()));
      if (!m.started_at().empty() && !m.finished_at().empty()) {
        AddSample(&duration, "database", s.database(),
                  absl::ToDoubleSeconds(TimeFromString(m.finished_at()) -
                                        TimeFromString(m.started_at())));
      }
    }
    for (auto* f : {&last_success, &stale, &duration, &raw, &stored}) out->push_back(std::move(*f));
    return true;
  }

  bool CollectAgents(std::vector<prometheus::MetricFamily>* out) const {
    absl::StatusOr<std::vector<v1::Agent>> agents = p_.store->ListAgents();
    if (!agents.ok()) {
      LogWarn("metrics", "cannot list the agents: ", agents.status().message());
      return false;
    }
    auto up = Family("dbdump_agent_up",
                     "1 while the agent heartbeats (the dispatcher counts it online), else 0");
    absl::Time now = p_.clock->Now();
    for (const v1::Agent& a : *agents) {
      AddSample(&up, "agent", a.name(), p_.dispatcher->IsOnline(a, now) ? 1 : 0);
    }
    out->push_back(std::move(up));
    return true;
  }

  const ControllerMetricsParts p_;
};

// Job durations from seconds to hours.
prometheus::Histogram::BucketBoundaries DurationBuckets() {
  return {1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800};
}

}  // namespace

ControllerMetrics::ControllerMetrics(ControllerMetricsParts parts)
    : registry_(std::make_shared<prometheus::Registry>()),
      jobs_(prometheus::BuildCounter()
                .Name("dbdump_jobs_total")
                .Help("Jobs that ended, by kind (backup, restore) and final state")
                .Register(*registry_)),
      job_duration_(prometheus::BuildHistogram()
                        .Name("dbdump_job_duration_seconds")
                        .Help("Run time of ended jobs (start to end at the agent), by kind")
                        .Register(*registry_)),
      notifications_(prometheus::BuildCounter()
                         .Name("dbdump_notifications_total")
                         .Help("Notifications handed to a channel, by channel")
                         .Register(*registry_)),
      notification_failures_(prometheus::BuildCounter()
                                 .Name("dbdump_notification_failures_total")
                                 .Help("Notifications a channel could not deliver after its "
                                       "retries, by channel")
                                 .Register(*registry_)),
      catalogue_(std::make_shared<CatalogueGauges>(std::move(parts))) {
  AddBuildInfo(*registry_, kVersion);
}

std::vector<std::shared_ptr<prometheus::Collectable>> ControllerMetrics::collectables() {
  return {registry_, catalogue_};
}

void ControllerMetrics::JobEnded(const v1::Job& job) {
  std::string kind = EnumLabel(v1::JobKind_Name(job.kind()), "JOB_KIND_");
  jobs_.Add({{"kind", kind}, {"state", EnumLabel(v1::JobState_Name(job.state()), "JOB_STATE_")}})
      .Increment();
  // A job that never started (cancelled while queued) has no run time.
  if (job.started_at().empty() || job.finished_at().empty()) return;
  job_duration_.Add({{"kind", kind}}, DurationBuckets())
      .Observe(absl::ToDoubleSeconds(TimeFromString(job.finished_at()) -
                                     TimeFromString(job.started_at())));
}

void ControllerMetrics::NotificationDelivered(const std::string& channel, bool ok) {
  notifications_.Add({{"channel", channel}}).Increment();
  if (!ok) notification_failures_.Add({{"channel", channel}}).Increment();
}

}  // namespace dbdump
