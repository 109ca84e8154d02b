// ControllerMetrics: the controller's Prometheus metrics. Events are
// counted as they happen (jobs ended, by kind and state; job durations;
// notification deliveries and failures); the state of databases and agents
// is read from the store and the dispatcher at each scrape (CatalogueGauges),
// so it never drifts from what `dbdumpctl stats` and `health` show.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/base/clock.h"
#include "dbdump/v1/controller_service.pb.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace dbdump {

class Dispatcher;
class Store;

struct ControllerMetricsParts {
  // Not owned; read at each scrape.
  Store* store = nullptr;
  Dispatcher* dispatcher = nullptr;
  Clock* clock = nullptr;
  // Per-database statistics with the staleness verdict (HealthServiceImpl::
  // Stats), so metrics and `dbdumpctl health` apply one rule.
  std::function<absl::StatusOr<dbdump::v1::GetStatsResponse>()> stats;
};

// Thread-safe.
class ControllerMetrics {
 public:
  explicit ControllerMetrics(ControllerMetricsParts parts);

  // What a scrape collects.
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables();

  // A job's final record (JobOutcome's on_end).
  void JobEnded(const dbdump::v1::Job& job);
  // One notification handed to one channel: delivered or given up on.
  void NotificationDelivered(const std::string& channel, bool ok);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& jobs_;
  prometheus::Family<prometheus::Histogram>& job_duration_;
  prometheus::Family<prometheus::Counter>& notifications_;
  prometheus::Family<prometheus::Counter>& notification_failures_;
  std::shared_ptr<prometheus::Collectable> catalogue_;
};

}  // namespace dbdump
