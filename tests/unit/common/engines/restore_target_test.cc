#include "common/engines/restore_target.h"

#include <string>

#include "gtest/gtest.h"

namespace dbdump {
namespace {

v1::DatabaseTarget Of(v1::Engine engine) {
  v1::DatabaseTarget t;
  t.set_engine(engine);
  t.set_database("original");
  t.set_path("/srv/original.db");
  return t;
}

TEST(RestoreTargetTest, SqliteTakesAnAbsolutePathIntoPath) {
  v1::DatabaseTarget t = Of(v1::ENGINE_SQLITE);
  ASSERT_TRUE(SetRestoreTarget("/srv/restored.db", &t).ok());
  EXPECT_EQ(t.path(), "/srv/restored.db");
  EXPECT_EQ(t.database(), "original");
  for (const char* bad : {"", "restored.db", "/srv/../etc/x.db", "/srv/./x.db"}) {
    v1::DatabaseTarget u = Of(v1::ENGINE_SQLITE);
    absl::Status st = SetRestoreTarget(bad, &u);
    EXPECT_TRUE(absl::IsInvalidArgument(st)) << bad;
    EXPECT_EQ(u.path(), "/srv/original.db") << "left unchanged on error";
  }
  // The error names the target, says it must be absolute and shows one.
  EXPECT_EQ(ValidateRestoreTarget(v1::ENGINE_SQLITE, "x.db").message(),
            "sqlite restore target \"x.db\" must be an absolute file path without \".\" or "
            "\"..\" segments, such as --target=/srv/restored/app.db");
  EXPECT_EQ(ValidateRestoreTarget(v1::ENGINE_SQLITE, "").message(),
            "the sqlite restore target is empty: give the file to restore to as "
            "--target=/absolute/path.db");
}

TEST(RestoreTargetTest, PostgresNeedsADatabaseName) {
  v1::DatabaseTarget t = Of(v1::ENGINE_POSTGRES);
  ASSERT_TRUE(SetRestoreTarget("copy", &t).ok());
  EXPECT_EQ(t.database(), "copy");
  EXPECT_EQ(t.path(), "/srv/original.db");
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateRestoreTarget(v1::ENGINE_POSTGRES, "")));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateRestoreTarget(v1::ENGINE_POSTGRES, std::string(64, 'a'))));
  EXPECT_TRUE(ValidateRestoreTarget(v1::ENGINE_POSTGRES, std::string(63, 'a')).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(
      ValidateRestoreTarget(v1::ENGINE_POSTGRES, std::string("a\0b", 3))));
}

TEST(RestoreTargetTest, MysqlAndMongoTakeTheirNamesOrNoneForEveryDatabase) {
  for (v1::Engine e : {v1::ENGINE_MYSQL, v1::ENGINE_MONGODB}) {
    v1::DatabaseTarget t = Of(e);
    // Empty: a backup of every database goes back into the databases it names.
    ASSERT_TRUE(SetRestoreTarget("", &t).ok()) << v1::Engine_Name(e);
    EXPECT_EQ(t.database(), "");
    ASSERT_TRUE(SetRestoreTarget("shop_copy", &t).ok());
    EXPECT_EQ(t.database(), "shop_copy");
  }
  // Each engine's own name rule.
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateRestoreTarget(v1::ENGINE_MYSQL, "trailing ")));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateRestoreTarget(v1::ENGINE_MYSQL, std::string(65, 'a'))));
  EXPECT_TRUE(ValidateRestoreTarget(v1::ENGINE_MYSQL, "with.dot").ok());
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateRestoreTarget(v1::ENGINE_MONGODB, "with.dot")));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateRestoreTarget(v1::ENGINE_MONGODB, std::string(64, 'a'))));
}

TEST(RestoreTargetTest, AnEngineWithoutRulesIsRefused) {
  v1::DatabaseTarget t = Of(v1::ENGINE_UNSPECIFIED);
  EXPECT_TRUE(absl::IsInvalidArgument(SetRestoreTarget("x", &t)));
  EXPECT_EQ(t.database(), "original");
}

}  // namespace
}  // namespace dbdump
