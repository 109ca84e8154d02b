#include "common/storage/local_storage.h"

#include <filesystem>

#include "common/storage/backup_layout.h"
#include "common/base/names.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

class LocalStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-ls.XXXXXX";
    root_ = mkdtemp(tmpl);
    storage_ = *LocalStorage::Open(root_ + "/store");
  }
  void TearDown() override { fs::remove_all(root_); }
  // Every file under the store, partial ones included.
  std::vector<std::string> Files() {
    std::vector<std::string> out;
    for (auto& e : fs::recursive_directory_iterator(root_ + "/store")) {
      if (e.is_regular_file()) out.push_back(fs::relative(e.path(), root_ + "/store").string());
    }
    return out;
  }
  std::string root_;
  std::unique_ptr<LocalStorage> storage_;
};

TEST_F(LocalStorageTest, ObjectAppearsOnlyAfterFinish) {
  auto w = storage_->NewWriter("db/1/dump.zst");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write("hello", 5).ok());
  EXPECT_TRUE(absl::IsNotFound(storage_->Stat("db/1/dump.zst").status()));
  EXPECT_TRUE(storage_->List("").value().empty());
  ASSERT_TRUE((*w)->Finish().ok());
  EXPECT_EQ(storage_->Stat("db/1/dump.zst")->size_bytes, 5u);
  EXPECT_EQ(*ReadSmallObject(storage_.get(), "db/1/dump.zst", 100), "hello");
  EXPECT_EQ(Files(), std::vector<std::string>{"db/1/dump.zst"});
}

TEST_F(LocalStorageTest, AbortAndDestructionLeaveNothing) {
  {
    auto w = storage_->NewWriter("db/1/a");
    ASSERT_TRUE((*w)->Write("x", 1).ok());
    (*w)->Abort();
  }
  {
    auto w = storage_->NewWriter("db/1/b");
    ASSERT_TRUE((*w)->Write("x", 1).ok());
  }  // destroyed unfinished
  EXPECT_TRUE(Files().empty());
}

TEST_F(LocalStorageTest, RejectsEscapingKeysAndRoots) {
  for (std::string key : {"../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", ""}) {
    EXPECT_TRUE(absl::IsInvalidArgument(storage_->NewWriter(key).status())) << key;
    EXPECT_TRUE(absl::IsInvalidArgument(storage_->NewReader(key).status())) << key;
  }
  EXPECT_FALSE(LocalStorage::Open("relative/dir").ok());
  EXPECT_FALSE(LocalStorage::Open("/tmp/../etc").ok());
  EXPECT_FALSE(fs::exists("/tmp/../etc/dump"));
}

TEST_F(LocalStorageTest, ListSortsAndFiltersByPrefix) {
  for (std::string k : {"b/2", "a/1", "a/3", "c"}) ASSERT_TRUE(WriteSmallObject(storage_.get(), k, k).ok());
  auto all = storage_->List("a/");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].key, "a/1");
  EXPECT_EQ((*all)[1].key, "a/3");
  ASSERT_TRUE(storage_->Remove("a/1").ok());
  ASSERT_TRUE(storage_->Remove("a/1").ok());  // absent is fine
  EXPECT_EQ(storage_->List("a/")->size(), 1u);
}

TEST_F(LocalStorageTest, ManifestRoundTripAndListing) {
  v1::Manifest m;
  m.set_backup_id("20260101T000000Z-00000001");
  m.set_database("orders");
  m.set_dump_object("dump.pgdump.zst");
  m.set_stored_sha256(std::string(64, 'a'));
  m.set_raw_size_bytes(123456789012ull);
  m.set_engine(v1::ENGINE_POSTGRES);
  ASSERT_TRUE(WriteSmallObject(storage_.get(), ManifestKey("pre", "orders", m.backup_id()),
                               ManifestToJson(m))
                  .ok());
  // A dump without manifest is not a backup.
  ASSERT_TRUE(WriteSmallObject(storage_.get(), "pre/orders/20260102T000000Z-00000002/dump.pgdump.zst", "x").ok());
  // A broken manifest is reported, not fatal.
  ASSERT_TRUE(WriteSmallObject(storage_.get(), "pre/orders/20260103T000000Z-00000003/manifest.json", "{").ok());
  std::vector<std::string> problems;
  auto list = ListManifests(storage_.get(), "pre", "orders", &problems);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].raw_size_bytes(), 123456789012ull);
  EXPECT_EQ((*list)[0].engine(), v1::ENGINE_POSTGRES);
  EXPECT_EQ(problems.size(), 1u);
  EXPECT_TRUE(absl::IsNotFound(
      ReadManifest(storage_.get(), "pre", "orders", "20260102T000000Z-00000002").status()));
}

TEST(NamesTest, ResourceNames) {
  for (std::string ok : {"orders", "orders-prod_1", "a.b", "7x"}) {
    EXPECT_TRUE(ValidateResourceName("database name", ok).ok()) << ok;
  }
  for (std::string bad : std::vector<std::string>{"", "../x", "-rf", "a/b", "a b", ".hidden", "a..b", std::string(64, 'a'),
                          "x;id", "--file=/tmp/x"}) {
    absl::Status s = ValidateResourceName("database name", bad);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << bad;
  }
  EXPECT_TRUE(ValidatePgDatabaseName("a b'c").ok());
  EXPECT_TRUE(ValidatePgDatabaseName("--file=/tmp/x").ok());  // legal name, passed as data
  EXPECT_FALSE(ValidatePgDatabaseName(std::string(64, 'x')).ok());
  EXPECT_FALSE(ValidatePgDatabaseName("").ok());
}

TEST(NamesTest, BackupIdsSortByTime) {
  std::string a = NewBackupId(absl::FromUnixSeconds(1700000000));
  std::string b = NewBackupId(absl::FromUnixSeconds(1700000001));
  EXPECT_LT(a, b);
  EXPECT_EQ(a.substr(0, 16), "20231114T221320Z");
  EXPECT_TRUE(ValidateId("backup id", a).ok());
  EXPECT_EQ(TimeFromString(TimeToString(absl::FromUnixSeconds(1700000000))),
            absl::FromUnixSeconds(1700000000));
}

}  // namespace
}  // namespace dbdump
