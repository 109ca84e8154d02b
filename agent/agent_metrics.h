// AgentMetrics: the agent's Prometheus metrics. It is the S3 client's
// metrics hook (requests, retries, failures and uploaded bytes by S3
// operation), counts what finished backups wrote to storage, and reads the
// number of running jobs and the controller connection when scraped.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/s3/s3_metrics.h"
#include "dbdump/v1/types.pb.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/registry.h"

namespace dbdump {

// Thread-safe.
class AgentMetrics final : public S3Metrics {
 public:
  // `running_jobs` is called at each scrape.
  explicit AgentMetrics(std::function<int()> running_jobs);

  // What a scrape collects: the registry and the gauges read live.
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables();

  void Requested(absl::string_view operation) override;
  void Retried(absl::string_view operation) override;
  void Failed(absl::string_view operation) override;
  void Uploaded(absl::string_view operation, size_t bytes) override;

  // A job's terminal event (the job registry's end hook).
  void JobEnded(const dbdump::v1::JobEvent& event);
  // Whether the controller has this agent registered (the registrar).
  void ConnectionChanged(bool connected) { connected_.store(connected); }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& s3_requests_;
  prometheus::Family<prometheus::Counter>& s3_retries_;
  prometheus::Family<prometheus::Counter>& s3_errors_;
  prometheus::Family<prometheus::Counter>& s3_uploaded_;
  prometheus::Counter& backup_bytes_;
  prometheus::Family<prometheus::Counter>& jobs_ended_;
  std::atomic<bool> connected_{false};
  std::shared_ptr<prometheus::Collectable> live_;
};

// "succeeded", "failed", ...: a job state as a metric label.
std::string JobStateLabel(dbdump::v1::JobState state);

}  // namespace dbdump
