// StoreProbe: readiness follows the store file the controller has open.
#include "controller/store/store_probe.h"

#include <filesystem>

#include "controller/store/store.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

class StoreProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-probe.XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/c.db";
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  std::string dir_, path_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreProbeTest, OkWhileThePathNamesTheOpenFile) {
  StoreProbe probe(store_.get(), path_);
  EXPECT_TRUE(probe.Check().ok()) << probe.Check();
}

// SQLite goes on working on the moved file; the probe must not.
TEST_F(StoreProbeTest, UnavailableWhileTheFileIsMovedAwayAndOkWhenItIsBack) {
  StoreProbe probe(store_.get(), path_);
  fs::rename(path_, path_ + ".moved");
  absl::Status gone = probe.Check();
  EXPECT_TRUE(absl::IsUnavailable(gone)) << gone;
  EXPECT_NE(gone.message().find("is gone"), std::string::npos) << gone;
  fs::rename(path_ + ".moved", path_);
  EXPECT_TRUE(probe.Check().ok()) << probe.Check();
}

TEST_F(StoreProbeTest, UnavailableWhenAnotherFileTookItsPlace) {
  StoreProbe probe(store_.get(), path_);
  fs::rename(path_, path_ + ".old");
  fs::copy_file(path_ + ".old", path_);
  absl::Status replaced = probe.Check();
  EXPECT_TRUE(absl::IsUnavailable(replaced)) << replaced;
  EXPECT_NE(replaced.message().find("replaced"), std::string::npos) << replaced;
}

}  // namespace
}  // namespace dbdump
