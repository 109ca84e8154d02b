// Backs up and restores real MariaDB databases through MysqlEngine: the
// sessions it returns are driven directly (no JobRunner), and every result is
// checked against the server with the fixture's own client. Round trips,
// hostile names, errors, secrets, and the JobRunner path.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/engines/job_runner.h"
#include "agent/job_tracker.h"
#include "common/engines/mysql/mysql_engine.h"
#include "common/base/names.h"
#include "gtest/gtest.h"
#include "tests/fakes/recording_runner.h"
#include "tests/fixtures/mysql_engine_fixture.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;
using testing::FirstDifference;
using testing::MakeDir;
using testing::MariadbServer;
using testing::MysqlEngineTest;
using testing::SqlIdent;
using testing::SqlString;

std::string ReadProcFile(pid_t pid, const char* what) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/", what), std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_F(MysqlEngineTest, ConnectionAndVersions) {
  auto v = engine_->TestConnection(server_->Target("t", ""));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(absl::StrContains(*v, "MariaDB")) << *v;
  EXPECT_EQ(*v, absl::StripAsciiWhitespace(Q("", "SELECT VERSION();")));
  std::string tool = engine_->ToolVersion();
  EXPECT_TRUE(absl::StartsWith(tool, "mariadb-dump 10.") || absl::StartsWith(tool, "mariadb-dump 11."))
      << tool;
  EXPECT_TRUE(WorkDirEmpty());
}

TEST_F(MysqlEngineTest, RoundTripKeepsEverything) {
  CreateAwkwardContent("rt_src");
  auto b = BackUp(server_->Target("rt", "rt_src"));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(WorkDirEmpty()) << "the option file must be gone after Finish()";
  EXPECT_GT(b->data.size(), 6u << 20);
  // Tables for the manifest: base tables only, no rows recorded.
  std::vector<std::string> names = TableNames(b->manifest);
  EXPECT_EQ(names.size(), 32u + 7u);
  EXPECT_NE(std::find(names.begin(), names.end(), "we\"ird name"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "back`tick"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "v_items"), names.end());
  for (const auto& t : b->manifest.tables()) EXPECT_EQ(t.rows(), -1);
  // Restores never drop what is there unless asked.
  EXPECT_FALSE(absl::StrContains(b->data, "\nDROP TABLE"));
  EXPECT_FALSE(absl::StrContains(b->data, "\nDROP DATABASE"));

  DropDatabase("rt_dst");
  absl::Status st = Restore(server_->Target("rt", "rt_dst"), *b);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_TRUE(WorkDirEmpty());
  std::string src = DumpOf("rt_src"), dst = DumpOf("rt_dst");
  ASSERT_FALSE(absl::StartsWith(src, "ERROR")) << src;
  EXPECT_TRUE(src == dst) << FirstDifference(src, dst);
  // The same content, asked for independently of any dump.
  for (const char* sql :
       {"SELECT MD5(b), LENGTH(b), MD5(t), CHAR_LENGTH(t) FROM blobs ORDER BY k;",
        "SELECT id, name, note, HEX(note) FROM items ORDER BY id;",
        "SELECT COUNT(*), GROUP_CONCAT(what ORDER BY id) FROM audit;",
        "SELECT add_one(41);", "SELECT COUNT(*) FROM v_items;",
        "SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE();",
        "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE();"}) {
    EXPECT_EQ(Q("rt_src", sql), Q("rt_dst", sql)) << sql;
  }
  EXPECT_EQ(Q("rt_dst", "SELECT add_one(41);"), "42\n");
  EXPECT_EQ(Q("rt_dst", "CALL bump(1);"), "2\n");  // the restore did not fire the trigger
  // The 2 MB blob with its NUL bytes arrived intact.
  EXPECT_EQ(Q("rt_dst", "SELECT LENGTH(b) FROM blobs WHERE k = 1;"), "2097152\n");
}

