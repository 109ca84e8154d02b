#include "common/storage/storage_validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/storage/local_storage.h"
#include "common/storage/object_lock.h"
#include "common/base/names.h"
#include "common/s3/s3_client.h"
#include "common/base/status_macros.h"
#include "common/storage/storage.h"
#include "common/s3/sts_credentials_provider.h"

namespace dbdump {
namespace {

absl::Status ValidateEndpoint(const std::string& field, const std::string& url) {
  if (url.empty()) return absl::OkStatus();
  bool scheme = absl::StartsWith(url, "https://") || absl::StartsWith(url, "http://");
  std::string rest = url.substr(url.find("://") == std::string::npos ? 0 : url.find("://") + 3);
  bool host_ok = !rest.empty() && rest.find_first_of("/?#@ ") == std::string::npos;
  if (!scheme || !host_ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " \"", url, "\" must be http(s)://host[:port] with no path"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateStorageDestination(const v1::StorageDestination& s) {
  RETURN_IF_ERROR(ValidateResourceName("storage name", s.name()));
  if (!s.prefix().empty() && !ValidateObjectKey(s.prefix()).ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "storage prefix \"", s.prefix(), "\" must be relative without \".\" or \"..\" segments"));
  }
  RETURN_IF_ERROR(ValidateObjectLock(s));
  switch (s.kind()) {
    case v1::STORAGE_KIND_LOCAL:
      if (!s.bucket().empty() || !s.endpoint().empty() || !s.role_arn().empty()) {
        return absl::InvalidArgumentError("local storage takes --path only, not S3 options");
      }
      return ValidateLocalRoot(s.path());
    case v1::STORAGE_KIND_S3: {
      if (!s.path().empty()) {
        return absl::InvalidArgumentError("s3 storage takes --bucket (and --prefix), not --path");
      }
      RETURN_IF_ERROR(ValidateBucketName(s.bucket()));
      for (char c : s.region()) {
        if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-')) {
          return absl::InvalidArgumentError(
              absl::StrCat("region \"", s.region(), "\" is not a region name like eu-west-1"));
        }
      }
      RETURN_IF_ERROR(ValidateEndpoint("endpoint", s.endpoint()));
      RETURN_IF_ERROR(ValidateEndpoint("sts endpoint", s.sts_endpoint()));
      if (!s.role_arn().empty()) RETURN_IF_ERROR(ValidateRoleArn(s.role_arn()));
      if (!s.external_id().empty() && s.role_arn().empty()) {
        return absl::InvalidArgumentError("an external id needs a role ARN (--role-arn)");
      }
      if (!s.sse().empty() && s.sse() != "AES256" && s.sse() != "aws:kms") {
        return absl::InvalidArgumentError(
            absl::StrCat("server-side encryption \"", s.sse(), "\" must be AES256 or aws:kms"));
      }
      if (!s.kms_key_id().empty() && s.sse() != "aws:kms") {
        return absl::InvalidArgumentError("a KMS key id needs server-side encryption aws:kms");
      }
      if (!s.credentials_ref().empty() && !absl::StartsWith(s.credentials_ref(), "file:/")) {
        return absl::InvalidArgumentError(
            "credentials reference must be file:/absolute/path on the agent host (or empty for "
            "the agent's environment); keys themselves are never given to dbdump");
      }
      if (!s.profile().empty()) {
        if (!s.credentials_ref().empty()) {
          return absl::InvalidArgumentError(
              "a storage names either a credentials file or a profile, not both");
        }
        for (char c : s.profile()) {
          if (!(absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-')) {
            return absl::InvalidArgumentError(absl::StrCat(
                "profile \"", s.profile(), "\" is not a profile name (letters, digits, '.', '_', '-')"));
          }
        }
      }
      if (s.part_size_bytes() != 0 &&
          (s.part_size_bytes() < (5u << 20) || s.part_size_bytes() > (uint64_t{5} << 30))) {
        return absl::InvalidArgumentError("part size must be between 5 MiB and 5 GiB");
      }
      if (s.max_parts() != 0 && (s.max_parts() < 10 || s.max_parts() > 10000)) {
        return absl::InvalidArgumentError("max parts must be between 10 and 10000");
      }
      if (s.upload_concurrency() > 64) {
        return absl::InvalidArgumentError("upload concurrency must be at most 64");
      }
      return absl::OkStatus();
    }
    default:
      return absl::InvalidArgumentError("unknown storage kind: use local or s3");
  }
}

}  // namespace dbdump
