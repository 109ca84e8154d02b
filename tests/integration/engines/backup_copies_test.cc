// Copy destinations through the agent's JobRunner with a real SQLite
// database and the local storage driver: one pass writes the primary and a
// copy with identical objects and manifests, a copy destination that cannot
// be written fails alone (the backup commits, the copy's outcome says why,
// nothing of it is left); a copy job copies a committed backup checking it,
// is a no-op where the copy is already committed, and refuses a corrupted
// primary object without leaving anything at the destination.
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "agent/job_tracker.h"
#include "common/base/names.h"
#include "common/engines/job_runner.h"
#include "common/engines/sqlite/sqlite_engine.h"
#include "common/storage/backup_layout.h"
#include "gtest/gtest.h"
#include "tests/fixtures/postgres_server.h"  // MakeTempDir
#include "tests/fixtures/sqlite_backup_job.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;
using testing::MakeTempDir;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class BackupCopiesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("dbdump-copies");
    fs::create_directories(dir_ + "/work");
    opts_ = {"agent-test", dir_ + "/work", 64 << 10, 4, 1};
    std::string path = dir_ + "/app.db";
    ASSERT_EQ(testing::RunSqlite(path,
                                 "CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB);"
                                 "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                                 "WHERE x < 2000) INSERT INTO t SELECT x, randomblob(1000) FROM c;"),
              "");
    job_ = testing::SqliteBackupJob("app", path, Local("primary"));
  }
  void TearDown() override { fs::remove_all(dir_); }
  v1::StorageDestination Local(const std::string& name) {
    v1::StorageDestination s;
    s.set_name(name);
    s.set_kind(v1::STORAGE_KIND_LOCAL);
    s.set_path(dir_ + "/" + name);
    return s;
  }
  std::string Dir(const std::string& storage) const {
    return dir_ + "/" + storage + "/app/" + job_.backup_id();
  }
  absl::StatusOr<v1::Manifest> Backup(std::vector<v1::CopyResult>* copies) {
    JobTracker t(job_.job_id());
    return JobRunner(opts_).Backup(job_, &engine_, &t, copies);
  }
  absl::StatusOr<v1::CopyResult> Copy(const std::string& to) {
    v1::CopyJob c;
    c.set_job_id(NewJobId(absl::Now()));
    c.set_backup_id(job_.backup_id());
    c.set_database("app");
    *c.mutable_source() = job_.storage();
    *c.mutable_destination() = Local(to);
    JobTracker t(c.job_id());
    return JobRunner(opts_).Copy(c, &t);
  }

  std::string dir_;
  JobRunnerOptions opts_;
  SqliteEngine engine_;
  v1::BackupJob job_;
};

TEST_F(BackupCopiesTest, OnePassWritesEveryDestinationAndAFailedCopyFailsAlone) {
  *job_.add_copies() = Local("copy-a");
  // A destination whose directory is a file: nothing can be written there.
  std::ofstream(dir_ + "/blocked") << "not a directory";
  v1::StorageDestination blocked = Local("blocked");
  blocked.set_path(dir_ + "/blocked/store");
  *job_.add_copies() = blocked;
  std::vector<v1::CopyResult> copies;
  absl::StatusOr<v1::Manifest> m = Backup(&copies);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(copies.size(), 2u);
  EXPECT_EQ(copies[0].storage(), "copy-a");
  EXPECT_TRUE(copies[0].committed()) << copies[0].error();
  EXPECT_EQ(copies[0].stored_sha256(), m->stored_sha256());
  EXPECT_EQ(copies[1].storage(), "blocked");
  EXPECT_FALSE(copies[1].committed());
  EXPECT_FALSE(copies[1].error().empty());
  // The same stored bytes and the same manifest in both destinations.
  std::string dump = ReadFile(Dir("primary") + "/" + m->dump_object());
  EXPECT_FALSE(dump.empty());
  EXPECT_EQ(ReadFile(Dir("copy-a") + "/" + m->dump_object()), dump);
  EXPECT_EQ(ReadFile(Dir("copy-a") + "/manifest.json"), ReadFile(Dir("primary") + "/manifest.json"));
  EXPECT_FALSE(fs::exists(dir_ + "/blocked/store"));
}

TEST_F(BackupCopiesTest, CopyJobCopiesChecksAndIsANoOpWhereCommitted) {
  absl::StatusOr<v1::Manifest> m = Backup(nullptr);
  ASSERT_TRUE(m.ok()) << m.status();
  absl::StatusOr<v1::CopyResult> r = Copy("later");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->committed());
  EXPECT_EQ(ReadFile(Dir("later") + "/" + m->dump_object()),
            ReadFile(Dir("primary") + "/" + m->dump_object()));
  ASSERT_TRUE(fs::exists(Dir("later") + "/manifest.json"));
  // Again: already committed there, nothing is written.
  auto before = fs::last_write_time(Dir("later") + "/" + m->dump_object());
  absl::StatusOr<v1::CopyResult> again = Copy("later");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->committed());
  EXPECT_EQ(fs::last_write_time(Dir("later") + "/" + m->dump_object()), before);
}

TEST_F(BackupCopiesTest, CopyJobRefusesACorruptedPrimaryObject) {
  absl::StatusOr<v1::Manifest> m = Backup(nullptr);
  ASSERT_TRUE(m.ok()) << m.status();
  std::string path = Dir("primary") + "/" + m->dump_object();
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(100);
    char c = 0;
    f.read(&c, 1);
    f.seekp(100);
    c = static_cast<char>(c ^ 0x5a);
    f.write(&c, 1);
  }
  absl::StatusOr<v1::CopyResult> r = Copy("later");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsDataLoss(r.status())) << r.status();
  EXPECT_NE(r.status().message().find("stored sha256"), std::string::npos) << r.status();
  EXPECT_TRUE(!fs::exists(Dir("later")) || fs::is_empty(Dir("later")))
      << "objects of a refused copy were left";
}

}  // namespace
}  // namespace dbdump
