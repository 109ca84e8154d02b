// MongoEngine against a STAND-IN for mongodump and mongorestore.
//
// No MongoDB server and no MongoDB Database Tools can be installed on these
// machines, so these tests run the engine's real command lines, config files
// and byte streams through tests/fixtures/mongo_standin.py, installed in a
// temporary directory under the names mongodump and mongorestore. It parses
// the real flags, reads the --config YAML file, checks the password against
// a JSON "server" and writes and reads the real archive format; see its
// header for what it covers. Processes are started by the real
// SubprocessRunner.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/job_tracker.h"
#include "common/engines/job_runner.h"
#include "common/engines/mongodb/mongo_engine.h"
#include "common/base/names.h"
#include "gtest/gtest.h"
#include "tests/fixtures/mongo_engine_fixture.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;
using testing::Drain;
using testing::FixturesDir;
using testing::Has;
using testing::kPassword;
using testing::kPort;
using testing::kUri;
using testing::ManyDocs;
using testing::MongoEngineTest;
using testing::ReadFile;
using testing::StandinRunner;
using testing::WriteFile;

TEST_F(MongoEngineTest, ToolVersionAndCapabilities) {
  EXPECT_EQ(engine_->ToolVersion(), "100.9.4");
  v1::EngineCapabilities c = engine_->Capabilities();
  EXPECT_EQ(absl::StrJoin(c.formats(), ","), "archive");
  EXPECT_EQ(absl::StrJoin(c.selective_options(), ","), "include_namespaces,exclude_namespaces");
  EXPECT_EQ(absl::StrJoin(c.restore_options(), ","), "clean,dry_run,jobs");
}

TEST_F(MongoEngineTest, RoundTripIntoAnotherDatabase) {
  std::string before = Db("shop");
  ASSERT_TRUE(Has(before, "日本語"));
  Dumped d = Dump(Target("shop"));
  ASSERT_TRUE(d.status.ok()) << d.status;
  EXPECT_EQ(d.manifest.server_version(), "7.0.14");
  EXPECT_EQ(d.manifest.tool_version(), "100.9.4");
  EXPECT_EQ(d.manifest.dump_format(), "mongodump archive");
  std::vector<std::string> tables;
  for (const auto& t : d.manifest.tables()) {
    tables.push_back(t.name());
    EXPECT_EQ(t.rows(), -1);
  }
  EXPECT_EQ(absl::StrJoin(tables, ","), "shop.empty,shop.items,shop.users");
  // The stream is the tool's archive, byte for byte the same on a second run.
  EXPECT_EQ(d.bytes.substr(0, 4), std::string("\x6d\xe2\x99\x81", 4));
  EXPECT_EQ(Dump(Target("shop")).bytes, d.bytes);
  EXPECT_TRUE(WorkDirEmpty());

  Restored r = Restore(Target("copy"), d.manifest, d.bytes);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(Db("copy"), before);
  EXPECT_EQ(Db("shop"), before);
  EXPECT_EQ(Db("crm"), Db("crm"));  // untouched
  EXPECT_EQ(Inspect({"dbs"}), "[\"copy\", \"crm\", \"shop\"]");
  EXPECT_EQ(Call("mongorestore", {"options", "multi", "nsFrom"}), "[\"shop.*\"]");
  EXPECT_EQ(Call("mongorestore", {"options", "multi", "nsTo"}), "[\"copy.*\"]");
  EXPECT_TRUE(WorkDirEmpty());
}

TEST_F(MongoEngineTest, AllDatabasesRoundTripUnderTheirOwnNames) {
  std::string shop = Db("shop"), crm = Db("crm");
  Dumped d = Dump(Target(""));
  ASSERT_TRUE(d.status.ok()) << d.status;
  EXPECT_EQ(d.manifest.tables_size(), 4);
  SetServer("{}");  // a new, empty server
  Restored r = Restore(Target(""), d.manifest, d.bytes);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(Db("shop"), shop);
  EXPECT_EQ(Db("crm"), crm);
  // Into one named database, several databases cannot go.
  Restored one = Restore(Target("copy"), d.manifest, d.bytes);
  EXPECT_TRUE(absl::IsInvalidArgument(one.status)) << one.status;
  EXPECT_TRUE(Has(std::string(one.status.message()), "crm, shop"));
}

