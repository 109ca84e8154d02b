// Backs up and restores real PostgreSQL databases through the agent's
// JobRunner and PostgresEngine, with the local storage driver: round trips,
// failures that leave nothing behind, test restores, secrets and tool choice.
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <map>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/match.h"
#include "agent/job_tracker.h"
#include "common/engines/job_runner.h"
#include "common/engines/postgres/postgres_engine.h"
#include "common/storage/backup_layout.h"
#include "common/io/compression.h"
#include "common/storage/local_storage.h"
#include "common/base/names.h"
#include "common/process/subprocess_runner.h"
#include "gtest/gtest.h"
#include "tests/fixtures/postgres_engine_fixture.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;
using testing::BackupWith;
using testing::MakeTempDir;
using testing::PostgresBackupTest;
using testing::PostgresServer;


TEST_F(PostgresBackupTest, BackupAndRestoreRoundTripForEachCompression) {
  CreateContent("shop");
  std::string before = Fingerprint("shop");
  ASSERT_EQ(before.find("ERROR"), std::string::npos) << before;
  for (auto c : {v1::COMPRESSION_ZSTD, v1::COMPRESSION_GZIP}) {
    v1::BackupJob job = Job("shop", "shop", c);
    JobTracker t(job.job_id());
    auto m = JobRunner(runner_opts_).Backup(job, engine_.get(), &t);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->engine(), v1::ENGINE_POSTGRES);
    EXPECT_EQ(m->server_version().substr(0, 3), "15.");
    EXPECT_FALSE(m->tool_version().empty());
    EXPECT_GT(m->raw_size_bytes(), m->stored_size_bytes());
    EXPECT_EQ(m->raw_sha256().size(), 64u);
    EXPECT_EQ(t.Snapshot().progress().bytes_in(), m->raw_size_bytes());
    // The manifest in storage is the one returned.
    auto local = LocalStorage::Open(storage_.path());
    auto stored = ReadManifest(local->get(), "", "shop", job.backup_id());
    ASSERT_TRUE(stored.ok()) << stored.status();
    EXPECT_EQ(stored->stored_sha256(), m->stored_sha256());
    EXPECT_TRUE(WorkDirEmpty()) << "pgpass file left behind";

    std::string target = absl::StrCat("shop_restored_", CompressionSuffix(c));
    absl::Status r = Restore(job, target);
    ASSERT_TRUE(r.ok()) << r;
    EXPECT_EQ(Fingerprint(target), before);
  }
}

TEST_F(PostgresBackupTest, NoPasswordInArgvOrEnvironment) {
  CreateContent("secretive");
  std::ifstream pw(server_->dir() + "/cluster/password");
  std::string password;
  std::getline(pw, password);
  v1::BackupJob job = Job("secretive", "secretive", v1::COMPRESSION_ZSTD);
  JobTracker t(job.job_id());
  ASSERT_TRUE(JobRunner(runner_opts_).Backup(job, engine_.get(), &t).ok());
  ASSERT_TRUE(Restore(job, "secretive_copy").ok());
  int dumps = 0;
  for (const RecordingRunner::Started& started : runner_.started()) {
    const ProcessOptions& o = started.options;
    for (const auto& a : o.argv) EXPECT_EQ(a.find(password), std::string::npos) << a;
    for (const auto& [k, v] : o.env) {
      EXPECT_EQ(v.find(password), std::string::npos) << k;
      EXPECT_NE(k, "PGPASSWORD");
    }
    if (o.argv[0].find("pg_dump") != std::string::npos && o.argv.size() > 2) {
      ++dumps;
      EXPECT_EQ(o.env.count("PGPASSFILE"), 1u);
    }
  }
  EXPECT_GE(dumps, 1);
}

