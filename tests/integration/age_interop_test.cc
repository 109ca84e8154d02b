// age encryption against the real `age` tool (Debian package `age`), and
// encrypted SQLite backups through the agent's JobRunner: restore with the
// identity, refusals with nothing restored, verify without the identity.
#include <sqlite3.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "agent/backup_maintenance.h"
#include "agent/job_tracker.h"
#include "common/base/names.h"
#include "common/crypto/age_keys.h"
#include "common/crypto/age_stream.h"
#include "common/engines/job_runner.h"
#include "common/engines/sqlite/sqlite_engine.h"
#include "common/io/filter_chain.h"
#include "common/io/sha256_filter.h"
#include "common/storage/backup_layout.h"
#include "gtest/gtest.h"
#include "tests/fakes/string_io.h"
#include "tests/fixtures/postgres_server.h"  // MakeTempDir
#include "tests/fixtures/sqlite_backup_job.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;
using testing::MakeTempDir;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::string& path, const std::string& data, int mode = 0600) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
  ::chmod(path.c_str(), mode);
}

// Runs a shell command (fixed strings of the test's own paths); its exit code.
int Shell(const std::string& cmd) { return std::system(cmd.c_str()); }

std::string Sha256Hex(const std::string& data) {
  NullSink end;
  Sha256Filter f(&end);
  EXPECT_TRUE(f.Write(data.data(), data.size()).ok());
  EXPECT_TRUE(f.Finish().ok());
  return f.hex_digest();
}

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 2654435761u) >> 13);
  return s;
}

class AgeInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("dbdump-age");
    ASSERT_EQ(Shell("age-keygen -o " + dir_ + "/key.txt 2>/dev/null"), 0) << "age-keygen missing?";
    recipient_ = Trimmed(Capture("age-keygen -y " + dir_ + "/key.txt"));
    ASSERT_EQ(recipient_.substr(0, 4), "age1");
  }
  void TearDown() override { fs::remove_all(dir_); }
  static std::string Trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
  }
  static std::string Capture(const std::string& cmd) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
    return out;
  }
  std::shared_ptr<const AgeDecryptKeys> OurKeys() {
    auto k = ParseAgeIdentities(ReadFile(dir_ + "/key.txt"));
    EXPECT_TRUE(k.ok()) << k.status();
    return std::make_shared<AgeDecryptKeys>(*k);
  }
  std::string dir_;
  std::string recipient_;
};

TEST_F(AgeInteropTest, OurCompressedEncryptedStreamDecryptsWithAgeToRawChecksum) {
  // A second recipient made by us: each of the two decrypts alone.
  AgeKey ours = *GenerateAgeIdentity();
  WriteFile(dir_ + "/ours.txt", FormatAgeIdentity(ours) + "\n");
  auto keys = std::make_shared<AgeEncryptKeys>();
  keys->recipients = {*ParseAgeRecipient(recipient_), *AgeRecipientOf(ours)};
  std::string raw = Pattern(3 << 20);
  StringSink stored;
  FilterChain chain;
  chain.AddSha256("raw");
  chain.AddCompressor(v1::COMPRESSION_ZSTD, 1, 0);
  chain.AddEncryptor(keys);
  chain.AddSha256("stored");
  ASSERT_TRUE(chain.EndAt(&stored).ok());
  for (size_t i = 0; i < raw.size(); i += 100000) {
    ASSERT_TRUE(chain.head()->Write(raw.data() + i, std::min<size_t>(100000, raw.size() - i)).ok());
  }
  ASSERT_TRUE(chain.head()->Finish().ok());
  WriteFile(dir_ + "/dump.zst.age", stored.data);
  for (const char* key : {"key.txt", "ours.txt"}) {
    ASSERT_EQ(Shell(absl::StrCat("age -d -i ", dir_, "/", key, " ", dir_,
                                 "/dump.zst.age | zstd -dq > ", dir_, "/raw.out")),
              0)
        << key;
    std::string back = ReadFile(dir_ + "/raw.out");
    EXPECT_EQ(Sha256Hex(back), chain.sha256_hex("raw")) << key;
  }
  // A stranger's identity does not decrypt it.
  ASSERT_EQ(Shell("age-keygen -o " + dir_ + "/other.txt 2>/dev/null"), 0);
  EXPECT_NE(Shell(absl::StrCat("age -d -i ", dir_, "/other.txt ", dir_,
                             "/dump.zst.age > /dev/null 2>&1")),
            0);
}

