// S3 Object Lock of a storage destination: validation, the retain-until date
// of a job's objects, and names for users.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump {

// The destination locks what is written there.
bool HasObjectLock(const dbdump::v1::StorageDestination& dest);

// The mode as S3 names it in x-amz-object-lock-mode ("GOVERNANCE",
// "COMPLIANCE"); "" for none.
std::string S3LockModeName(dbdump::v1::ObjectLockMode mode);
// For users: "compliance", "governance".
std::string LockModeName(dbdump::v1::ObjectLockMode mode);
// "compliance for 30d", "governance until retention would delete (at least 7d)".
std::string DescribeObjectLock(const dbdump::v1::ObjectLock& lock);

// InvalidArgument when the lock is set on a destination other than S3, has
// no mode, or neither a period nor "until retention".
absl::Status ValidateObjectLock(const dbdump::v1::StorageDestination& dest);

class S3Client;
// OK when the destination has no lock, or its bucket has Object Lock enabled
// (GetObjectLockConfiguration); FailedPrecondition in one line saying what
// to do otherwise.
absl::Status CheckBucketObjectLock(S3Client* client, const dbdump::v1::StorageDestination& dest);

// The retain-until date of every object a job writes to `dest`: the date the
// controller computed (`controller_until`, RFC 3339, for "until retention"
// destinations) when given, else `job_start` + retain_s, in whole seconds.
// InfinitePast() when the destination has no lock. FailedPrecondition when
// it locks "until retention" with no period and the controller gave no date.
absl::StatusOr<absl::Time> ObjectLockRetainUntil(const dbdump::v1::StorageDestination& dest,
                                                 const std::string& controller_until,
                                                 absl::Time job_start);

}  // namespace dbdump