TEST_F(PostgresBackupTest, HostileDatabaseNamesAreData) {
  // A legal but awkward name round-trips.
  CreateContent("a b'c");
  v1::BackupJob job = Job("awkward", "a b'c", v1::COMPRESSION_ZSTD);
  JobTracker t(job.job_id());
  ASSERT_TRUE(JobRunner(runner_opts_).Backup(job, engine_.get(), &t).ok());
  ASSERT_TRUE(Restore(job, "x\"y z").ok());
  EXPECT_EQ(Fingerprint("x\"y z"), Fingerprint("a b'c"));

  // Option- and conninfo-shaped names are looked up literally and fail cleanly.
  fs::remove("/tmp/dbdump-x");
  for (std::string name : {"--file=/tmp/dbdump-x", "host=evil dbname=postgres", "a;b $(id)"}) {
    v1::BackupJob bad = Job("hostile", name, v1::COMPRESSION_ZSTD);
    JobTracker bt(bad.job_id());
    auto m = JobRunner(runner_opts_).Backup(bad, engine_.get(), &bt);
    ASSERT_FALSE(m.ok()) << name;
    EXPECT_TRUE(absl::IsNotFound(m.status())) << m.status();
    EXPECT_NE(m.status().message().find("does not exist"), std::string::npos) << m.status();
  }
  EXPECT_FALSE(fs::exists("/tmp/dbdump-x"));
  for (const auto& f : StoreFiles()) EXPECT_EQ(f.find("hostile"), std::string::npos) << f;
}

TEST_F(PostgresBackupTest, WrongPasswordAndUnreachableServerFailCleanly) {
  std::string bad_pw = dir_ + "/bad.pass";
  {
    std::ofstream(bad_pw) << "not-the-password\n";
  }
  fs::permissions(bad_pw, fs::perms::owner_read | fs::perms::owner_write);
  v1::BackupJob job = Job("wrongpw", "postgres", v1::COMPRESSION_ZSTD);
  job.mutable_target()->set_password_ref("file:" + bad_pw);
  JobTracker t(job.job_id());
  auto m = JobRunner(runner_opts_).Backup(job, engine_.get(), &t);
  ASSERT_TRUE(absl::IsPermissionDenied(m.status())) << m.status();
  EXPECT_NE(m.status().message().find("authentication failed"), std::string::npos);
  EXPECT_EQ(m.status().message().find("not-the-password"), std::string::npos);

  v1::BackupJob down = Job("down", "postgres", v1::COMPRESSION_ZSTD);
  down.mutable_target()->set_port(1);
  JobTracker t2(down.job_id());
  auto m2 = JobRunner(runner_opts_).Backup(down, engine_.get(), &t2);
  EXPECT_TRUE(absl::IsUnavailable(m2.status())) << m2.status();
  EXPECT_TRUE(StoreFiles().empty());
  EXPECT_TRUE(WorkDirEmpty());
}

TEST_F(PostgresBackupTest, CorruptedBackupIsRefusedAndNothingRestored) {
  CreateContent("fragile");
  v1::BackupJob job = Job("fragile", "fragile", v1::COMPRESSION_ZSTD);
  JobTracker t(job.job_id());
  auto m = JobRunner(runner_opts_).Backup(job, engine_.get(), &t);
  ASSERT_TRUE(m.ok());
  std::string dump = storage_.path() + "/fragile/" + job.backup_id() + "/" + m->dump_object();
  {
    std::fstream f(dump, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(m->stored_size_bytes() / 2));
    f.put('\x5a');
  }
  absl::Status r = Restore(job, "fragile_copy");
  EXPECT_TRUE(absl::IsDataLoss(r)) << r;
  EXPECT_NE(r.message().find("nothing was restored"), std::string::npos) << r;
  EXPECT_FALSE(server_->HasDatabase("fragile_copy"));
}