TEST_F(AgeInteropTest, AgeToolEncryptionDecryptsWithOurReaderAtChunkEdges) {
  for (size_t n : {size_t{0}, size_t{1}, kAgeChunkBytes, kAgeChunkBytes + 1, size_t{1000000}}) {
    std::string plain = Pattern(n);
    WriteFile(dir_ + "/plain", plain);
    ASSERT_EQ(Shell(absl::StrCat("age -e -r ", recipient_, " -o ", dir_, "/plain.age ", dir_,
                               "/plain")),
              0);
    std::string sealed = ReadFile(dir_ + "/plain.age");
    StringSink out;
    AgeDecryptSink sink(OurKeys(), &out);
    absl::Status st = sink.Write(sealed.data(), sealed.size());
    if (st.ok()) st = sink.Finish();
    ASSERT_TRUE(st.ok()) << n << ": " << st;
    EXPECT_EQ(out.data, plain) << n;
  }
}

TEST_F(AgeInteropTest, PassphraseModeInteroperatesThroughATerminal) {
  // age reads a passphrase only from a terminal: `script` gives it one and
  // types what the pipe holds.
  if (Shell("command -v script > /dev/null") != 0) GTEST_FAIL() << "script (util-linux) missing";
  const std::string pass = "a long test passphrase";
  AgeEncryptKeys enc;
  enc.passphrase = pass;
  enc.scrypt_work_factor = 12;
  std::string plain = Pattern(200000);
  StringSink sealed;
  auto sink = AgeEncryptSink::Create(enc, &sealed);
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE((*sink)->Write(plain.data(), plain.size()).ok());
  ASSERT_TRUE((*sink)->Finish().ok());
  WriteFile(dir_ + "/p.age", sealed.data);
  WriteFile(dir_ + "/pass", pass + "\n");
  ASSERT_EQ(Shell(absl::StrCat("script -qec 'age -d -o ", dir_, "/p.out ", dir_,
                               "/p.age' /dev/null < ", dir_, "/pass > /dev/null")),
            0);
  EXPECT_EQ(ReadFile(dir_ + "/p.out"), plain);

  // And the other way: age -p encrypts, our reader decrypts.
  WriteFile(dir_ + "/pass2", pass + "\n" + pass + "\n");
  WriteFile(dir_ + "/plain", plain);
  ASSERT_EQ(Shell(absl::StrCat("script -qec 'age -p -o ", dir_, "/q.age ", dir_,
                               "/plain' /dev/null < ", dir_, "/pass2 > /dev/null")),
            0);
  auto dec = std::make_shared<AgeDecryptKeys>();
  dec->passphrase = pass;
  StringSink out;
  AgeDecryptSink reader(dec, &out);
  std::string q = ReadFile(dir_ + "/q.age");
  absl::Status st = reader.Write(q.data(), q.size());
  if (st.ok()) st = reader.Finish();
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(out.data, plain);
}

// Encrypted SQLite backups through JobRunner and the local storage driver.
class EncryptedBackupTest : public AgeInteropTest {
 protected:
  void SetUp() override {
    AgeInteropTest::SetUp();
    fs::create_directories(dir_ + "/work");
    storage_.set_name("local");
    storage_.set_kind(v1::STORAGE_KIND_LOCAL);
    storage_.set_path(dir_ + "/store");
    opts_ = {"agent-test", dir_ + "/work", 64 << 10, 4, 1};
    std::string path = dir_ + "/app.db";
    ASSERT_EQ(testing::RunSqlite(path,
                                 "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);"
                                 "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c "
                                 "WHERE x < 3000) INSERT INTO t(v) SELECT randomblob(200) FROM c;"),
              "");
    job_ = testing::SqliteBackupJob("app", path, storage_);
    job_.mutable_target()->mutable_encryption()->add_recipients(recipient_);
  }
  absl::StatusOr<v1::Manifest> Backup() {
    JobTracker t(job_.job_id());
    return JobRunner(opts_).Backup(job_, &engine_, &t);
  }
  std::string DumpPath(const v1::Manifest& m) {
    return absl::StrCat(dir_, "/store/", BackupDir("", "app", job_.backup_id()), "/",
                        m.dump_object());
  }
  absl::Status Restore(const std::string& identity_ref, const std::string& into,
                       bool dry_run = false, bool test_restore = false) {
    v1::RestoreJob r;
    r.set_job_id(NewJobId(absl::Now()));
    r.set_backup_id(job_.backup_id());
    r.set_source_database("app");
    *r.mutable_storage() = storage_;
    *r.mutable_target() = job_.target();
    r.mutable_target()->set_path(into);
    r.mutable_options()->set_identity_ref(identity_ref);
    r.mutable_options()->set_dry_run(dry_run);
    r.mutable_options()->set_test_restore(test_restore);
    if (dry_run || test_restore) r.mutable_target()->clear_path();
    JobTracker rt(r.job_id());
    return JobRunner(opts_).Restore(r, &engine_, &rt);
  }
  static int64_t Rows(const std::string& path) {
    sqlite3* db = nullptr;
    sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &st, nullptr);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
  }
  v1::StorageDestination storage_;
  JobRunnerOptions opts_;
  SqliteEngine engine_;
  v1::BackupJob job_;
};