TEST_F(MongoEngineTest, ExactCommandLinesForDumpAndRestore) {
  v1::DatabaseTarget t = Target("shop");
  t.mutable_dump_options()->add_include_namespaces("shop.items");
  Dumped d = Dump(t);
  ASSERT_TRUE(d.status.ok()) << d.status;
  ASSERT_EQ(runner_.started.size(), 2u);  // --version, then the dump
  EXPECT_EQ(runner_.started[0].argv,
            (std::vector<std::string>{dir_ + "/bin/mongodump", "--version"}));
  const ProcessOptions dump = runner_.started[1];  // a copy: more starts follow
  ASSERT_EQ(dump.argv.size(), 8u) << absl::StrJoin(dump.argv, " ");
  EXPECT_EQ(dump.argv[0], dir_ + "/bin/mongodump");
  EXPECT_TRUE(absl::StartsWith(dump.argv[1], "--config=" + dir_ + "/work/mongo-config-"));
  EXPECT_TRUE(absl::EndsWith(dump.argv[1], ".yaml"));
  std::vector<std::string> rest(dump.argv.begin() + 2, dump.argv.end());
  EXPECT_EQ(rest, (std::vector<std::string>{kUri, "--username=backup", "--dialTimeout=10",
                                            "--db=shop", "--collection=items", "--archive"}));
  EXPECT_EQ(dump.env, (std::map<std::string, std::string>{{"PATH", "/usr/bin:/bin"},
                                                          {"LC_ALL", "C.UTF-8"}}));
  EXPECT_TRUE(dump.pipe_stdout);
  EXPECT_FALSE(dump.pipe_stdin);
  // The config file held the password, YAML-quoted, and nothing else.
  EXPECT_EQ(Call("mongodump", {"config_mode"}), "\"0600\"");
  EXPECT_TRUE(Has(Call("mongodump", {"config_text"}), "password: \\\"Pa55 \\\\\\\"w0rd"));

  v1::DatabaseTarget ex = Target("shop");
  ex.mutable_dump_options()->add_exclude_namespaces("shop.users");
  ex.mutable_dump_options()->add_exclude_namespaces("shop.logs");
  ASSERT_TRUE(Dump(ex).status.ok());
  std::vector<std::string> ex_argv(runner_.started.back().argv.begin() + 2,
                                   runner_.started.back().argv.end());
  EXPECT_EQ(ex_argv, (std::vector<std::string>{kUri, "--username=backup", "--dialTimeout=10",
                                               "--db=shop",
                                               "--excludeCollection=users",
                                               "--excludeCollection=logs", "--archive"}));

  v1::RestoreOptions all;
  all.set_clean(true);
  all.set_dry_run(true);
  all.set_jobs(3);
  Restored r = Restore(Target("copy"), d.manifest, d.bytes, all);
  ASSERT_TRUE(r.status.ok()) << r.status;
  const ProcessOptions& restore = runner_.started.back();
  EXPECT_EQ(restore.argv[0], dir_ + "/bin/mongorestore");
  EXPECT_TRUE(absl::StartsWith(restore.argv[1], "--config=" + dir_ + "/work/mongo-config-"));
  std::vector<std::string> restore_rest(restore.argv.begin() + 2, restore.argv.end());
  EXPECT_EQ(restore_rest,
            (std::vector<std::string>{kUri, "--username=backup", "--dialTimeout=10", "--archive",
                                      "--stopOnError",
                                      "--drop", "--dryRun", "--numParallelCollections=3",
                                      "--nsFrom=shop.*", "--nsTo=copy.*"}));
  EXPECT_TRUE(restore.pipe_stdin);
  EXPECT_EQ(restore.env, dump.env);
  for (const ProcessOptions& p : runner_.started) {
    for (const std::string& a : p.argv) {
      EXPECT_NE(a, "--gzip");
      EXPECT_FALSE(absl::StrContains(a, "assword")) << a;
    }
  }
}