TEST_F(PostgresBackupTest, ValidButSubstitutedDumpIsNeverCommitted) {
  // The same raw dump, compressed again: a perfectly valid stream that only
  // the stored checksum tells apart. pg_restore receives all of it but the
  // held-back tail, and is stopped before it can commit.
  CreateContent("swapped");
  v1::BackupJob job = Job("swapped", "swapped", v1::COMPRESSION_ZSTD);
  JobTracker t(job.job_id());
  auto m = JobRunner(runner_opts_).Backup(job, engine_.get(), &t);
  ASSERT_TRUE(m.ok());
  std::string dump = storage_.path() + "/swapped/" + job.backup_id() + "/" + m->dump_object();
  std::string cmd = absl::StrCat("zstd -dc < '", dump, "' | zstd -q -1 -c > '", dump, ".new' && mv '",
                                 dump, ".new' '", dump, "'");
  ASSERT_EQ(system(cmd.c_str()), 0);
  absl::Status r = Restore(job, "swapped_copy");
  EXPECT_TRUE(absl::IsDataLoss(r)) << r;
  EXPECT_NE(r.message().find("stored sha256"), std::string::npos) << r;
  EXPECT_NE(r.message().find("nothing was restored"), std::string::npos) << r;
  EXPECT_FALSE(server_->HasDatabase("swapped_copy"));
  // Into an existing database: rolled back, unchanged.
  Exec("postgres", "CREATE DATABASE swapped_existing");
  Exec("swapped_existing", "CREATE TABLE keep (x int); INSERT INTO keep VALUES (1)");
  EXPECT_TRUE(absl::IsDataLoss(Restore(job, "swapped_existing")));
  EXPECT_EQ(Q("swapped_existing", "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), "1\n");
}

TEST_F(PostgresBackupTest, FailedRestoreChangesNothing) {
  CreateContent("src_fail");
  Exec("postgres", "CREATE ROLE gone_owner");
  Exec("src_fail", "CREATE TABLE owned (x int); ALTER TABLE owned OWNER TO gone_owner");
  v1::BackupJob job = Job("src_fail", "src_fail", v1::COMPRESSION_ZSTD);
  JobTracker t(job.job_id());
  ASSERT_TRUE(JobRunner(runner_opts_).Backup(job, engine_.get(), &t).ok());
  // Restoring into a database that already holds the same objects fails in
  // one transaction and leaves it as it was.
  std::string before = Fingerprint("src_fail");
  absl::Status r = Restore(job, "src_fail");
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.message().find("already exists"), std::string::npos) << r;
  EXPECT_EQ(Fingerprint("src_fail"), before);
  // A restore that fails in a database it created drops that database again.
  Exec("src_fail", "DROP TABLE owned");
  Exec("postgres", "DROP ROLE gone_owner");
  absl::Status r2 = Restore(job, "fresh_fail");
  EXPECT_FALSE(r2.ok());
  EXPECT_NE(r2.message().find("gone_owner"), std::string::npos) << r2;
  EXPECT_FALSE(server_->HasDatabase("fresh_fail"));
}

TEST_F(PostgresBackupTest, CancelLeavesNoBackup) {
  Exec("postgres", "CREATE DATABASE big");
  Exec("big", "CREATE TABLE t AS SELECT g, md5(g::text) || repeat('y', 200) AS s FROM generate_series(1, 600000) g");
  v1::BackupJob job = Job("big", "big", v1::COMPRESSION_ZSTD);
  JobTracker t(job.job_id());
  std::thread canceller([&] {
    while (t.Snapshot().progress().bytes_in() < (1 << 20)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    t.Cancel();
  });
  auto m = JobRunner(runner_opts_).Backup(job, engine_.get(), &t);
  canceller.join();
  EXPECT_TRUE(absl::IsCancelled(m.status())) << m.status();
  EXPECT_TRUE(StoreFiles().empty());
  EXPECT_TRUE(WorkDirEmpty());
}

TEST_F(PostgresBackupTest, ToolsMustBeAtLeastTheServerVersion) {
  auto tools = engine_->InstalledTools();
  ASSERT_FALSE(tools.empty());
  EXPECT_TRUE(engine_->ToolsFor(tools.front().major).ok());
  auto none = engine_->ToolsFor(tools.front().major + 5);
  ASSERT_TRUE(absl::IsFailedPrecondition(none.status()));
  EXPECT_NE(none.status().message().find(absl::StrCat("postgresql-client-", tools.front().major + 5)),
            std::string::npos);
}

TEST_F(PostgresBackupTest, TestRestoreChecksTablesAndAlwaysDropsTheScratchDatabase) {
  CreateContent("trsrc");
  v1::BackupJob job = Job("trsrc", "trsrc", v1::COMPRESSION_ZSTD);
  auto m = BackupWith(this, job);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->tables_size(), 2);  // public.blobs, public.items
  auto scratch_dbs = [&] {
    return Q("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'dbdump_scratch_%'");
  };
  v1::RestoreJob r = RestoreJobFor(job, "");
  r.mutable_options()->set_test_restore(true);
  JobTracker t(r.job_id());
  v1::RestoreReport report;
  absl::Status st = JobRunner(runner_opts_).Restore(r, engine_.get(), &t, &report);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_TRUE(report.test_restore());
  EXPECT_TRUE(report.scratch_dropped());
  EXPECT_EQ(report.scratch_database().rfind("dbdump_scratch_", 0), 0u) << report.scratch_database();
  ASSERT_EQ(report.tables_size(), 2);
  for (const auto& c : report.tables()) {
    EXPECT_TRUE(c.ok()) << c.name();
    if (c.name() == "public.items") {
      EXPECT_EQ(c.restored_rows(), 20000);
    }
    if (c.name() == "public.blobs") {
      EXPECT_EQ(c.restored_rows(), 50);
    }
  }
  EXPECT_EQ(scratch_dbs(), "0\n");

  // A table recorded at backup time but missing from the dump fails the
  // check; the scratch database still goes.
  std::string manifest = absl::StrCat(storage_.path(), "/trsrc/", job.backup_id(), "/manifest.json");
  v1::Manifest tampered = *m;
  tampered.add_tables()->set_name("public.ghost");
  tampered.mutable_tables()->rbegin()->set_rows(-1);
  {
    std::ofstream f(manifest, std::ios::trunc);
    f << ManifestToJson(tampered);
  }
  JobTracker t2(r.job_id() + "b");
  v1::RestoreReport report2;
  st = JobRunner(runner_opts_).Restore(r, engine_.get(), &t2, &report2);
  EXPECT_TRUE(absl::IsDataLoss(st)) << st;
  EXPECT_NE(st.message().find("table public.ghost is missing"), std::string::npos) << st;
  EXPECT_TRUE(report2.scratch_dropped());
  EXPECT_EQ(scratch_dbs(), "0\n");

  // A corrupted dump fails the restore itself; nothing is left either.
  std::string dump = absl::StrCat(storage_.path(), "/trsrc/", job.backup_id(), "/dump.pgdump.zst");
  {
    std::fstream f(dump, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(dump) / 3));
    f.put('\x11');
  }
  JobTracker t3(r.job_id() + "c");
  st = JobRunner(runner_opts_).Restore(r, engine_.get(), &t3);
  EXPECT_TRUE(absl::IsDataLoss(st)) << st;
  EXPECT_EQ(scratch_dbs(), "0\n");
  EXPECT_TRUE(WorkDirEmpty());
}

