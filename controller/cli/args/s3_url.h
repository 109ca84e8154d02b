// The s3://BUCKET[/PREFIX] argument of the "s3" verbs, checked as a usage
// error before anything connects: the bucket must follow S3's naming rules
// and the prefix must be a relative key without "." or ".." segments.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace dbdump {

struct S3Url {
  std::string bucket;
  // Without leading or trailing '/'; empty for the bucket's root.
  std::string prefix;
};

// Parses "s3://bucket", "s3://bucket/", "s3://bucket/a/b" or "s3://bucket/a/b/".
absl::StatusOr<S3Url> ParseS3Url(const std::string& url);

}  // namespace dbdump
