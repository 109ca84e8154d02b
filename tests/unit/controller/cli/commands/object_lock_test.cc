// S3 Object Lock in dbdumpctl against a scripted fake controller: the
// storage flags build the destination's lock (and one update mask path),
// contradictory or incomplete flags are refused before any call, and
// "backup show" tells a locked backup.
#include <string>

#include "gtest/gtest.h"
#include "tests/unit/controller/cli/cli_commands_fixture.h"

namespace dbdump {
namespace {

const char* kS3[] = {"--kind=s3", "--bucket=vault", "--skip-probe"};

TEST_F(CliCommandsTest, StorageAddWithACompliancePeriod) {
  ASSERT_EQ(Run({"storage", "add", "v", kS3[0], kS3[1], kS3[2], "--object-lock=compliance",
                 "--object-lock-retain=30d"}),
            0)
      << err_.str();
  const v1::ObjectLock& lock = fake_.add_storage.storage().object_lock();
  EXPECT_EQ(lock.mode(), v1::OBJECT_LOCK_MODE_COMPLIANCE);
  EXPECT_EQ(lock.retain_s(), 30u * 86400);
  EXPECT_FALSE(lock.until_retention());
}

TEST_F(CliCommandsTest, StorageAddLockedUntilRetention) {
  ASSERT_EQ(Run({"storage", "add", "v", kS3[0], kS3[1], kS3[2], "--object-lock=governance",
                 "--object-lock-until-retention"}),
            0)
      << err_.str();
  const v1::ObjectLock& lock = fake_.add_storage.storage().object_lock();
  EXPECT_EQ(lock.mode(), v1::OBJECT_LOCK_MODE_GOVERNANCE);
  EXPECT_EQ(lock.retain_s(), 0u);
  EXPECT_TRUE(lock.until_retention());
}

TEST_F(CliCommandsTest, IncompleteOrMisplacedLockFlagsAreRefusedBeforeAnyCall) {
  struct Case {
    std::vector<std::string> extra;
    std::string says;
  } cases[] = {
      {{"--object-lock=compliance"}, "needs a period"},
      {{"--object-lock=forever", "--object-lock-retain=1d"}, "must be governance, compliance or none"},
      {{"--object-lock-retain=1d"}, "needs --object-lock=governance"},
      {{"--object-lock=governance", "--object-lock-retain=soon"}, "is not a duration"},
      {{"--object-lock=none", "--object-lock-retain=1d"}, "takes neither"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"storage", "add", "v", kS3[0], kS3[1], kS3[2]};
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    EXPECT_EQ(Run(args), 2) << c.says;
    EXPECT_NE(err_.str().find(c.says), std::string::npos) << err_.str();
    EXPECT_EQ(fake_.add_storage.storage().name(), "") << "the controller was called";
  }
  EXPECT_EQ(Run({"storage", "add", "l", "--kind=local", "--path=/srv/b", "--object-lock=compliance",
                 "--object-lock-retain=1d"}),
            2);
  EXPECT_NE(err_.str().find("--object-lock is for s3 storage"), std::string::npos) << err_.str();
}

TEST_F(CliCommandsTest, StorageUpdateReplacesTheWholeLock) {
  ASSERT_EQ(Run({"storage", "update", "v", "--object-lock=compliance", "--object-lock-retain=7d",
                 "--skip-probe"}),
            0)
      << err_.str();
  ASSERT_EQ(fake_.update_storage.update_mask().paths_size(), 1);
  EXPECT_EQ(fake_.update_storage.update_mask().paths(0), "object_lock");
  EXPECT_EQ(fake_.update_storage.storage().object_lock().retain_s(), 7u * 86400);
  ASSERT_EQ(Run({"storage", "update", "v", "--object-lock=none", "--skip-probe"}), 0) << err_.str();
  EXPECT_EQ(fake_.update_storage.update_mask().paths(0), "object_lock");
  EXPECT_FALSE(fake_.update_storage.storage().has_object_lock());
}

TEST_F(CliCommandsTest, StorageListTellsTheLockWhereThereIsOne) {
  v1::StorageDestination* plain = fake_.storages.add_storages();
  plain->set_name("disk");
  plain->set_kind(v1::STORAGE_KIND_LOCAL);
  plain->set_path("/srv/backups");
  ASSERT_EQ(Run({"storage", "list"}), 0) << err_.str();
  EXPECT_EQ(out_.str().find("OBJECT LOCK"), std::string::npos) << "no lock, no column";
  v1::StorageDestination* vault = fake_.storages.add_storages();
  vault->set_name("vault");
  vault->set_kind(v1::STORAGE_KIND_S3);
  vault->set_bucket("locked");
  vault->mutable_object_lock()->set_mode(v1::OBJECT_LOCK_MODE_COMPLIANCE);
  vault->mutable_object_lock()->set_retain_s(30 * 86400);
  ASSERT_EQ(Run({"storage", "list"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("OBJECT LOCK"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("compliance for 30d"), std::string::npos) << out_.str();
}

TEST_F(CliCommandsTest, BackupShowTellsTheLock) {
  v1::Backup* b = fake_.backups.add_backups();
  b->set_id("20260115T020000Z-0000000a");
  b->set_database("orders");
  b->set_state(v1::BACKUP_STATE_COMPLETED);
  b->set_locked_until("2026-02-14T02:00:00Z");
  b->set_lock_mode(v1::OBJECT_LOCK_MODE_COMPLIANCE);
  ASSERT_EQ(Run({"backup", "show", "20260115T020000Z-0000000a"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("locked (compliance) until 2026-02-14T02:00:00Z"), std::string::npos)
      << out_.str();
  b->set_locked_until("2026-01-01T00:00:00Z");  // before the fixture's now
  ASSERT_EQ(Run({"backup", "show", "20260115T020000Z-0000000a"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("was locked (compliance) until 2026-01-01T00:00:00Z; may be deleted now"),
            std::string::npos)
      << out_.str();
}

}  // namespace
}  // namespace dbdump
