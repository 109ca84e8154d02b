// S3 Object Lock against moto (SigV4 verified), with the aws CLI as the
// independent reader: objects written through a locked destination carry
// the lock (single PUT, multipart, and every object of a real SQLite backup
// run by JobRunner, with one date); the server refuses to delete a locked
// version (compliance even with the governance bypass, governance only
// without it); dbdump's own delete says why; once the date passed every
// version goes; a bucket without Object Lock is refused in one line.
//
// moto 5.2.1 facts this relies on, checked by hand: it enforces the lock on
// DELETE ?versionId (AccessDenied) and the governance bypass header; it
// ignores the lock headers of CreateMultipartUpload (dbdump then sets the
// retention with PutObjectRetention, which it honours); GetObjectRetention
// answers 500, so the lock is read with head-object.
#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/job_tracker.h"
#include "common/base/names.h"
#include "common/engines/job_runner.h"
#include "common/engines/sqlite/sqlite_engine.h"
#include "common/storage/backup_layout.h"
#include "common/storage/object_lock.h"
#include "common/storage/s3_storage.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_s3_metrics.h"
#include "tests/fixtures/postgres_server.h"  // MakeTempDir
#include "tests/fixtures/s3_server.h"
#include "tests/fixtures/sqlite_backup_job.h"
#include "tests/fixtures/test_data.h"

namespace dbdump {
namespace {
using testing::S3Server;

constexpr char kLockedBucket[] = "dbdump-locked";

struct Shell {
  int rc = -1;
  std::string out;  // stdout and stderr
};

class S3ObjectLockTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Counts the requests of the clients this suite opens.
    metrics_ = new FakeS3Metrics();
    SetDefaultS3Metrics(metrics_);
    auto s = S3Server::Start("moto");
    if (!s.ok()) {
      start_error_ = s.status().ToString();
      return;
    }
    server_ = s->release();
    Shell made = Aws(absl::StrCat("s3api create-bucket --bucket ", kLockedBucket,
                                  " --object-lock-enabled-for-bucket"));
    if (made.rc != 0) start_error_ = "cannot create the locked bucket: " + made.out;
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    SetDefaultS3Metrics(nullptr);
    delete metrics_;
    metrics_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr) << "moto did not start: " << start_error_;
    ASSERT_EQ(start_error_, "");
    prefix_ = absl::StrCat("t", ++counter_);
  }

  // The aws CLI against the server, with the fixture's credentials file.
  static Shell Aws(const std::string& args) {
    std::string cmd = absl::StrCat("AWS_SHARED_CREDENTIALS_FILE='", server_->credentials_file(),
                                   "' AWS_DEFAULT_REGION=us-east-1 AWS_MAX_ATTEMPTS=1 aws --endpoint-url ",
                                   server_->endpoint(), " ", args, " 2>&1");
    Shell r;
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    r.rc = pclose(p);
    return r;
  }
  // "MODE UNTIL" of the current version of `key` as head-object reports it.
  static std::string LockOf(const std::string& key) {
    Shell r = Aws(absl::StrCat("s3api head-object --bucket ", kLockedBucket, " --key ", key,
                               " --query '[ObjectLockMode,ObjectLockRetainUntilDate]' --output text"));
    while (!r.out.empty() && (r.out.back() == '\n' || r.out.back() == ' ')) r.out.pop_back();
    return r.rc == 0 ? r.out : "ERROR " + r.out;
  }
  static std::string VersionOf(const std::string& key) {
    Shell r = Aws(absl::StrCat("s3api list-object-versions --bucket ", kLockedBucket, " --prefix ",
                               key, " --query 'Versions[0].VersionId' --output text"));
    while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
    return r.out;
  }
  // aws s3api delete-object of one version, with the governance bypass or not.
  static Shell DeleteVersion(const std::string& key, bool bypass) {
    return Aws(absl::StrCat("s3api delete-object --bucket ", kLockedBucket, " --key ", key,
                            " --version-id ", VersionOf(key),
                            bypass ? " --bypass-governance-retention" : ""));
  }
  // How many versions and delete markers of exactly `key` there are.
  static std::string VersionsLeft(const std::string& key) {
    Shell r = Aws(absl::StrCat("s3api list-object-versions --bucket ", kLockedBucket, " --prefix ", key,
                               " --query '[Versions[?Key==`", key, "`].VersionId, DeleteMarkers[?Key==`",
                               key, "`].VersionId][]' --output text"));
    if (r.rc != 0) return "ERROR " + r.out;
    int n = 0;
    for (absl::string_view word : absl::StrSplit(r.out, absl::ByAnyChar(" \t\n"), absl::SkipEmpty())) {
      if (word != "None") ++n;
    }
    return absl::StrCat(n);
  }

  v1::StorageDestination Locked(v1::ObjectLockMode mode) const {
    v1::StorageDestination d = server_->Destination(prefix_);
    d.set_bucket(kLockedBucket);
    d.mutable_object_lock()->set_mode(mode);
    d.mutable_object_lock()->set_retain_s(3600);
    return d;
  }
  static absl::Status Put(Storage* s, const std::string& key, const std::string& data) {
    auto w = s->NewWriter(key);
    if (!w.ok()) return w.status();
    for (size_t off = 0; off < data.size(); off += 1 << 20) {
      absl::Status st = (*w)->Write(data.data() + off, std::min<size_t>(1 << 20, data.size() - off));
      if (!st.ok()) return st;
    }
    return (*w)->Finish();
  }
  // Whole seconds, as S3 keeps them.
  static absl::Time WholeSeconds(absl::Time t) { return absl::FromUnixSeconds(absl::ToUnixSeconds(t)); }
  static absl::Time InAnHour() { return WholeSeconds(absl::Now() + absl::Hours(1)); }

  static S3Server* server_;
  static FakeS3Metrics* metrics_;
  static std::string start_error_;
  static int counter_;
  std::string prefix_;
};
S3Server* S3ObjectLockTest::server_ = nullptr;
FakeS3Metrics* S3ObjectLockTest::metrics_ = nullptr;
std::string S3ObjectLockTest::start_error_;
int S3ObjectLockTest::counter_ = 0;