TEST_F(MysqlEngineTest, HostileNamesAreOnlyData) {
  const std::string file = "/tmp/dbdump-mysql-x";
  fs::remove(file);
  for (const std::string name :
       {"--file=/tmp/dbdump-mysql-x", "host=evil dbname=x", "a;b $(id)", "back`tick 'q' \"dq\""}) {
    SCOPED_TRACE(name);
    CreateDatabase(name);
    Exec(name, absl::StrCat("CREATE TABLE t (v VARCHAR(100)); INSERT INTO t VALUES (", SqlString(name), ");"));
    v1::DatabaseTarget t = server_->Target("hostile", name);
    auto v = engine_->TestConnection(t);
    EXPECT_TRUE(v.ok()) << v.status();
    auto b = BackUp(t);
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_TRUE(absl::StrContains(b->data, "Database: " + name)) << b->data.substr(0, 400);
    EXPECT_EQ(TableNames(b->manifest), std::vector<std::string>{"t"});
    std::string copy = name + "_copy";
    DropDatabase(copy);
    absl::Status st = Restore(server_->Target("hostile", copy), *b);
    ASSERT_TRUE(st.ok()) << st;
    EXPECT_EQ(Q(copy, "SELECT v FROM t;"), name + "\n");
    EXPECT_EQ(DumpOf(copy), DumpOf(name));
    auto tables = engine_->InspectTables(server_->Target("hostile", copy));
    ASSERT_TRUE(tables.ok()) << tables.status();
    ASSERT_EQ(tables->size(), 1u);
    EXPECT_EQ((*tables)[0].rows(), 1);
    // Several databases, the hostile one among them.
    v1::DatabaseTarget multi = server_->Target("hostile", "");
    multi.mutable_dump_options()->add_databases(name);
    auto mb = BackUp(multi);
    ASSERT_TRUE(mb.ok()) << mb.status();
    EXPECT_EQ(TableNames(mb->manifest), std::vector<std::string>{name + ".t"});
    EXPECT_FALSE(fs::exists(file));
  }
  EXPECT_FALSE(fs::exists(file));
  // Names MySQL cannot have are refused with a clear error before any tool runs.
  size_t runs = runner_.started().size();
  for (const std::string& bad : {std::string(""), std::string("a\0b", 3), std::string(65, 'x'),
                                std::string("trailing ")}) {
    v1::DatabaseTarget t = server_->Target("bad", bad);
    auto s = engine_->StartDump(t, work_);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << s.status();
    auto r = engine_->StartRestore(t, v1::Manifest(), {}, work_);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  }
  EXPECT_EQ(runner_.started().size(), runs);
}

TEST_F(MysqlEngineTest, ErrorsSayWhatIsWrong) {
  // A password the option file must quote and escape.
  const std::string odd = "q\"uo te#hash;semi'apos\\back=x\\";
  Exec("", absl::StrCat("CREATE USER IF NOT EXISTS 'odd'@'127.0.0.1' IDENTIFIED BY ", SqlString(odd),
                        "; GRANT ALL ON *.* TO 'odd'@'127.0.0.1';"));
  std::string odd_file = dir_ + "/odd-password";
  {
    std::ofstream f(odd_file);
    f << odd << "\n";
  }
  chmod(odd_file.c_str(), 0600);
  v1::DatabaseTarget t = server_->Target("odd", "");
  t.set_user("odd");
  t.set_password_ref("file:" + odd_file);
  auto v = engine_->TestConnection(t);
  EXPECT_TRUE(v.ok()) << v.status();

  // Wrong password: PermissionDenied, and no password in the message.
  const std::string wrong = "wrong-secret-1234";
  std::string wrong_file = dir_ + "/wrong-password";
  {
    std::ofstream f(wrong_file);
    f << wrong << "\n";
  }
  chmod(wrong_file.c_str(), 0600);
  t = server_->Target("wrong", "");
  t.set_password_ref("file:" + wrong_file);
  v = engine_->TestConnection(t);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kPermissionDenied) << v.status();
  EXPECT_TRUE(absl::StrContains(v.status().message(), "check the user and the password reference"))
      << v.status();
  EXPECT_FALSE(absl::StrContains(v.status().message(), wrong));
  EXPECT_FALSE(absl::StrContains(v.status().message(), server_->password()));
  t.set_database("mysql");
  auto d = engine_->StartDump(t, work_);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kPermissionDenied) << d.status();
  EXPECT_FALSE(absl::StrContains(d.status().message(), wrong));

  // Nothing listens on port 1.
  t = server_->Target("down", "");
  t.set_port(1);
  v = engine_->TestConnection(t);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kUnavailable) << v.status();
  EXPECT_TRUE(absl::StrContains(v.status().message(), "check host and port")) << v.status();

  // A database that is not there.
  v = engine_->TestConnection(server_->Target("missing", "no_such_db"));
  EXPECT_EQ(v.status().code(), absl::StatusCode::kNotFound) << v.status();
  auto m = engine_->StartDump(server_->Target("missing", "no_such_db"), work_);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kNotFound) << m.status();
  EXPECT_TRUE(absl::StrContains(m.status().message(), "no_such_db")) << m.status();
  EXPECT_TRUE(WorkDirEmpty());
}

