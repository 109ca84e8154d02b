#include "common/metrics/metrics_endpoint.h"

#include <exception>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "prometheus/gauge.h"
#include "prometheus/text_serializer.h"

namespace dbdump {

absl::StatusOr<std::unique_ptr<prometheus::Exposer>> ServeMetrics(
    const std::string& listen,
    const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables) {
  std::unique_ptr<prometheus::Exposer> exposer;
  // prometheus-cpp reports a failed bind by throwing (civetweb's
  // CivetException, a std::runtime_error); it is turned into a Status here,
  // at the library's edge.
  try {
    exposer = std::make_unique<prometheus::Exposer>(listen, /*num_threads=*/1);
  } catch (const std::exception& e) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot serve metrics on ", listen, ": ", e.what(),
                     " (address in use or invalid? --metrics_listen takes host:port)"));
  }
  for (const auto& c : collectables) exposer->RegisterCollectable(c);
  return exposer;
}

int MetricsPort(prometheus::Exposer& exposer) {
  std::vector<int> ports = exposer.GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

std::string MetricsText(const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables) {
  std::vector<prometheus::MetricFamily> families;
  for (const auto& c : collectables) {
    std::vector<prometheus::MetricFamily> more = c->Collect();
    families.insert(families.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
  }
  return prometheus::TextSerializer().Serialize(families);
}

void AddBuildInfo(prometheus::Registry& registry, const std::string& version) {
  prometheus::BuildGauge()
      .Name("dbdump_build_info")
      .Help("The running build of dbdump; always 1, its version is a label")
      .Register(registry)
      .Add({{"version", version}})
      .Set(1);
}

}  // namespace dbdump