TEST_F(MongoEngineTest, WrongPasswordIsPermissionDeniedWithoutThePassword) {
  const std::string wrong = "wr0ng-Secret-4711";
  WritePassword(wrong);
  absl::StatusOr<std::string> tc = engine_->TestConnection(Target("shop"));
  ASSERT_TRUE(absl::IsPermissionDenied(tc.status())) << tc.status();
  std::string msg(tc.status().message());
  EXPECT_TRUE(Has(msg, "authentication failed"));
  EXPECT_TRUE(Has(msg, "check the user and the password reference"));
  EXPECT_EQ(msg.find('\n'), std::string::npos);

  Dumped d = Dump(Target("shop"));
  EXPECT_TRUE(absl::IsPermissionDenied(d.status)) << d.status;
  for (const absl::Status& st : {tc.status(), d.status}) {
    EXPECT_FALSE(absl::StrContains(st.message(), wrong)) << st;
    EXPECT_FALSE(absl::StrContains(st.message(), kPassword)) << st;
  }
  EXPECT_TRUE(WorkDirEmpty());
}

TEST_F(MongoEngineTest, TestConnectionChecksCredentialsWithoutTouchingData) {
  absl::StatusOr<std::string> v = engine_->TestConnection(Target("shop"));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(Has(*v, "unknown (mongodump 100.9.4"));
  EXPECT_TRUE(Has(Call("mongodump", {"options", "collection"}), "dbdump-connection-probe-"));
  EXPECT_TRUE(WorkDirEmpty());

  v1::DatabaseTarget unreachable = Target("shop");
  unreachable.set_port(kPort + 1);
  auto down = engine_->TestConnection(unreachable);
  EXPECT_TRUE(absl::IsUnavailable(down.status())) << down.status();
  EXPECT_TRUE(Has(std::string(down.status().message()), "check host and port"));

  v1::DatabaseTarget no_password = Target("shop");
  no_password.clear_password_ref();
  EXPECT_TRUE(absl::IsFailedPrecondition(engine_->TestConnection(no_password).status()));
  v1::DatabaseTarget bad_host = Target("shop");
  bad_host.set_host("evil/?authMechanism=PLAIN");
  EXPECT_TRUE(absl::IsInvalidArgument(engine_->TestConnection(bad_host).status()));

  MongoEngineOptions none;
  none.runner = &runner_;
  none.search_path = dir_ + "/work";
  auto missing = MongoEngine(none).TestConnection(Target("shop"));
  EXPECT_TRUE(absl::IsFailedPrecondition(missing.status()));
  EXPECT_TRUE(Has(std::string(missing.status().message()), "mongodump is not installed"));
}

// Reads /proc/<pid>/<what> of a running child.
std::string Proc(pid_t pid, const char* what) {
  return ReadFile(absl::StrCat("/proc/", pid, "/", what));
}

