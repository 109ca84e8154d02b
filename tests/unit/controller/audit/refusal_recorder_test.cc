// RefusalRecorder: repeated refusals of the same caller, RPC and outcome are
// written once a minute with a count; different ones each get their entry.
#include "controller/audit/refusal_recorder.h"

#include <filesystem>

#include "controller/audit/audit_log.h"
#include "controller/store/store.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

class RefusalRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-refusals.XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = *Store::Open(dir_ + "/c.db", &clock_);
    log_ = std::make_unique<AuditLog>(store_.get(), "", &clock_);
    ASSERT_TRUE(log_->Open().ok());
  }
  void TearDown() override {
    log_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }
  static AuditEntry Refused(const std::string& actor, const std::string& rpc) {
    AuditEntry e;
    e.actor = actor;
    e.rpc = rpc;
    e.outcome = "UNAUTHENTICATED";
    e.detail = "the certificate of agent db1 was revoked";
    return e;
  }
  std::vector<AuditEntry> Entries() {
    AuditFilter all;
    all.limit = 1000;
    return *store_->ListAudit(all);
  }

  FakeClock clock_{absl::FromUnixSeconds(1800000000)};
  std::string dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(RefusalRecorderTest, RepeatsWithinAMinuteAreCountedNotWritten) {
  RefusalRecorder recorder(log_.get(), &clock_);
  for (int i = 0; i < 12; ++i) {
    recorder.Record(Refused("agent:db1", "/dbdump.v1.RegistryService/Heartbeat"));
    clock_.Advance(absl::Seconds(5));
  }
  recorder.Record(Refused("agent:db1", "/dbdump.v1.RegistryService/Heartbeat"));
  // 0 s written; 5..55 s counted; 60 s written with the count.
  std::vector<AuditEntry> entries = Entries();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1].detail, "the certificate of agent db1 was revoked");
  EXPECT_EQ(entries[0].detail,
            "the certificate of agent db1 was revoked (and 11 more like it in the minute before, "
            "not recorded one by one)");
  ASSERT_TRUE(log_->Verify()->ok());
}

TEST_F(RefusalRecorderTest, OtherCallersRpcsAndOutcomesAreWrittenEachTime) {
  RefusalRecorder recorder(log_.get(), &clock_);
  recorder.Record(Refused("agent:db1", "/dbdump.v1.RegistryService/Heartbeat"));
  recorder.Record(Refused("agent:db2", "/dbdump.v1.RegistryService/Heartbeat"));
  recorder.Record(Refused("agent:db1", "/dbdump.v1.RegistryService/RegisterAgent"));
  AuditEntry denied = Refused("agent:db1", "/dbdump.v1.RegistryService/Heartbeat");
  denied.outcome = "PERMISSION_DENIED";
  recorder.Record(denied);
  EXPECT_EQ(Entries().size(), 4u);
}

}  // namespace
}  // namespace dbdump
