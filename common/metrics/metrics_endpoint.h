// The Prometheus side both daemons share: the plain HTTP endpoint of
// --metrics_listen, the text a scrape answers, and dbdump_build_info.
// Metrics themselves come from prometheus-cpp (Debian's prometheus-cpp-dev);
// only the wiring is ours.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "prometheus/collectable.h"
#include "prometheus/exposer.h"
#include "prometheus/registry.h"

namespace dbdump {

// Serves what `collectables` hold at http://LISTEN/metrics (plain HTTP, no
// authentication: bind it to loopback or a monitoring network). `listen`
// is host:port; port 0 picks a free one (MetricsPort). FailedPrecondition
// when the address cannot be served.
absl::StatusOr<std::unique_ptr<prometheus::Exposer>> ServeMetrics(
    const std::string& listen,
    const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables);

// The port an Exposer serves (0 when none).
int MetricsPort(prometheus::Exposer& exposer);

// What `collectables` hold in Prometheus' text format (version 0.0.4), for
// an endpoint served by other means (the controller's HTTP gateway).
std::string MetricsText(const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables);

// dbdump_build_info{version=...} 1, the usual way to join a version to
// other series.
void AddBuildInfo(prometheus::Registry& registry, const std::string& version);

}  // namespace dbdump
