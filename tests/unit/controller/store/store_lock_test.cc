// Store: one controller per store file, and the files private to their owner.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "controller/store/store.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

class StoreLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-lock.XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/c.db";
  }
  void TearDown() override { fs::remove_all(dir_); }
  static int Mode(const std::string& path) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return -1;
    return st.st_mode & 0777;
  }
  std::string dir_, path_;
};

TEST_F(StoreLockTest, SecondOpenOfTheSameStoreIsRefusedUntilTheFirstCloses) {
  absl::StatusOr<std::unique_ptr<Store>> first = Store::Open(path_);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::unique_ptr<Store>> second = Store::Open(path_);
  EXPECT_TRUE(absl::IsFailedPrecondition(second.status())) << second.status();
  EXPECT_EQ(second.status().message(),
            absl::StrCat("the store ", path_, " is in use by another dbdump-controller (pid ",
                         getpid(), "); stop it or use another --store"));
  EXPECT_EQ(Mode(path_ + ".lock"), 0600);

  first->reset();
  second = Store::Open(path_);
  EXPECT_TRUE(second.ok()) << second.status();
}

TEST_F(StoreLockTest, CreatesTheDatabaseFilesPrivate) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(Mode(path_), 0600);
  // WAL mode: written by the migrations.
  EXPECT_EQ(Mode(path_ + "-wal"), 0600);
  EXPECT_EQ(Mode(path_ + "-shm"), 0600);
}

TEST_F(StoreLockTest, TightensAnExistingWideDatabaseFile) {
  ASSERT_TRUE(Store::Open(path_).ok());  // a valid store, then closed
  ASSERT_EQ(chmod(path_.c_str(), 0644), 0);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(Mode(path_), 0600);
}

TEST_F(StoreLockTest, TightensAnEmptyFileCreatedWide) {
  std::ofstream(path_).close();
  ASSERT_EQ(chmod(path_.c_str(), 0644), 0);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(Mode(path_), 0600);
  EXPECT_EQ((*store)->schema_version(), Store::latest_schema_version());
}

// Opening the store must leave SQLite's own locks in place: another process
// (here the sqlite3 shell) writing beside the controller must see it open and
// keep the WAL, and the controller must read what it wrote. Closing any
// descriptor of the database file after SQLite opened it would drop those
// POSIX locks; the shell would then check-point and delete the WAL under the
// controller's feet.
TEST_F(StoreLockTest, AnotherProcessWritingBesideTheStoreIsSeen) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status();
  v1::Agent agent;
  agent.set_name("db1");
  agent.set_address("127.0.0.1:1");
  ASSERT_TRUE((*store)->UpsertAgent(agent, absl::UnixEpoch()).ok());
  std::string cmd = absl::StrCat("sqlite3 ", path_,
                                 " \"UPDATE agents SET address = '127.0.0.1:2' WHERE name = 'db1'\"");
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_TRUE(fs::exists(path_ + "-wal")) << "the shell took the store for unused";
  absl::StatusOr<v1::Agent> read = (*store)->GetAgent("db1");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->address(), "127.0.0.1:2");
}

}  // namespace
}  // namespace dbdump
