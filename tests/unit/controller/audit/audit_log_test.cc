// AuditLog: appends, the mirror file, and Verify finding what was tampered
// with in the store (through sqlite3 directly) or in the mirror.
#include "controller/audit/audit_log.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "controller/audit/audit_hash.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-audit.XXXXXX";
    dir_ = mkdtemp(tmpl);
    db_path_ = dir_ + "/c.db";
    mirror_path_ = dir_ + "/audit.jsonl";
    store_ = *Store::Open(db_path_, &clock_);
    log_ = std::make_unique<AuditLog>(store_.get(), mirror_path_, &clock_);
    ASSERT_TRUE(log_->Open().ok());
  }
  void TearDown() override {
    log_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }
  void AppendMany(int n) {
    for (int i = 1; i <= n; ++i) {
      clock_.Advance(absl::Milliseconds(1500));
      AuditEntry e;
      e.at = clock_.Now();
      e.actor = "token:ci";
      e.peer = "ipv4:127.0.0.1:5000";
      e.rpc = "dbdump.v1.DatabaseService/CreateDatabase";
      e.target = absl::StrCat("db-", i);
      e.outcome = "ok";
      absl::StatusOr<AuditEntry> stored = log_->Append(e);
      ASSERT_TRUE(stored.ok()) << stored.status();
      ASSERT_EQ(stored->seq, i);
    }
  }
  // Runs `sql` on the store's file through a connection of its own.
  void Tamper(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path_.c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << msg;
  }
  std::vector<std::string> MirrorLines() {
    std::ifstream in(mirror_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return absl::StrSplit(ss.str(), '\n', absl::SkipEmpty());
  }
  void WriteMirror(const std::vector<std::string>& lines) {
    std::ofstream out(mirror_path_, std::ios::trunc);
    for (const std::string& l : lines) out << l << "\n";
  }
  AuditLog::VerifyReport Verify() {
    absl::StatusOr<AuditLog::VerifyReport> r = log_->Verify();
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : AuditLog::VerifyReport();
  }
  static std::string Problems(const AuditLog::VerifyReport& r) {
    std::string out;
    for (const AuditLog::Problem& p : r.problems) absl::StrAppend(&out, p.seq, ": ", p.what, "\n");
    return out;
  }
  static bool Names(const AuditLog::VerifyReport& r, int64_t seq, const std::string& what) {
    for (const AuditLog::Problem& p : r.problems) {
      if (p.seq == seq && p.what == what) return true;
    }
    return false;
  }

  FakeClock clock_{absl::FromUnixSeconds(1767225600)};
  std::string dir_, db_path_, mirror_path_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditLogTest, AChainOfTwentyVerifies) {
  AppendMany(20);
  AuditLog::VerifyReport r = Verify();
  EXPECT_TRUE(r.ok()) << Problems(r);
  EXPECT_EQ(r.entries, 20);
  EXPECT_EQ(MirrorLines().size(), 20u);
}

TEST_F(AuditLogTest, AnEmptyLogVerifies) {
  AuditLog::VerifyReport r = Verify();
  EXPECT_TRUE(r.ok()) << Problems(r);
  EXPECT_EQ(r.entries, 0);
}

