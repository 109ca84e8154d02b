#include "common/storage/object_lock.h"

#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "common/s3/s3_client.h"

namespace dbdump {
namespace {

// Whole days when it is a whole number of days ("30d"), else "36h", "90m".
std::string PeriodText(uint64_t seconds) {
  if (seconds % 86400 == 0) return absl::StrCat(seconds / 86400, "d");
  if (seconds % 3600 == 0) return absl::StrCat(seconds / 3600, "h");
  if (seconds % 60 == 0) return absl::StrCat(seconds / 60, "m");
  return absl::StrCat(seconds, "s");
}

// S3 refuses retain-until dates beyond 100 years.
constexpr uint64_t kMaxRetainS = uint64_t{100} * 365 * 86400;

}  // namespace

bool HasObjectLock(const v1::StorageDestination& dest) {
  return dest.has_object_lock() && dest.object_lock().mode() != v1::OBJECT_LOCK_MODE_UNSPECIFIED;
}

std::string S3LockModeName(v1::ObjectLockMode mode) {
  switch (mode) {
    case v1::OBJECT_LOCK_MODE_GOVERNANCE: return "GOVERNANCE";
    case v1::OBJECT_LOCK_MODE_COMPLIANCE: return "COMPLIANCE";
    default: return "";
  }
}

std::string LockModeName(v1::ObjectLockMode mode) {
  switch (mode) {
    case v1::OBJECT_LOCK_MODE_GOVERNANCE: return "governance";
    case v1::OBJECT_LOCK_MODE_COMPLIANCE: return "compliance";
    default: return "none";
  }
}

std::string DescribeObjectLock(const v1::ObjectLock& lock) {
  if (lock.mode() == v1::OBJECT_LOCK_MODE_UNSPECIFIED) return "none";
  if (lock.until_retention()) {
    return absl::StrCat(LockModeName(lock.mode()), " until retention would delete",
                        lock.retain_s() > 0 ? absl::StrCat(" (at least ", PeriodText(lock.retain_s()), ")")
                                            : "");
  }
  return absl::StrCat(LockModeName(lock.mode()), " for ", PeriodText(lock.retain_s()));
}

absl::Status ValidateObjectLock(const v1::StorageDestination& dest) {
  if (!dest.has_object_lock()) return absl::OkStatus();
  const v1::ObjectLock& lock = dest.object_lock();
  bool any = lock.mode() != v1::OBJECT_LOCK_MODE_UNSPECIFIED || lock.retain_s() > 0 ||
             lock.until_retention();
  if (!any) return absl::OkStatus();  // an empty message: no lock
  if (dest.kind() != v1::STORAGE_KIND_S3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "storage \"", dest.name(), "\" is not S3: Object Lock exists only on S3 buckets; drop "
        "--object-lock"));
  }
  if (lock.mode() != v1::OBJECT_LOCK_MODE_GOVERNANCE &&
      lock.mode() != v1::OBJECT_LOCK_MODE_COMPLIANCE) {
    return absl::InvalidArgumentError(
        "object lock needs a mode: --object-lock=governance or --object-lock=compliance");
  }
  if (lock.retain_s() == 0 && !lock.until_retention()) {
    return absl::InvalidArgumentError(
        "object lock needs a period (--object-lock-retain=30d) or "
        "--object-lock-until-retention");
  }
  if (lock.retain_s() > kMaxRetainS) {
    return absl::InvalidArgumentError(absl::StrCat(
        "object lock period ", PeriodText(lock.retain_s()), " is longer than S3's 100 years"));
  }
  return absl::OkStatus();
}

absl::Status CheckBucketObjectLock(S3Client* client, const v1::StorageDestination& dest) {
  if (!HasObjectLock(dest)) return absl::OkStatus();
  ASSIGN_OR_RETURN(bool enabled, client->ObjectLockEnabled());
  if (enabled) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "bucket \"", dest.bucket(), "\" does not have S3 Object Lock enabled, so storage \"",
      dest.name(), "\" cannot lock backups there: use a bucket created with Object Lock "
      "(aws s3api create-bucket --bucket NAME --object-lock-enabled-for-bucket) or drop "
      "--object-lock"));
}

absl::StatusOr<absl::Time> ObjectLockRetainUntil(const v1::StorageDestination& dest,
                                                 const std::string& controller_until,
                                                 absl::Time job_start) {
  if (!HasObjectLock(dest)) return absl::InfinitePast();
  const v1::ObjectLock& lock = dest.object_lock();
  absl::Time fixed = lock.retain_s() > 0
                         ? absl::FromUnixSeconds(absl::ToUnixSeconds(job_start)) +
                               absl::Seconds(static_cast<int64_t>(lock.retain_s()))
                         : absl::InfinitePast();
  if (!controller_until.empty()) {
    absl::Time t = TimeFromString(controller_until);
    if (t == absl::InfinitePast()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the job's object lock date \"", controller_until, "\" for storage \"", dest.name(),
          "\" is not an RFC 3339 UTC time"));
    }
    return std::max(t, fixed);
  }
  if (fixed == absl::InfinitePast()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "storage \"", dest.name(), "\" locks objects until retention would delete them, but the "
        "job carries no date from the controller: upgrade the controller or give the storage a "
        "period (dbdumpctl storage update ", dest.name(), " --object-lock-retain=30d)"));
  }
  return fixed;
}

}  // namespace dbdump
