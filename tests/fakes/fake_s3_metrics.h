// FakeS3Metrics: counts what the S3 client reports, per operation.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "common/s3/s3_metrics.h"

namespace dbdump {

// Thread-safe, like the interface: uploads report from several threads.
class FakeS3Metrics final : public S3Metrics {
 public:
  void Requested(absl::string_view op) override { Add(&requested_, op, 1); }
  void Retried(absl::string_view op) override { Add(&retried_, op, 1); }
  void Failed(absl::string_view op) override { Add(&failed_, op, 1); }
  void Uploaded(absl::string_view op, size_t bytes) override { Add(&uploaded_, op, bytes); }

  uint64_t requested(const std::string& op) { return Get(&requested_, op); }
  uint64_t retried(const std::string& op) { return Get(&retried_, op); }
  uint64_t failed(const std::string& op) { return Get(&failed_, op); }
  uint64_t uploaded(const std::string& op) { return Get(&uploaded_, op); }

 private:
  using Counts = std::map<std::string, uint64_t>;
  void Add(Counts* counts, absl::string_view op, uint64_t n) {
    absl::MutexLock l(&mu_);
    (*counts)[std::string(op)] += n;
  }
  uint64_t Get(Counts* counts, const std::string& op) {
    absl::MutexLock l(&mu_);
    auto it = counts->find(op);
    return it == counts->end() ? 0 : it->second;
  }

  absl::Mutex mu_;
  Counts requested_ ABSL_GUARDED_BY(mu_);
  Counts retried_ ABSL_GUARDED_BY(mu_);
  Counts failed_ ABSL_GUARDED_BY(mu_);
  Counts uploaded_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dbdump
