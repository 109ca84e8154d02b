// JobFactory's checks of a restore request before anything is looked up or
// stored: the age identity is taken by reference only.
#include "controller/dispatch/job_factory.h"

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "controller/store/store.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

class JobFactoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-factory.XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = *Store::Open(dir_ + "/c.db");
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  std::string dir_;
  FakeClock clock_{absl::FromUnixSeconds(1767225600)};
  std::unique_ptr<Store> store_;
};

TEST_F(JobFactoryTest, AnIdentityInPlaceOfItsReferenceIsRefusedWithoutRepeatingIt) {
  JobFactory factory(store_.get(), &clock_);
  v1::StartRestoreRequest req;
  req.set_backup_id("20260101T000000Z-abcdef12");
  const std::string secret =
      "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
  req.mutable_options()->set_identity_ref(secret);
  absl::StatusOr<StoredJob> job = factory.PrepareRestore(req);
  ASSERT_FALSE(job.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(job.status())) << job.status();
  EXPECT_NE(job.status().message().find("identity_ref must be"), std::string::npos);
  EXPECT_EQ(job.status().message().find("GFPYYSJZ"), std::string::npos) << job.status();
  // A reference passes this check (and the unknown backup is what fails).
  req.mutable_options()->set_identity_ref("file:/etc/dbdump/team.key");
  job = factory.PrepareRestore(req);
  EXPECT_TRUE(absl::IsNotFound(job.status())) << job.status();
}

}  // namespace
}  // namespace dbdump
