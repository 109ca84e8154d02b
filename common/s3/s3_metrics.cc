#include "common/s3/s3_metrics.h"

#include <atomic>

namespace dbdump {
namespace {

// Reports nothing: the hook of a process that set none.
class NoS3Metrics final : public S3Metrics {
 public:
  void Requested(absl::string_view) override {}
  void Retried(absl::string_view) override {}
  void Failed(absl::string_view) override {}
  void Uploaded(absl::string_view, size_t) override {}
};

std::atomic<S3Metrics*> default_metrics{nullptr};

}  // namespace

void SetDefaultS3Metrics(S3Metrics* metrics) { default_metrics.store(metrics); }

S3Metrics* DefaultS3Metrics() {
  static NoS3Metrics none;
  S3Metrics* set = default_metrics.load();
  return set != nullptr ? set : &none;
}

}  // namespace dbdump
