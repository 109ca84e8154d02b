// S3Metrics: what the S3 client reports about its requests, so that a
// daemon can export it (the agent wires it to Prometheus) without common/
// depending on a metrics library.
#pragma once

#include <cstddef>

#include "absl/strings/string_view.h"

namespace dbdump {

// Interface. Implementations are thread-safe: the client calls them from
// every thread that issues requests. `operation` is the S3 API's name
// (PutObject, UploadPart, ...), a small fixed set: never a key or a bucket.
class S3Metrics {
 public:
  virtual ~S3Metrics() = default;
  // One HTTP attempt was sent (each retry counts again).
  virtual void Requested(absl::string_view operation) = 0;
  // A failed attempt is about to be tried again.
  virtual void Retried(absl::string_view operation) = 0;
  // The call failed for good (after its retries, or at once when the
  // failure is not transient).
  virtual void Failed(absl::string_view operation) = 0;
  // A successful attempt carried `bytes` of request body (uploads).
  virtual void Uploaded(absl::string_view operation, size_t bytes) = 0;
};

// The hook of clients whose S3Options name none. Storages are opened from
// their configuration in many places (jobs, maintenance, reconciliation),
// so the daemon sets its hook once at start instead of passing it to each;
// null (the default) reports nothing. Set it before any client exists;
// DefaultS3Metrics never returns null.
void SetDefaultS3Metrics(S3Metrics* metrics);
S3Metrics* DefaultS3Metrics();

}  // namespace dbdump