TEST_F(EncryptedBackupTest, AgeDecryptsTheStoredDumpToTheManifestsRawChecksum) {
  auto m = Backup();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->dump_object().substr(m->dump_object().size() - 4), ".age");
  EXPECT_EQ(m->encryption().format(), "age-encryption.org/v1");
  ASSERT_EQ(m->encryption().recipients_size(), 1);
  EXPECT_EQ(m->encryption().recipients(0), recipient_);
  std::string stored = ReadFile(DumpPath(*m));
  EXPECT_EQ(stored.substr(0, 21), "age-encryption.org/v1");
  EXPECT_EQ(Sha256Hex(stored), m->stored_sha256());
  std::string manifest =
      ReadFile(absl::StrCat(dir_, "/store/", ManifestKey("", "app", job_.backup_id())));
  EXPECT_NE(manifest.find(recipient_), std::string::npos);
  EXPECT_EQ(manifest.find("AGE-SECRET-KEY"), std::string::npos);
  ASSERT_EQ(Shell(absl::StrCat("age -d -i ", dir_, "/key.txt ", DumpPath(*m),
                               " | zstd -dq > ", dir_, "/raw.out")),
            0);
  EXPECT_EQ(Sha256Hex(ReadFile(dir_ + "/raw.out")), m->raw_sha256());
}

TEST_F(EncryptedBackupTest, RestoreNeedsTheIdentityAndVerifyDoesNot) {
  auto m = Backup();
  ASSERT_TRUE(m.ok()) << m.status();
  // No identity: refused, naming the option; nothing restored.
  absl::Status none = Restore("", dir_ + "/r0.db");
  EXPECT_FALSE(none.ok());
  EXPECT_NE(none.message().find("identity_ref"), std::string::npos) << none;
  EXPECT_FALSE(fs::exists(dir_ + "/r0.db"));
  // An identity file others can read: refused.
  fs::copy_file(dir_ + "/key.txt", dir_ + "/open.txt");
  ::chmod((dir_ + "/open.txt").c_str(), 0644);
  absl::Status open = Restore("file:" + dir_ + "/open.txt", dir_ + "/r1.db");
  EXPECT_FALSE(open.ok());
  EXPECT_NE(open.message().find("chmod 600"), std::string::npos) << open;
  EXPECT_FALSE(fs::exists(dir_ + "/r1.db"));
  // A wrong identity: refused before anything is restored.
  ASSERT_EQ(Shell("age-keygen -o " + dir_ + "/other.txt 2>/dev/null"), 0);
  absl::Status wrong = Restore("file:" + dir_ + "/other.txt", dir_ + "/r2.db");
  EXPECT_TRUE(absl::IsPermissionDenied(wrong)) << wrong;
  EXPECT_NE(wrong.message().find("nothing was restored"), std::string::npos) << wrong;
  EXPECT_FALSE(fs::exists(dir_ + "/r2.db"));
  // The secret never shows in an error.
  std::string secret = ReadFile(dir_ + "/key.txt");
  std::string key_line = secret.substr(secret.find("AGE-SECRET-KEY-1"), 74);
  for (const absl::Status& st : {none, open, wrong}) {
    EXPECT_EQ(std::string(st.message()).find(key_line.substr(16)), std::string::npos);
  }
  // Verify without any identity: the stored checksum.
  BackupMaintenance maintenance;
  v1::StoredBackupRef ref;
  *ref.mutable_storage() = storage_;
  ref.set_database("app");
  ref.set_backup_id(job_.backup_id());
  auto verified = maintenance.Verify(ref);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->ok()) << verified->error();
  EXPECT_EQ(verified->stored_sha256(), m->stored_sha256());
  EXPECT_TRUE(verified->raw_sha256().empty());
  // Dry run, test restore and restore with the identity (file, then
  // environment); a test restore without it is refused too.
  absl::Status dry = Restore("file:" + dir_ + "/key.txt", "", true);
  ASSERT_TRUE(dry.ok()) << dry;
  absl::Status test_none = Restore("", "", false, true);
  EXPECT_NE(test_none.message().find("identity_ref"), std::string::npos) << test_none;
  absl::Status tested = Restore("file:" + dir_ + "/key.txt", "", false, true);
  ASSERT_TRUE(tested.ok()) << tested;
  absl::Status ok = Restore("file:" + dir_ + "/key.txt", dir_ + "/r3.db");
  ASSERT_TRUE(ok.ok()) << ok;
  EXPECT_EQ(Rows(dir_ + "/r3.db"), 3000);
  ::setenv("DBDUMP_TEST_AGE_IDENTITY", secret.c_str(), 1);
  absl::Status by_env = Restore("env:DBDUMP_TEST_AGE_IDENTITY", dir_ + "/r4.db");
  ::unsetenv("DBDUMP_TEST_AGE_IDENTITY");
  ASSERT_TRUE(by_env.ok()) << by_env;
  EXPECT_EQ(Rows(dir_ + "/r4.db"), 3000);
}