TEST_F(MongoEngineTest, PasswordNeverInArgvNorEnvironmentAndConfigFileIsPrivate) {
  runner_.extra_env["DBDUMP_MONGO_STANDIN_SLEEP_MS"] = "1500";
  auto s = engine_->StartDump(Target("shop"), dir_ + "/work");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_FALSE(runner_.pids.empty());
  pid_t pid = runner_.pids.back();
  std::string config = runner_.started.back().argv[1].substr(strlen("--config="));
  ASSERT_TRUE(WaitUntilRunning(pid));
  // While the tool runs: its command line and environment, and its config file.
  std::string cmdline = Proc(pid, "cmdline");
  std::string environ = Proc(pid, "environ");
  struct stat st;
  ASSERT_EQ(stat(config.c_str(), &st), 0) << config;
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(Has(ReadFile(config), "password: \"Pa55"));
  ASSERT_TRUE(Has(cmdline, "--username=backup"));  // it is the tool's
  EXPECT_TRUE(Has(environ, "DBDUMP_MONGO_STANDIN_STATE="));
  EXPECT_FALSE(absl::StrContains(cmdline, kPassword));
  EXPECT_FALSE(absl::StrContains(cmdline, "Pa55"));
  EXPECT_FALSE(absl::StrContains(environ, "Pa55"));
  std::string bytes = Drain((*s)->source());
  ASSERT_TRUE((*s)->Finish().ok());
  EXPECT_GT(bytes.size(), 0u);
  EXPECT_NE(stat(config.c_str(), &st), 0) << "config file left behind";

  // The same for a restore, whose child reads the archive on stdin.
  v1::Manifest m;
  for (const char* t : {"shop.empty", "shop.items", "shop.users"}) m.add_tables()->set_name(t);
  auto r = engine_->StartRestore(Target("copy"), m, {}, dir_ + "/work");
  ASSERT_TRUE(r.ok()) << r.status();
  pid = runner_.pids.back();
  config = runner_.started.back().argv[1].substr(strlen("--config="));
  ASSERT_TRUE(WaitUntilRunning(pid));
  ASSERT_EQ(stat(config.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string restore_cmdline = Proc(pid, "cmdline");
  ASSERT_TRUE(Has(restore_cmdline, "--archive"));  // it is the tool's
  EXPECT_FALSE(absl::StrContains(restore_cmdline, "Pa55"));
  EXPECT_FALSE(absl::StrContains(Proc(pid, "environ"), "Pa55"));
  ASSERT_TRUE((*r)->sink()->Write(bytes.data(), bytes.size()).ok());
  ASSERT_TRUE((*r)->sink()->Finish().ok());
  ASSERT_TRUE((*r)->Finish().ok());
  EXPECT_NE(stat(config.c_str(), &st), 0);
  EXPECT_EQ(Db("copy"), Db("shop"));
  // The stand-in got the password from the file (it authenticated) and
  // printed no warning about one on the command line.
  EXPECT_EQ(Call("mongorestore", {"options", "password"}), "null");
}

TEST_F(MongoEngineTest, HostileNamesArePassedAsValues) {
  // A name with '/' is no MongoDB database name: refused before any tool runs.
  std::string outside = dir_ + "/x";
  auto refused = engine_->StartDump(Target("--file=" + outside), dir_ + "/work");
  EXPECT_TRUE(absl::IsInvalidArgument(refused.status())) << refused.status();
  EXPECT_TRUE(runner_.started.empty());

  // Names that look like options, allowed by MongoDB, reach the tool as the
  // values of --db and --collection: if the tool parsed them as --out it
  // would write a dump directory there.
  std::string db = "--out=hostile-db";
  std::string coll = "--out=" + dir_ + "/hostile-out";
  SetServer(absl::StrCat("{", JsonString(db), ": {", JsonString(coll), ": [{\"_id\": 1}]}}"));
  v1::DatabaseTarget t = Target(db);
  t.mutable_dump_options()->add_include_namespaces(db + "." + coll);
  Dumped d = Dump(t);
  ASSERT_TRUE(d.status.ok()) << d.status;
  const std::vector<std::string>& argv = runner_.started.back().argv;
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--db=" + db), argv.end());
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--collection=" + coll), argv.end());
  EXPECT_EQ(Call("mongodump", {"options", "db"}), JsonString(db));
  EXPECT_EQ(Call("mongodump", {"options", "collection"}), JsonString(coll));
  EXPECT_EQ(Call("mongodump", {"options", "out"}), "null");
  ASSERT_EQ(d.manifest.tables_size(), 1);
  EXPECT_EQ(d.manifest.tables(0).name(), db + "." + coll);
  EXPECT_FALSE(fs::exists(dir_ + "/hostile-out"));
  EXPECT_FALSE(fs::exists("hostile-db"));
  EXPECT_FALSE(fs::exists(outside));

  // Restored into another database whose name also looks like an option.
  std::string into = "--drop*";
  ASSERT_TRUE(Restore(Target(into), d.manifest, d.bytes).status.ok());
  EXPECT_EQ(Call("mongorestore", {"options", "multi", "nsFrom"}), "[\"--out=hostile-db.*\"]");
  EXPECT_EQ(Call("mongorestore", {"options", "multi", "nsTo"}), "[\"--drop\\\\*.*\"]");
  EXPECT_EQ(Call("mongorestore", {"options", "drop"}), "null");
  EXPECT_EQ(Db(into), Db(db));
}

TEST_F(MongoEngineTest, JobRunnerBacksUpAndRestoresThroughStorage) {
  // The agent's whole data path: zstd, both checksums, local storage, the
  // manifest, the checksum hold-back before mongorestore, dry run and
  // restore into another database.
  SetServer(absl::StrCat("{\"shop\": {\"big\": ", ManyDocs(4000, 300),
                         ", \"items\": [{\"_id\": 1, \"name\": \"ünï ✓\"}]}}"));
  v1::StorageDestination storage;
  storage.set_name("local");
  storage.set_kind(v1::STORAGE_KIND_LOCAL);
  storage.set_path(dir_ + "/store");
  JobRunner runner({"agent-test", dir_ + "/work", 256 << 10, 4, 0});
  v1::BackupJob job;
  job.set_job_id(NewJobId(absl::Now()));
  job.set_backup_id(NewBackupId(absl::Now()));
  *job.mutable_target() = Target("shop");
  *job.mutable_storage() = storage;
  job.set_compression(v1::COMPRESSION_ZSTD);
  JobTracker bt(job.job_id());
  absl::StatusOr<v1::Manifest> m = runner.Backup(job, engine_.get(), &bt);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->server_version(), "7.0.14");
  EXPECT_EQ(m->tool_version(), "100.9.4");
  EXPECT_EQ(m->dump_format(), "mongodump archive");
  EXPECT_TRUE(absl::EndsWith(m->dump_object(), "dump.archive.zst")) << m->dump_object();
  ASSERT_EQ(m->tables_size(), 2);
  EXPECT_EQ(m->tables(0).name(), "shop.big");
  std::string before = ReadFile(dir_ + "/state/server.json");

  auto restore_job = [&](const std::string& into) {
    v1::RestoreJob r;
    r.set_job_id(NewJobId(absl::Now()));
    r.set_backup_id(job.backup_id());
    r.set_source_database(job.target().name());
    *r.mutable_storage() = storage;
    *r.mutable_target() = Target(into);
    return r;
  };
  v1::RestoreJob dry = restore_job("copy");
  dry.mutable_options()->set_dry_run(true);
  JobTracker dt(dry.job_id());
  v1::RestoreReport report;
  absl::Status dry_status = runner.Restore(dry, engine_.get(), &dt, &report);
  ASSERT_TRUE(dry_status.ok()) << dry_status;
  EXPECT_EQ(report.listed_entries(), 2u);
  EXPECT_TRUE(Has(report.summary(), "mongorestore --dryRun accepted the archive"));
  EXPECT_EQ(ReadFile(dir_ + "/state/server.json"), before);

  v1::RestoreJob test = restore_job("copy");
  test.mutable_options()->set_test_restore(true);
  JobTracker tt(test.job_id());
  absl::Status tested = runner.Restore(test, engine_.get(), &tt);
  EXPECT_TRUE(absl::IsInvalidArgument(tested)) << tested;
  EXPECT_TRUE(Has(std::string(tested.message()), "test_restore"));

  v1::RestoreJob real = restore_job("copy");
  real.mutable_options()->set_jobs(2);
  JobTracker rt(real.job_id());
  absl::Status restored = runner.Restore(real, engine_.get(), &rt);
  ASSERT_TRUE(restored.ok()) << restored;
  EXPECT_EQ(Db("copy"), Db("shop"));
  EXPECT_TRUE(WorkDirEmpty());
}

}  // namespace
}  // namespace dbdump