TEST_F(PostgresBackupTest, ScratchDatabasesOfAKilledAgentAreDroppedAtStart) {
  // What a test restore writes down before it creates its scratch database,
  // as a killed agent leaves it: the record and the database.
  v1::DatabaseTarget scratch = server_->Target("x", "dbdump_scratch_killed_job");
  Exec("postgres", "CREATE DATABASE dbdump_scratch_killed_job");
  fs::create_directories(dir_ + "/work/scratch");
  {
    std::ofstream f(dir_ + "/work/scratch/job-killed", std::ios::binary);
    ASSERT_TRUE(scratch.SerializeToOstream(&f));
  }
  std::map<v1::Engine, std::unique_ptr<Engine>> engines;
  engines[v1::ENGINE_POSTGRES] = std::make_unique<PostgresEngine>(PostgresEngineOptions{&runner_});
  EXPECT_EQ(JobRunner(runner_opts_).SweepScratch(engines), 1);
  EXPECT_FALSE(server_->HasDatabase("dbdump_scratch_killed_job"));
  EXPECT_FALSE(fs::exists(dir_ + "/work/scratch/job-killed"));
  // A finished test restore leaves no record behind.
  CreateContent("ledgersrc");
  v1::BackupJob job = Job("ledgersrc", "ledgersrc", v1::COMPRESSION_ZSTD);
  ASSERT_TRUE(BackupWith(this, job).ok());
  v1::RestoreJob r = RestoreJobFor(job, "");
  r.mutable_options()->set_test_restore(true);
  JobTracker t(r.job_id());
  ASSERT_TRUE(JobRunner(runner_opts_).Restore(r, engine_.get(), &t).ok());
  EXPECT_FALSE(fs::exists(dir_ + "/work/scratch"));
}