TEST_F(EncryptedBackupTest, DamagedBackupsAreRefusedWithNothingRestored) {
  auto m = Backup();
  ASSERT_TRUE(m.ok()) << m.status();
  std::string path = DumpPath(*m);
  const std::string good = ReadFile(path);
  size_t header = good.find("\n--- ") + 5 + 43 + 1 + 16;
  const size_t c = kAgeSealedChunkBytes;
  ASSERT_GT(good.size(), header + 3 * c) << "the dump should span several chunks";
  std::string flip_header = good;
  flip_header[40] ^= 0x02;
  std::string flip_chunk = good;
  flip_chunk[header + c + 77] ^= 0x01;
  std::string swapped = good.substr(0, header) + good.substr(header + c, c) +
                        good.substr(header, c) + good.substr(header + 2 * c);
  std::string truncated = good.substr(0, header + 2 * c);
  int i = 0;
  for (const auto& [what, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"flipped header byte", flip_header},
           {"flipped chunk byte", flip_chunk},
           {"swapped chunks", swapped},
           {"truncated", truncated}}) {
    WriteFile(path, bytes);
    std::string into = absl::StrCat(dir_, "/bad", i++, ".db");
    absl::Status st = Restore("file:" + dir_ + "/key.txt", into);
    EXPECT_FALSE(st.ok()) << what;
    EXPECT_NE(st.message().find("nothing was restored"), std::string::npos) << what << ": " << st;
    EXPECT_FALSE(fs::exists(into)) << what;
  }
  WriteFile(path, good);
  ASSERT_TRUE(Restore("file:" + dir_ + "/key.txt", dir_ + "/fine.db").ok());
}

TEST_F(EncryptedBackupTest, PassphraseModeBacksUpAndRestores) {
  WriteFile(dir_ + "/pass", "backup passphrase\n");
  v1::Encryption* e = job_.mutable_target()->mutable_encryption();
  e->clear_recipients();
  e->set_passphrase_ref("file:" + dir_ + "/pass");
  e->set_scrypt_work_factor(10);
  auto m = Backup();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->encryption().passphrase());
  EXPECT_EQ(m->encryption().recipients_size(), 0);
  EXPECT_EQ(ReadFile(absl::StrCat(dir_, "/store/", ManifestKey("", "app", job_.backup_id())))
                .find("backup passphrase"),
            std::string::npos);
  WriteFile(dir_ + "/wrong", "not it\n");
  absl::Status wrong = Restore("file:" + dir_ + "/wrong", dir_ + "/w.db");
  EXPECT_TRUE(absl::IsPermissionDenied(wrong)) << wrong;
  EXPECT_FALSE(fs::exists(dir_ + "/w.db"));
  ASSERT_TRUE(Restore("file:" + dir_ + "/pass", dir_ + "/p.db").ok());
  EXPECT_EQ(Rows(dir_ + "/p.db"), 3000);
}

}  // namespace
}  // namespace dbdump