TEST_F(AuditLogTest, MirrorIsPrivateAndHoldsEveryField) {
  AppendMany(1);
  struct stat st;
  ASSERT_EQ(stat(mirror_path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  std::vector<std::string> lines = MirrorLines();
  ASSERT_EQ(lines.size(), 1u);
  absl::StatusOr<AuditEntry> m = AuditEntryFromJson(lines[0]);
  ASSERT_TRUE(m.ok()) << m.status();
  AuditEntry s = (*store_->AuditChain(1, 1))[0];
  EXPECT_EQ(m->seq, s.seq);
  EXPECT_EQ(m->at, s.at);
  EXPECT_EQ(m->actor, s.actor);
  EXPECT_EQ(m->peer, s.peer);
  EXPECT_EQ(m->rpc, s.rpc);
  EXPECT_EQ(m->target, s.target);
  EXPECT_EQ(m->outcome, s.outcome);
  EXPECT_EQ(m->prev_hash, s.prev_hash);
  EXPECT_EQ(m->hash, s.hash);
}

TEST_F(AuditLogTest, AnEditedRowIsNamedAsChanged) {
  AppendMany(20);
  Tamper("UPDATE audit_log SET target = 'db-evil' WHERE seq = 12");
  AuditLog::VerifyReport r = Verify();
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(Names(r, 12, "entry 12 was changed: its contents do not match its hash"))
      << Problems(r);
  // The mirror still has the original.
  EXPECT_TRUE(Names(r, 12, "entry 12 was changed: the store and the mirror differ in target"))
      << Problems(r);
}

TEST_F(AuditLogTest, AnEditedAndRehashedRowBreaksTheLink) {
  AppendMany(20);
  AuditEntry e = (*store_->AuditChain(12, 1))[0];
  e.target = "db-evil";
  Tamper(absl::StrCat("UPDATE audit_log SET target = 'db-evil', hash = '", AuditEntryHash(e),
                      "' WHERE seq = 12"));
  AuditLog::VerifyReport r = Verify();
  EXPECT_FALSE(r.ok());
  bool link = false;
  for (const AuditLog::Problem& p : r.problems) link |= p.seq == 13;
  EXPECT_TRUE(link) << Problems(r);
}

TEST_F(AuditLogTest, ADeletedMiddleRowIsNamedAsMissing) {
  AppendMany(20);
  Tamper("DELETE FROM audit_log WHERE seq = 12");
  AuditLog::VerifyReport r = Verify();
  EXPECT_EQ(r.entries, 19);
  EXPECT_TRUE(Names(r, 12, "entry 12 is missing: entry 13 does not follow entry 11"))
      << Problems(r);
  EXPECT_TRUE(Names(r, 12, "entry 12 is in the mirror but not in the store (deleted)"))
      << Problems(r);
}

TEST_F(AuditLogTest, ADeletedMiddleRowIsMissingWithoutAMirror) {
  log_ = std::make_unique<AuditLog>(store_.get(), "", &clock_);
  ASSERT_TRUE(log_->Open().ok());
  AppendMany(20);
  Tamper("DELETE FROM audit_log WHERE seq IN (5, 6)");
  AuditLog::VerifyReport r = Verify();
  ASSERT_EQ(r.problems.size(), 1u) << Problems(r);
  EXPECT_TRUE(Names(r, 5, "entries 5 to 6 are missing: entry 7 does not follow entry 4"))
      << Problems(r);
}

TEST_F(AuditLogTest, ADeletedLastRowIsFoundThroughTheMirror) {
  AppendMany(20);
  Tamper("DELETE FROM audit_log WHERE seq = 20");
  AuditLog::VerifyReport r = Verify();
  ASSERT_EQ(r.problems.size(), 1u) << Problems(r);
  EXPECT_TRUE(Names(r, 20, "entry 20 is in the mirror but not in the store (deleted)"))
      << Problems(r);
}

TEST_F(AuditLogTest, AnEditedMirrorLineIsNamed) {
  AppendMany(20);
  std::vector<std::string> lines = MirrorLines();
  ASSERT_EQ(lines.size(), 20u);
  std::string edited = absl::StrReplaceAll(lines[6], {{"\"db-7\"", "\"db-other\""}});
  ASSERT_NE(edited, lines[6]);
  lines[6] = edited;
  WriteMirror(lines);
  AuditLog::VerifyReport r = Verify();
  ASSERT_EQ(r.problems.size(), 1u) << Problems(r);
  EXPECT_TRUE(Names(r, 7, "entry 7 was changed in the mirror: the store and the mirror differ in target"))
      << Problems(r);
}

TEST_F(AuditLogTest, AGarbledMirrorLineIsNamed) {
  AppendMany(3);
  std::vector<std::string> lines = MirrorLines();
  lines[1] = "{not json";
  WriteMirror(lines);
  AuditLog::VerifyReport r = Verify();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.problems[0].seq, 0) << Problems(r);
}

TEST_F(AuditLogTest, AppendsContinueTheChainAfterReopening) {
  AppendMany(3);
  log_.reset();
  store_.reset();
  store_ = *Store::Open(db_path_, &clock_);
  log_ = std::make_unique<AuditLog>(store_.get(), mirror_path_, &clock_);
  ASSERT_TRUE(log_->Open().ok());
  AuditEntry e;
  e.at = clock_.Now();
  e.rpc = "x";
  absl::StatusOr<AuditEntry> fourth = log_->Append(e);
  ASSERT_TRUE(fourth.ok()) << fourth.status();
  EXPECT_EQ(fourth->seq, 4);
  AuditLog::VerifyReport r = Verify();
  EXPECT_TRUE(r.ok()) << Problems(r);
  EXPECT_EQ(MirrorLines().size(), 4u);
}

TEST_F(AuditLogTest, AWideMirrorIsTightened) {
  log_.reset();
  ASSERT_EQ(chmod(mirror_path_.c_str(), 0644), 0);
  log_ = std::make_unique<AuditLog>(store_.get(), mirror_path_, &clock_);
  ASSERT_TRUE(log_->Open().ok());
  struct stat st;
  ASSERT_EQ(stat(mirror_path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
}

}  // namespace
}  // namespace dbdump