TEST_F(S3ObjectLockTest, ABucketWithoutObjectLockIsRefusedInOneLine) {
  v1::StorageDestination plain = Locked(v1::OBJECT_LOCK_MODE_COMPLIANCE);
  plain.set_bucket("dbdump-test");  // the fixture's bucket: no Object Lock
  auto s3 = OpenS3Storage(plain);
  ASSERT_TRUE(s3.ok()) << s3.status();
  absl::Status refused = CheckBucketObjectLock((*s3)->client(), plain);
  EXPECT_TRUE(absl::IsFailedPrecondition(refused)) << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(),
                                "bucket \"dbdump-test\" does not have S3 Object Lock enabled"))
      << refused;
  EXPECT_FALSE(absl::StrContains(refused.message(), "\n")) << refused;

  auto locked = OpenS3Storage(Locked(v1::OBJECT_LOCK_MODE_COMPLIANCE));
  ASSERT_TRUE(locked.ok()) << locked.status();
  EXPECT_TRUE(CheckBucketObjectLock((*locked)->client(), Locked(v1::OBJECT_LOCK_MODE_COMPLIANCE)).ok());

  // Written with lock headers anyway (the check skipped): the server's
  // refusal is worded the same way.
  auto writer = OpenS3Storage(plain, InAnHour());
  ASSERT_TRUE(writer.ok()) << writer.status();
  absl::Status put = Put(writer->get(), prefix_ + "/x", "data");
  EXPECT_TRUE(absl::IsFailedPrecondition(put)) << put;
  EXPECT_TRUE(absl::StrContains(put.message(), "does not have Object Lock enabled")) << put;
}

TEST_F(S3ObjectLockTest, ACompliancePutIsLockedAndNoOneDeletesIt) {
  absl::Time until = InAnHour();
  auto s = OpenS3Storage(Locked(v1::OBJECT_LOCK_MODE_COMPLIANCE), until);
  ASSERT_TRUE(s.ok()) << s.status();
  std::string key = prefix_ + "/small";
  uint64_t retention_set = metrics_->requested("PutObjectRetention");
  ASSERT_TRUE(Put(s->get(), key, "a small dump").ok());
  EXPECT_EQ(LockOf(key), absl::StrCat("COMPLIANCE\t", TimeToString(until)));
  EXPECT_EQ(metrics_->requested("PutObjectRetention"), retention_set)
      << "the PUT itself carried the lock: no retention had to be set afterwards";

  Shell del = DeleteVersion(key, false);
  EXPECT_NE(del.rc, 0);
  EXPECT_TRUE(absl::StrContains(del.out, "AccessDenied")) << del.out;
  Shell bypass = DeleteVersion(key, true);
  EXPECT_NE(bypass.rc, 0) << "compliance yields to no bypass";
  EXPECT_TRUE(absl::StrContains(bypass.out, "AccessDenied")) << bypass.out;

  absl::Status removed = (*s)->Remove(key);
  EXPECT_TRUE(absl::IsPermissionDenied(removed)) << removed;
  EXPECT_TRUE(absl::StrContains(removed.message(), absl::StrCat("S3 Object Lock keeps it (COMPLIANCE until ",
                                                                TimeToString(until), ")")))
      << removed;
  EXPECT_EQ(VersionsLeft(key), "1") << "nothing deleted, no delete marker added";
  EXPECT_TRUE((*s)->Stat(key).ok());
}

