// The s3 verbs after the storage is open: listing manifests and restoring a
// backup on this machine, against a LocalStorage (the bucket itself is
// covered by tests/e2e/s3_backup.sh).
#include "controller/cli/bucket/stored_backups.h"

#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/engines/job_runner.h"
#include "common/engines/job_control.h"
#include "common/engines/sqlite/sqlite_engine.h"
#include "common/storage/backup_layout.h"
#include "common/storage/local_storage.h"
#include "common/base/names.h"
#include "controller/cli/args/cli_error.h"
#include "controller/cli/output/formatting.h"
#include "common/crypto/age_keys.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

v1::Manifest MakeManifest(const std::string& database, const std::string& backup_id) {
  v1::Manifest m;
  m.set_format_version(1);
  m.set_backup_id(backup_id);
  m.set_database(database);
  m.set_engine(v1::ENGINE_POSTGRES);
  m.set_compression(v1::COMPRESSION_ZSTD);
  m.set_dump_object("dump.pgdump.zst");
  m.set_raw_size_bytes(10 * 1024 * 1024);
  m.set_stored_size_bytes(2 * 1024 * 1024);
  m.set_raw_sha256(std::string(64, 'a'));
  m.set_stored_sha256("0123456789abcdef" + std::string(48, 'b'));
  m.set_finished_at("2026-01-15T02:00:09Z");
  return m;
}

class StoredBackupsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/dbdumpctl-stored.XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    fs::create_directories(dir_ + "/tmp");
    destination_.set_name("local");
    destination_.set_kind(v1::STORAGE_KIND_LOCAL);
    destination_.set_path(dir_ + "/store");
    destination_.set_prefix("nightly");
    auto storage = LocalStorage::Open(destination_.path());
    ASSERT_TRUE(storage.ok()) << storage.status();
    storage_ = *std::move(storage);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Put(const v1::Manifest& m) {
    ASSERT_TRUE(WriteSmallObject(storage_.get(),
                                 ManifestKey("nightly", m.database(), m.backup_id()),
                                 ManifestToJson(m))
                    .ok());
  }

  absl::Status List(const std::string& database, OutputFormat format) {
    out_.str("");
    err_.str("");
    StoredBackupsListing listing;
    listing.prefix = "nightly";
    listing.database = database;
    listing.format = format;
    listing.out = &out_;
    listing.err = &err_;
    return ListStoredBackups(storage_.get(), listing);
  }

  // Creates a SQLite database at `path` holding `rows` rows.
  void CreateSqlite(const std::string& path, int rows) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    // One transaction: a sync per row would make the test slow.
    std::string sql = "BEGIN; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);";
    for (int i = 0; i < rows; ++i)
      absl::StrAppend(&sql, "INSERT INTO t (v) VALUES ('row ", i, "');");
    sql += "COMMIT;";
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }

  int CountRows(const std::string& path) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return -1;
    int count = -1;
    sqlite3_exec(
        db, "SELECT count(*) FROM t",
        [](void* out, int, char** values, char**) {
          *static_cast<int*>(out) = atoi(values[0]);
          return 0;
        },
        &count, nullptr);
    sqlite3_close(db);
    return count;
  }

  // Backs up a fresh SQLite database "app" into the storage, as an agent would.
  v1::Manifest BackUpSqlite(int rows, const v1::Encryption& encryption = v1::Encryption()) {
    std::string source = dir_ + "/app.db";
    CreateSqlite(source, rows);
    v1::BackupJob job;
    job.set_job_id(NewJobId(absl::Now()));
    job.set_backup_id(NewBackupId(absl::Now()));
    job.mutable_target()->set_name("app");
    job.mutable_target()->set_engine(v1::ENGINE_SQLITE);
    job.mutable_target()->set_path(source);
    *job.mutable_target()->mutable_encryption() = encryption;
    *job.mutable_storage() = destination_;
    fs::create_directories(dir_ + "/agent-work");
    SqliteEngine engine;
    JobControl tracker;
    auto manifest = JobRunner({"agent-test", dir_ + "/agent-work"}).Backup(job, &engine, &tracker);
    EXPECT_TRUE(manifest.ok()) << manifest.status();
    return manifest.ok() ? *manifest : v1::Manifest();
  }

  StoredBackupRestore Restore(const std::string& backup_id, const std::string& target) {
    StoredBackupRestore r;
    r.destination = destination_;
    r.backup_id = backup_id;
    r.database = "app";
    r.target = target;
    r.source = "s3://bucket/nightly";
    r.out = &out_;
    r.now = [] { return absl::FromUnixSeconds(1768442400); };
    r.poll_interval = absl::Milliseconds(10);
    r.temp_dir = dir_ + "/tmp";
    return r;
  }

  bool ScratchLeftBehind() { return !fs::is_empty(dir_ + "/tmp"); }

  std::string dir_;
  v1::StorageDestination destination_;
  std::unique_ptr<LocalStorage> storage_;
  std::ostringstream out_, err_;
};

