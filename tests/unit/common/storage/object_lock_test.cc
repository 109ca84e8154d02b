// The Object Lock settings of a destination: what is refused, the date a
// job's objects are locked until, and how a lock is named for users.
#include "common/storage/object_lock.h"

#include "common/base/names.h"
#include "common/storage/storage_validation.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {

v1::StorageDestination Locked(v1::ObjectLockMode mode, uint64_t retain_s, bool until_retention) {
  v1::StorageDestination d;
  d.set_name("vault");
  d.set_kind(v1::STORAGE_KIND_S3);
  d.set_bucket("locked-bucket");
  d.mutable_object_lock()->set_mode(mode);
  d.mutable_object_lock()->set_retain_s(retain_s);
  d.mutable_object_lock()->set_until_retention(until_retention);
  return d;
}

TEST(ObjectLockTest, ValidationRefusesWhatS3CannotDo) {
  EXPECT_TRUE(ValidateStorageDestination(Locked(v1::OBJECT_LOCK_MODE_COMPLIANCE, 86400, false)).ok());
  EXPECT_TRUE(ValidateStorageDestination(Locked(v1::OBJECT_LOCK_MODE_GOVERNANCE, 0, true)).ok());

  absl::Status no_mode = ValidateStorageDestination(Locked(v1::OBJECT_LOCK_MODE_UNSPECIFIED, 60, false));
  EXPECT_TRUE(absl::IsInvalidArgument(no_mode)) << no_mode;
  EXPECT_NE(no_mode.message().find("needs a mode"), std::string::npos) << no_mode;

  absl::Status no_period = ValidateStorageDestination(Locked(v1::OBJECT_LOCK_MODE_COMPLIANCE, 0, false));
  EXPECT_NE(no_period.message().find("needs a period"), std::string::npos) << no_period;

  absl::Status too_long = ValidateStorageDestination(
      Locked(v1::OBJECT_LOCK_MODE_COMPLIANCE, uint64_t{101} * 365 * 86400, false));
  EXPECT_NE(too_long.message().find("100 years"), std::string::npos) << too_long;

  v1::StorageDestination local = Locked(v1::OBJECT_LOCK_MODE_COMPLIANCE, 60, false);
  local.set_kind(v1::STORAGE_KIND_LOCAL);
  local.clear_bucket();
  local.set_path("/srv/backups");
  absl::Status not_s3 = ValidateStorageDestination(local);
  EXPECT_TRUE(absl::IsInvalidArgument(not_s3)) << not_s3;
  EXPECT_NE(not_s3.message().find("only on S3"), std::string::npos) << not_s3;
}

TEST(ObjectLockTest, RetainUntilIsTheControllersDateElseTheJobStartPlusThePeriod) {
  absl::Time start = TimeFromString("2026-03-01T10:00:00Z") + absl::Milliseconds(700);
  v1::StorageDestination fixed = Locked(v1::OBJECT_LOCK_MODE_COMPLIANCE, 3600, false);
  EXPECT_EQ(TimeToString(*ObjectLockRetainUntil(fixed, "", start)), "2026-03-01T11:00:00Z");

  v1::StorageDestination until = Locked(v1::OBJECT_LOCK_MODE_GOVERNANCE, 0, true);
  EXPECT_EQ(TimeToString(*ObjectLockRetainUntil(until, "2026-04-01T00:00:00Z", start)),
            "2026-04-01T00:00:00Z");
  absl::StatusOr<absl::Time> none = ObjectLockRetainUntil(until, "", start);
  EXPECT_TRUE(absl::IsFailedPrecondition(none.status())) << none.status();
  EXPECT_TRUE(absl::IsInvalidArgument(ObjectLockRetainUntil(until, "tomorrow", start).status()));

  // The period is a floor under the controller's date.
  v1::StorageDestination both = Locked(v1::OBJECT_LOCK_MODE_GOVERNANCE, 86400, true);
  EXPECT_EQ(TimeToString(*ObjectLockRetainUntil(both, "2026-03-01T12:00:00Z", start)),
            "2026-03-02T10:00:00Z");

  v1::StorageDestination plain;
  plain.set_kind(v1::STORAGE_KIND_S3);
  EXPECT_EQ(*ObjectLockRetainUntil(plain, "2026-04-01T00:00:00Z", start), absl::InfinitePast());
}

TEST(ObjectLockTest, NamesForUsers) {
  EXPECT_EQ(DescribeObjectLock(Locked(v1::OBJECT_LOCK_MODE_COMPLIANCE, 30 * 86400, false).object_lock()),
            "compliance for 30d");
  EXPECT_EQ(DescribeObjectLock(Locked(v1::OBJECT_LOCK_MODE_GOVERNANCE, 0, true).object_lock()),
            "governance until retention would delete");
  EXPECT_EQ(DescribeObjectLock(Locked(v1::OBJECT_LOCK_MODE_GOVERNANCE, 7200, true).object_lock()),
            "governance until retention would delete (at least 2h)");
  EXPECT_EQ(DescribeObjectLock(v1::ObjectLock()), "none");
  EXPECT_EQ(S3LockModeName(v1::OBJECT_LOCK_MODE_COMPLIANCE), "COMPLIANCE");
}

}  // namespace
}  // namespace dbdump