TEST_F(S3ObjectLockTest, GovernanceYieldsOnlyToTheBypass) {
  auto s = OpenS3Storage(Locked(v1::OBJECT_LOCK_MODE_GOVERNANCE), InAnHour());
  ASSERT_TRUE(s.ok()) << s.status();
  std::string key = prefix_ + "/gov";
  ASSERT_TRUE(Put(s->get(), key, "governed").ok());
  EXPECT_TRUE(absl::StartsWith(LockOf(key), "GOVERNANCE\t")) << LockOf(key);
  Shell del = DeleteVersion(key, false);
  EXPECT_NE(del.rc, 0);
  EXPECT_TRUE(absl::StrContains(del.out, "AccessDenied")) << del.out;
  Shell bypass = DeleteVersion(key, true);
  EXPECT_EQ(bypass.rc, 0) << bypass.out;
  EXPECT_EQ(VersionsLeft(key), "0");
}

TEST_F(S3ObjectLockTest, AMultipartUploadIsLocked) {
  absl::Time until = InAnHour();
  auto s = OpenS3Storage(Locked(v1::OBJECT_LOCK_MODE_COMPLIANCE), until);
  ASSERT_TRUE(s.ok()) << s.status();
  std::string key = prefix_ + "/big";
  std::string data = testing::RandomBytes((11 << 20) + 777, 13);  // three 5 MiB parts
  uint64_t created = metrics_->requested("CreateMultipartUpload");
  ASSERT_TRUE(Put(s->get(), key, data).ok());
  EXPECT_EQ(metrics_->requested("CreateMultipartUpload"), created + 1)
      << "moto accepted the upload started with the lock headers";
  EXPECT_EQ(LockOf(key), absl::StrCat("COMPLIANCE\t", TimeToString(until)));
  EXPECT_EQ((*s)->Stat(key)->size_bytes, data.size());
  auto uploads = (*s)->client()->ListMultipartUploads(prefix_);
  ASSERT_TRUE(uploads.ok()) << uploads.status();
  EXPECT_TRUE(uploads->empty());
}

TEST_F(S3ObjectLockTest, OnceTheDatePassedRemoveDeletesEveryVersion) {
  absl::Time until = WholeSeconds(absl::Now()) + absl::Seconds(2);
  auto s = OpenS3Storage(Locked(v1::OBJECT_LOCK_MODE_COMPLIANCE), until);
  ASSERT_TRUE(s.ok()) << s.status();
  std::string key = prefix_ + "/short";
  ASSERT_TRUE(Put(s->get(), key, "first").ok());
  ASSERT_TRUE(Put(s->get(), key, "second").ok());
  EXPECT_EQ(VersionsLeft(key), "2");
  absl::SleepFor(until - absl::Now() + absl::Milliseconds(1100));
  absl::Status removed = (*s)->Remove(key);
  ASSERT_TRUE(removed.ok()) << removed;
  EXPECT_EQ(VersionsLeft(key), "0") << "a plain DELETE would leave both versions and a marker";
  EXPECT_TRUE(absl::IsNotFound((*s)->Stat(key).status()));
  EXPECT_TRUE((*s)->Remove(key).ok()) << "removing an absent object succeeds";
}

TEST_F(S3ObjectLockTest, ABackupRunLocksEveryObjectWithOneDate) {
  std::string dir = testing::MakeTempDir("dbdump-lock");
  std::string path = dir + "/app.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t(v TEXT); INSERT INTO t VALUES ('locked away');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  v1::BackupJob job = testing::SqliteBackupJob("app", path, Locked(v1::OBJECT_LOCK_MODE_GOVERNANCE));
  // The controller's date for this destination wins over the period.
  std::string until = TimeToString(WholeSeconds(absl::Now()) + absl::Hours(5));
  (*job.mutable_lock_until())[job.storage().name()] = until;
  JobRunnerOptions o;
  o.agent_name = "agent-test";
  o.work_dir = dir;
  SqliteEngine engine;
  JobTracker tracker(job.job_id());
  absl::StatusOr<v1::Manifest> m = JobRunner(o).Backup(job, &engine, &tracker);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->locked_until(), until);
  EXPECT_EQ(m->lock_mode(), v1::OBJECT_LOCK_MODE_GOVERNANCE);
  std::string backup_dir = BackupDir(prefix_, "app", job.backup_id());
  EXPECT_EQ(LockOf(absl::StrCat(backup_dir, "/", m->dump_object())), "GOVERNANCE\t" + until);
  EXPECT_EQ(LockOf(ManifestKey(prefix_, "app", job.backup_id())), "GOVERNANCE\t" + until);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dbdump