TEST_F(PostgresBackupTest, PasswordNeverInTheRunningChildsCmdlineOrEnviron) {
  Exec("postgres", "CREATE DATABASE procsrc");
  Exec("procsrc", "CREATE TABLE t AS SELECT g, repeat('z', 500) AS s FROM generate_series(1, 200000) g");
  std::ifstream pw(server_->dir() + "/cluster/password");
  std::string password;
  std::getline(pw, password);
  ASSERT_FALSE(password.empty());
  // Start the dump and, before reading a byte, look at the live child: it
  // is blocked writing into the pipe.
  v1::DatabaseTarget target = server_->Target("procsrc", "procsrc");
  auto dump = engine_->StartDump(target, dir_ + "/work");
  ASSERT_TRUE(dump.ok()) << dump.status();
  pid_t pid = 0;
  const std::vector<RecordingRunner::Started> started = runner_.started();
  ASSERT_FALSE(started.empty());
  pid = started.back().pid;
  auto read_proc = [](const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  // Right after the spawn the new image may not be readable yet.
  std::string cmdline;
  for (int i = 0; i < 200 && cmdline.empty(); ++i) {
    cmdline = read_proc(absl::StrCat("/proc/", pid, "/cmdline"));
    if (cmdline.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::string environ = read_proc(absl::StrCat("/proc/", pid, "/environ"));
  EXPECT_NE(cmdline.find("pg_dump"), std::string::npos)
      << "not the running pg_dump: pid " << pid << " cmdline \"" << cmdline << "\" argv0 "
      << started.back().options.argv[0] << " of " << started.size() << " status "
      << read_proc(absl::StrCat("/proc/", pid, "/status")).substr(0, 200);
  EXPECT_EQ(cmdline.find(password), std::string::npos);
  EXPECT_EQ(environ.find(password), std::string::npos);
  EXPECT_EQ(environ.find("PGPASSWORD"), std::string::npos);
  // The pgpass file exists only while the tool runs, and only for us.
  int private_files = 0;
  for (auto& e : fs::directory_iterator(dir_ + "/work")) {
    ++private_files;
    EXPECT_EQ(fs::status(e.path()).permissions() & (fs::perms::group_all | fs::perms::others_all),
              fs::perms::none);
  }
  EXPECT_EQ(private_files, 1);
  (*dump)->Cancel();
  (void)(*dump)->Finish();
  EXPECT_TRUE(WorkDirEmpty());
}

TEST(PostgresToolChoiceTest, PicksTheClosestToolAtLeastTheServerVersion) {
  // Fake installations: empty pg_dump/pg_restore files whose --version the
  // injected runner answers with a made-up version string.
  std::string dir = MakeTempDir("dbdump-pgtools");
  std::map<std::string, std::string> versions = {{dir + "/v13", "13.2"}, {dir + "/v16", "16.1"}};
  for (const auto& [d, v] : versions) {
    fs::create_directories(d);
    for (const char* tool : {"pg_dump", "pg_restore"}) {
      std::ofstream(d + "/" + tool) << "#!/bin/sh\n";
      fs::permissions(d + "/" + tool, fs::perms::owner_all);
    }
  }
  class FakeVersionRunner : public ProcessRunner {
   public:
    explicit FakeVersionRunner(std::map<std::string, std::string> v) : versions_(std::move(v)) {}
    absl::StatusOr<std::unique_ptr<Process>> Start(const ProcessOptions& o) override {
      std::string prog = o.argv[0];
      std::string d = prog.substr(0, prog.rfind('/'));
      ProcessOptions echo = o;
      auto it = versions_.find(d);
      std::string v = it != versions_.end() ? it->second : "";
      if (v.empty()) return real_.Start(o);  // a real installation
      echo.argv = {"/bin/echo", "pg_dump (PostgreSQL) " + v + " (fake)"};
      return real_.Start(echo);
    }

   private:
    std::map<std::string, std::string> versions_;
    SubprocessRunner real_;
  } runner(versions);
  PostgresEngineOptions o{&runner};
  o.search_path = dir + "/v13:" + dir + "/v16";
  PostgresEngine engine(o);
  auto tools = engine.InstalledTools();
  ASSERT_GE(tools.size(), 2u);
  EXPECT_EQ(engine.ToolsFor(13)->version, "13.2");
  EXPECT_EQ(engine.ToolsFor(16)->version, "16.1");
  EXPECT_EQ(engine.ToolsFor(16)->pg_dump, dir + "/v16/pg_dump");
  // 14 takes the closest newer one: the real 15 if installed, else 16.
  EXPECT_GT(engine.ToolsFor(14)->major, 13);
  auto none = engine.ToolsFor(17);
  ASSERT_TRUE(absl::IsFailedPrecondition(none.status())) << none.status();
  EXPECT_NE(none.status().message().find("the server runs PostgreSQL 17"), std::string::npos)
      << none.status();
  EXPECT_NE(none.status().message().find("newest pg_dump on the agent host is 16.1"),
            std::string::npos)
      << none.status();
  EXPECT_NE(none.status().message().find("install postgresql-client-17"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dbdump