TEST_F(StoredBackupsTest, TableListsEveryDatabaseOldestFirst) {
  Put(MakeManifest("orders", "20260115T020000Z-0badc0de"));
  v1::Manifest app = MakeManifest("app", "20260114T020000Z-00c0ffee");
  app.set_engine(v1::ENGINE_SQLITE);
  app.set_compression(v1::COMPRESSION_GZIP);
  Put(app);
  ASSERT_TRUE(List("", OutputFormat::kTable).ok());
  EXPECT_EQ(out_.str(),
            "DATABASE  BACKUP ID                  ENGINE    STORED   RAW       RATIO  COMPRESSION  "
            "FINISHED              STORED SHA256\n"
            "app       20260114T020000Z-00c0ffee  sqlite    2.0 MiB  10.0 MiB  5.00x  gzip         "
            "2026-01-15T02:00:09Z  0123456789ab\n"
            "orders    20260115T020000Z-0badc0de  postgres  2.0 MiB  10.0 MiB  5.00x  zstd         "
            "2026-01-15T02:00:09Z  0123456789ab\n");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(StoredBackupsTest, DatabaseFilter) {
  Put(MakeManifest("orders", "20260115T020000Z-0badc0de"));
  Put(MakeManifest("app", "20260114T020000Z-00c0ffee"));
  ASSERT_TRUE(List("orders", OutputFormat::kTable).ok());
  EXPECT_NE(out_.str().find("orders"), std::string::npos) << out_.str();
  EXPECT_EQ(out_.str().find("app"), std::string::npos) << out_.str();
}

TEST_F(StoredBackupsTest, UnreadableManifestsAreWarningsInTables) {
  Put(MakeManifest("orders", "20260115T020000Z-0badc0de"));
  ASSERT_TRUE(WriteSmallObject(storage_.get(),
                               ManifestKey("nightly", "orders", "20260116T020000Z-deadbeef"),
                               "{not json")
                  .ok());
  ASSERT_TRUE(List("", OutputFormat::kTable).ok());
  EXPECT_NE(out_.str().find("20260115T020000Z-0badc0de"), std::string::npos);
  EXPECT_EQ(out_.str().find("deadbeef"), std::string::npos) << out_.str();
  EXPECT_EQ(err_.str().rfind("dbdumpctl: warning: skipped an unreadable manifest: "
                             "nightly/orders/20260116T020000Z-deadbeef/manifest.json: ",
                             0),
            0u)
      << err_.str();
}

TEST_F(StoredBackupsTest, JsonHoldsManifestsAndProblems) {
  Put(MakeManifest("orders", "20260115T020000Z-0badc0de"));
  ASSERT_TRUE(WriteSmallObject(storage_.get(),
                               ManifestKey("nightly", "orders", "20260116T020000Z-deadbeef"),
                               "{\"backup_id\": \"x\"}")
                  .ok());
  ASSERT_TRUE(List("", OutputFormat::kJson).ok());
  const std::string json = out_.str();
  EXPECT_EQ(json.rfind("{\n  \"backups\": [\n    {\n", 0), 0u) << json;
  EXPECT_NE(json.find("      \"backup_id\": \"20260115T020000Z-0badc0de\",\n"), std::string::npos)
      << json;
  EXPECT_NE(json.find("\"engine\": \"ENGINE_POSTGRES\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"raw_size_bytes\": \"10485760\""), std::string::npos) << json;
  EXPECT_NE(json.find("  \"problems\": [\n    \"nightly/orders/20260116T020000Z-deadbeef/"
                      "manifest.json: manifest is incomplete"),
            std::string::npos)
      << json;
  EXPECT_TRUE(absl::EndsWith(json, "\n  ]\n}\n")) << json;
  EXPECT_EQ(err_.str(), "");
}

TEST_F(StoredBackupsTest, JsonOfAnEmptyBucket) {
  ASSERT_TRUE(List("", OutputFormat::kJson).ok());
  EXPECT_EQ(out_.str(), "{\n  \"backups\": [],\n  \"problems\": []\n}\n");
}

TEST_F(StoredBackupsTest, RestoresASqliteBackupOnThisMachine) {
  v1::Manifest manifest = BackUpSqlite(50);
  std::string target = dir_ + "/restored.db";
  absl::Status status = RestoreStoredBackup(storage_.get(), Restore(manifest.backup_id(), target));
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(CountRows(target), 50);
  const std::string out = out_.str();
  EXPECT_EQ(
      out.rfind(absl::StrCat("restoring backup ", manifest.backup_id(), " of app (sqlite, "), 0),
      0u)
      << out;
  EXPECT_NE(out.find(absl::StrCat(" stored) from s3://bucket/nightly into ", target, "\n")),
            std::string::npos)
      << out;
  // The bar counts towards the stored size, read once.
  EXPECT_NE(out.find(absl::StrCat("\nsucceeded 100% ", HumanBytes(manifest.stored_size_bytes()),
                                  " / ", HumanBytes(manifest.stored_size_bytes()), "\n")),
            std::string::npos)
      << out;
  EXPECT_TRUE(absl::EndsWith(out, absl::StrCat("\nrestore completed into ", target, "\n"))) << out;
  EXPECT_FALSE(ScratchLeftBehind());
}

TEST_F(StoredBackupsTest, AnEncryptedBackupIsRestoredWithTheIdentityOfThisMachine) {
  AgeKey id = *GenerateAgeIdentity();
  v1::Encryption encryption;
  encryption.add_recipients(FormatAgeRecipient(*AgeRecipientOf(id)));
  v1::Manifest manifest = BackUpSqlite(50, encryption);
  ASSERT_FALSE(manifest.encryption().format().empty());
  std::string key = dir_ + "/team.key";
  std::ofstream(key) << FormatAgeIdentity(id) << "\n";
  fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write);
  std::string target = dir_ + "/restored.db";
  absl::Status refused = RestoreStoredBackup(storage_.get(), Restore(manifest.backup_id(), target));
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("--identity"), std::string::npos) << refused;
  EXPECT_FALSE(fs::exists(target));
  StoredBackupRestore r = Restore(manifest.backup_id(), target);
  r.identity_ref = "file:" + key;
  absl::Status status = RestoreStoredBackup(storage_.get(), r);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(CountRows(target), 50);
  EXPECT_FALSE(ScratchLeftBehind());
}

