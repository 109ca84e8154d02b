#include "controller/cli/args/s3_url.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/s3/s3_client.h"
#include "common/storage/storage.h"
#include "controller/cli/args/cli_error.h"

namespace dbdump {

absl::StatusOr<S3Url> ParseS3Url(const std::string& url) {
  constexpr absl::string_view kScheme = "s3://";
  if (!absl::StartsWith(url, kScheme)) {
    return UsageError(absl::StrCat("\"", url, "\" is not an s3:// URL: use s3://BUCKET[/PREFIX]"));
  }
  std::string rest = url.substr(kScheme.size());
  S3Url out;
  size_t slash = rest.find('/');
  out.bucket = rest.substr(0, slash);
  if (slash != std::string::npos) out.prefix = rest.substr(slash + 1);
  // One trailing slash reads naturally ("s3://b/backups/"); it names no segment.
  if (absl::EndsWith(out.prefix, "/")) out.prefix.pop_back();

  // "s3://KEY:SECRET@bucket" is not echoed back: it may hold a secret key.
  if (absl::StrContains(out.bucket, "@")) {
    return UsageError(
        "s3:// URLs carry no credentials: use --credentials-ref=file:/path or the environment "
        "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)");
  }
  if (out.bucket.empty()) {
    return UsageError(absl::StrCat("\"", url, "\" names no bucket: use s3://BUCKET[/PREFIX]"));
  }
  absl::Status bucket = ValidateBucketName(out.bucket);
  if (!bucket.ok()) {
    return UsageError(absl::StrCat(bucket.message(), ": use s3://BUCKET[/PREFIX]"));
  }
  if (!out.prefix.empty() && !ValidateObjectKey(out.prefix).ok()) {
    return UsageError(absl::StrCat("bad prefix in \"", url,
                                   "\": it must be relative, without empty, \".\" or \"..\" "
                                   "segments"));
  }
  return out;
}

}  // namespace dbdump