TEST_F(MysqlEngineTest, NoSecretInArgvOrEnvironment) {
  CreateDatabase("secret_src");
  // More than a pipe holds, so the dump waits for us while we look at it.
  Exec("secret_src", "CREATE TABLE big (id INT PRIMARY KEY, v LONGTEXT);"
                     "INSERT INTO big VALUES (1, REPEAT('x', 1000000)), (2, REPEAT('y', 1000000));");
  auto s = engine_->StartDump(server_->Target("s", "secret_src"), work_);
  ASSERT_TRUE(s.ok()) << s.status();
  auto started = runner_.started();
  ASSERT_FALSE(started.empty());
  const RecordingRunner::Started& dump = started.back();
  ASSERT_TRUE(absl::EndsWith(dump.options.argv[0], "mariadb-dump")) << dump.options.argv[0];
  // The parent may run on before the kernel has laid out the new image's
  // arguments: poll briefly (the dump waits on its full pipe meanwhile).
  std::string cmdline, environ;
  for (int i = 0; i < 200 && cmdline.empty(); ++i) {
    cmdline = ReadProcFile(dump.pid, "cmdline");
    environ = ReadProcFile(dump.pid, "environ");
    if (cmdline.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_FALSE(cmdline.empty()) << "the dump ended before it could be inspected: "
                                << ReadProcFile(dump.pid, "status");
  EXPECT_FALSE(absl::StrContains(cmdline, server_->password()));
  EXPECT_TRUE(absl::StrContains(cmdline, "--defaults-file=" + work_ + "/")) << cmdline;
  EXPECT_FALSE(absl::StrContains(environ, "MYSQL_PWD"));
  EXPECT_FALSE(absl::StrContains(environ, server_->password()));
  EXPECT_TRUE(absl::StrContains(environ, "HOME=/nonexistent"));
  // The option file exists while the dump runs, readable by its owner only.
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(work_)) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  struct stat st;
  ASSERT_EQ(stat(files[0].c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  std::string data;
  char buf[65536];
  while (true) {
    auto n = (*s)->source()->Read(buf, sizeof buf);
    ASSERT_TRUE(n.ok());
    if (*n == 0) break;
    data.append(buf, *n);
  }
  ASSERT_TRUE((*s)->Finish().ok());
  EXPECT_GT(data.size(), 2000000u);
  EXPECT_FALSE(absl::StrContains(data, server_->password()));
  EXPECT_TRUE(WorkDirEmpty()) << "the option file must be removed when the dump ends";

  // A restore and the catalog queries: no secret in any argv or environment.
  DropDatabase("secret_dst");
  Backup b{data, {}};
  ASSERT_TRUE(Restore(server_->Target("s", "secret_dst"), b).ok());
  ASSERT_TRUE(engine_->InspectTables(server_->Target("s", "secret_dst")).ok());
  for (const auto& p : runner_.started()) {
    for (const std::string& a : p.options.argv) {
      EXPECT_FALSE(absl::StrContains(a, server_->password())) << a;
    }
    EXPECT_EQ(p.options.env.count("MYSQL_PWD"), 0u);
    for (const auto& [k, val] : p.options.env) {
      EXPECT_FALSE(absl::StrContains(val, server_->password())) << k;
    }
    // Every tool run but the version probe reads the connection from the
    // option file and from nothing else.
    if (p.options.argv.size() == 2 && p.options.argv[1] == "--version") continue;
    EXPECT_EQ(p.options.argv[1].rfind("--defaults-file=", 0), 0u) << p.options.argv[1];
  }
  EXPECT_TRUE(WorkDirEmpty());
}

// The way the agent really uses the engine: JobRunner streams the dump
// through compression and checksums into storage and back.
TEST_F(MysqlEngineTest, JobRunnerBackupRestoreTestRestoreAndDryRun) {
  CreateAwkwardContent("jr_src");
  v1::StorageDestination storage;
  storage.set_name("local");
  storage.set_kind(v1::STORAGE_KIND_LOCAL);
  storage.set_path(dir_ + "/store");
  JobRunnerOptions ro;
  ro.agent_name = "agent-test";
  ro.work_dir = work_;
  ro.buffer_bytes = 256 << 10;
  ro.buffers = 4;
  ro.compression_workers = 2;
  v1::BackupJob job;
  job.set_job_id(NewJobId(absl::Now()));
  job.set_backup_id(NewBackupId(absl::Now()));
  *job.mutable_target() = server_->Target("jr", "jr_src");
  *job.mutable_storage() = storage;
  job.set_compression(v1::COMPRESSION_ZSTD);
  JobTracker bt(job.job_id());
  auto m = JobRunner(ro).Backup(job, engine_.get(), &bt);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->engine(), v1::ENGINE_MYSQL);
  EXPECT_EQ(m->dump_format(), "mysql sql");
  EXPECT_TRUE(absl::EndsWith(m->dump_object(), ".sql.zst")) << m->dump_object();
  EXPECT_TRUE(absl::StartsWith(m->tool_version(), "mariadb-dump ")) << m->tool_version();
  EXPECT_TRUE(absl::StrContains(m->server_version(), "MariaDB")) << m->server_version();
  EXPECT_EQ(m->tables_size(), 39);
  EXPECT_TRUE(WorkDirEmpty());

  auto restore_job = [&](const std::string& into) {
    v1::RestoreJob r;
    r.set_job_id(NewJobId(absl::Now()));
    r.set_backup_id(job.backup_id());
    r.set_source_database("jr");
    *r.mutable_storage() = storage;
    *r.mutable_target() = server_->Target("jr", into);
    return r;
  };
  DropDatabase("jr_dst");
  v1::RestoreJob r = restore_job("jr_dst");
  JobTracker rt(r.job_id());
  absl::Status st = JobRunner(ro).Restore(r, engine_.get(), &rt);
  ASSERT_TRUE(st.ok()) << st;
  std::string src = DumpOf("jr_src"), dst = DumpOf("jr_dst");
  EXPECT_TRUE(src == dst) << FirstDifference(src, dst);

  v1::RestoreJob test = restore_job("jr_src");
  test.mutable_options()->set_test_restore(true);
  JobTracker tt(test.job_id());
  v1::RestoreReport report;
  st = JobRunner(ro).Restore(test, engine_.get(), &tt, &report);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_TRUE(absl::StartsWith(report.scratch_database(), "dbdump_scratch_")) << report.scratch_database();
  EXPECT_TRUE(report.scratch_dropped());
  EXPECT_EQ(report.tables_size(), 39);
  for (const auto& c : report.tables()) EXPECT_TRUE(c.ok()) << c.name();
  EXPECT_FALSE(server_->HasDatabase(report.scratch_database()));

  std::vector<std::string> before = server_->Databases();
  v1::RestoreJob dry = restore_job("jr_dry");
  dry.mutable_options()->set_dry_run(true);
  JobTracker dt(dry.job_id());
  v1::RestoreReport dry_report;
  st = JobRunner(ro).Restore(dry, engine_.get(), &dt, &dry_report);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(dry_report.listed_entries(), 39u);
  EXPECT_TRUE(absl::StrContains(dry_report.summary(), "39 tables in the SQL dump")) << dry_report.summary();
  EXPECT_EQ(server_->Databases(), before);

  // A corrupted backup: the client has run most of the dump by the time the
  // checksum fails, so the restore undoes itself.
  std::string stored = absl::StrCat(storage.path(), "/jr/", job.backup_id(), "/", m->dump_object());
  {
    std::fstream f(stored, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(m->stored_size_bytes() * 3 / 4));
    f.put('\x5a');
  }
  DropDatabase("jr_corrupt");
  v1::RestoreJob bad = restore_job("jr_corrupt");
  JobTracker xt(bad.job_id());
  st = JobRunner(ro).Restore(bad, engine_.get(), &xt);
  EXPECT_TRUE(absl::IsDataLoss(st)) << st;
  EXPECT_FALSE(server_->HasDatabase("jr_corrupt"));
  CreateDatabase("jr_corrupt_existing");
  v1::RestoreJob bad2 = restore_job("jr_corrupt_existing");
  JobTracker xt2(bad2.job_id());
  st = JobRunner(ro).Restore(bad2, engine_.get(), &xt2);
  EXPECT_TRUE(absl::IsDataLoss(st)) << st;
  EXPECT_EQ(Q("", "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'jr_corrupt_existing';"),
            "0\n");
  EXPECT_TRUE(WorkDirEmpty());
}

}  // namespace
}  // namespace dbdump