TEST_F(StoredBackupsTest, JsonRestorePrintsTheFinalJob) {
  v1::Manifest manifest = BackUpSqlite(3);
  StoredBackupRestore r = Restore(manifest.backup_id(), dir_ + "/restored.db");
  r.format = OutputFormat::kJson;
  ASSERT_TRUE(RestoreStoredBackup(storage_.get(), r).ok());
  EXPECT_EQ(out_.str().front(), '{') << out_.str();
  EXPECT_NE(out_.str().find("\"state\": \"JOB_STATE_SUCCEEDED\""), std::string::npos);
  EXPECT_NE(out_.str().find("\"kind\": \"JOB_KIND_RESTORE\""), std::string::npos);
  EXPECT_NE(out_.str().find("\"finished_at\": \"2026-01-15T02:00:00Z\""), std::string::npos)
      << out_.str();
  EXPECT_EQ(CountRows(dir_ + "/restored.db"), 3);
}

TEST_F(StoredBackupsTest, CorruptedBackupIsNotApplied) {
  v1::Manifest manifest = BackUpSqlite(20);
  std::string dump =
      absl::StrCat(destination_.path(), "/", BackupDir("nightly", "app", manifest.backup_id()), "/",
                   manifest.dump_object());
  ASSERT_TRUE(fs::exists(dump)) << dump;
  {
    std::fstream f(dump, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(dump) / 2));
    f.put('\x5a');
    f.put('\xa5');
  }
  std::string target = dir_ + "/restored.db";
  absl::Status status = RestoreStoredBackup(storage_.get(), Restore(manifest.backup_id(), target));
  ASSERT_FALSE(status.ok());
  EXPECT_FALSE(IsUsageError(status));
  EXPECT_NE(status.message().find("nothing was restored"), std::string::npos) << status;
  EXPECT_FALSE(fs::exists(target));
  EXPECT_NE(out_.str().find("\nfailed "), std::string::npos) << out_.str();
  EXPECT_FALSE(ScratchLeftBehind());
}

TEST_F(StoredBackupsTest, MissingBackupNamesIt) {
  absl::Status status = RestoreStoredBackup(
      storage_.get(), Restore("20260115T020000Z-0badc0de", dir_ + "/restored.db"));
  ASSERT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_NE(status.message().find("backup 20260115T020000Z-0badc0de of app"), std::string::npos);
  EXPECT_EQ(out_.str(), "");
}

TEST_F(StoredBackupsTest, TargetMustSuitTheBackupsEngine) {
  v1::Manifest manifest = BackUpSqlite(1);
  StoredBackupRestore with_host = Restore(manifest.backup_id(), dir_ + "/restored.db");
  with_host.connection.set_host("db.internal");
  absl::Status status = RestoreStoredBackup(storage_.get(), with_host);
  EXPECT_TRUE(IsUsageError(status)) << status;
  EXPECT_NE(status.message().find("--host does not apply"), std::string::npos) << status;

  status = RestoreStoredBackup(storage_.get(), Restore(manifest.backup_id(), "restored.db"));
  EXPECT_TRUE(IsUsageError(status)) << status;
  EXPECT_NE(status.message().find("--target must be an absolute file path"), std::string::npos);
  EXPECT_FALSE(ScratchLeftBehind());
}

}  // namespace
}  // namespace dbdump
