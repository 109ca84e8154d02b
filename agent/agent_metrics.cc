#include "agent/agent_metrics.h"

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "common/base/version.h"
#include "common/metrics/metrics_endpoint.h"
#include "prometheus/client_metric.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace dbdump {
namespace {

// Gauges read when scraped, so they never drift from what they describe.
class LiveGauges final : public prometheus::Collectable {
 public:
  LiveGauges(std::function<int()> running_jobs, const std::atomic<bool>* connected)
      : running_jobs_(std::move(running_jobs)), connected_(connected) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> out;
    out.push_back(Gauge("dbdump_agent_jobs_running", "Jobs this agent is running now",
                        running_jobs_()));
    out.push_back(Gauge("dbdump_agent_controller_connected",
                        "1 while the controller has this agent registered (last registration "
                        "or heartbeat succeeded), else 0",
                        connected_->load() ? 1 : 0));
    return out;
  }

 private:
  static prometheus::MetricFamily Gauge(const std::string& name, const std::string& help,
                                        double value) {
    prometheus::MetricFamily family;
    family.name = name;
    family.help = help;
    family.type = prometheus::MetricType::Gauge;
    prometheus::ClientMetric metric;
    metric.gauge.value = value;
    family.metric.push_back(metric);
    return family;
  }

  std::function<int()> running_jobs_;
  const std::atomic<bool>* connected_;
};

std::string Label(absl::string_view s) { return std::string(s); }

}  // namespace

std::string JobStateLabel(v1::JobState state) {
  std::string name = v1::JobState_Name(state);
  return absl::AsciiStrToLower(absl::StripPrefix(name, "JOB_STATE_"));
}

AgentMetrics::AgentMetrics(std::function<int()> running_jobs)
    : registry_(std::make_shared<prometheus::Registry>()),
      s3_requests_(prometheus::BuildCounter()
                       .Name("dbdump_s3_requests_total")
                       .Help("HTTP requests sent to S3, by S3 operation (retries included)")
                       .Register(*registry_)),
      s3_retries_(prometheus::BuildCounter()
                      .Name("dbdump_s3_retries_total")
                      .Help("S3 requests tried again after a transient failure, by operation")
                      .Register(*registry_)),
      s3_errors_(prometheus::BuildCounter()
                     .Name("dbdump_s3_errors_total")
                     .Help("S3 calls that failed for good (retries exhausted or a permanent "
                           "error), by operation")
                     .Register(*registry_)),
      s3_uploaded_(prometheus::BuildCounter()
                       .Name("dbdump_s3_uploaded_bytes_total")
                       .Help("Request body bytes S3 accepted, by operation")
                       .Register(*registry_)),
      backup_bytes_(prometheus::BuildCounter()
                        .Name("dbdump_agent_backup_stored_bytes_total")
                        .Help("Stored (compressed, encrypted) bytes of the backups this agent "
                              "finished, as written to storage")
                        .Register(*registry_)
                        .Add({})),
      jobs_ended_(prometheus::BuildCounter()
                      .Name("dbdump_agent_jobs_ended_total")
                      .Help("Jobs this agent ran to an end, by final state")
                      .Register(*registry_)) {
  AddBuildInfo(*registry_, kVersion);
  live_ = std::make_shared<LiveGauges>(std::move(running_jobs), &connected_);
}

std::vector<std::shared_ptr<prometheus::Collectable>> AgentMetrics::collectables() {
  return {registry_, live_};
}

void AgentMetrics::Requested(absl::string_view operation) {
  s3_requests_.Add({{"operation", Label(operation)}}).Increment();
}

void AgentMetrics::Retried(absl::string_view operation) {
  s3_retries_.Add({{"operation", Label(operation)}}).Increment();
}

void AgentMetrics::Failed(absl::string_view operation) {
  s3_errors_.Add({{"operation", Label(operation)}}).Increment();
}

void AgentMetrics::Uploaded(absl::string_view operation, size_t bytes) {
  s3_uploaded_.Add({{"operation", Label(operation)}}).Increment(static_cast<double>(bytes));
}

void AgentMetrics::JobEnded(const v1::JobEvent& event) {
  jobs_ended_.Add({{"state", JobStateLabel(event.state())}}).Increment();
  if (event.has_manifest()) {
    backup_bytes_.Increment(static_cast<double>(event.manifest().stored_size_bytes()));
  }
}

}  // namespace dbdump
