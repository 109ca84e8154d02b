// MongoEngine with the real mongodump and mongorestore against a real
// FerretDB server (MongoDB wire protocol, authentication on), started for
// each test by tests/fixtures/ferretdb_server.cc. The test checks what the
// server holds through the MongoDB C driver, a client of its own. What
// FerretDB does not support is in README's support matrix.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/agent_service_impl.h"
#include "agent/job_registry.h"
#include "common/engines/job_runner.h"
#include "common/engines/mongodb/mongo_engine.h"
#include "common/engines/sqlite/sqlite_engine.h"
#include "gtest/gtest.h"
#include "tests/fixtures/mongo_engine_fixture.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;
using testing::Drain;
using testing::Has;
using testing::HasArg;
using testing::MongoEngineTest;
using testing::ReadFile;

std::vector<std::string> Names(const v1::Manifest& m) {
  std::vector<std::string> out;
  for (const auto& t : m.tables()) out.push_back(t.name());
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(MongoEngineTest, ToolVersionAndCapabilities) {
  // The version mongodump --version prints, as the build script stamped it.
  EXPECT_TRUE(absl::StartsWith(engine_->ToolVersion(), "100.12.")) << engine_->ToolVersion();
  // With mongodump alone the engine is unavailable: it could not restore.
  fs::create_directories(dir_ + "/only-dump");
  fs::create_symlink(server_->tools_dir() + "/mongodump", dir_ + "/only-dump/mongodump");
  MongoEngineOptions half;
  half.runner = &runner_;
  half.search_path = dir_ + "/only-dump";
  EXPECT_EQ(MongoEngine(half).ToolVersion(), "");
  half.search_path = dir_ + "/work";
  EXPECT_EQ(MongoEngine(half).ToolVersion(), "");
  v1::EngineCapabilities c = engine_->Capabilities();
  EXPECT_EQ(absl::StrJoin(c.formats(), ","), "archive");
  EXPECT_EQ(absl::StrJoin(c.selective_options(), ","), "include_namespaces,exclude_namespaces");
  EXPECT_EQ(absl::StrJoin(c.restore_options(), ","), "clean,dry_run,jobs,test_restore");
}

// What the agent offers: an engine only with its tools, with their version.
std::vector<v1::Engine> Offered(const std::string& dir, const std::string& mongo_tools,
                                ProcessRunner* runner, v1::GetAgentInfoResponse* info) {
  JobRegistry registry(dir + "/registry");
  JobRunnerOptions ro;
  ro.agent_name = "agent-1";
  ro.work_dir = dir + "/work";
  JobRunner job_runner(ro);
  std::map<v1::Engine, std::unique_ptr<Engine>> engines;
  engines[v1::ENGINE_SQLITE] = std::make_unique<SqliteEngine>();
  MongoEngineOptions mo;
  mo.runner = runner;
  mo.search_path = mongo_tools;
  engines[v1::ENGINE_MONGODB] = std::make_unique<MongoEngine>(mo);
  AgentServiceImpl service("agent-1", std::move(engines), &registry, &job_runner);
  grpc::ServerContext ctx;
  v1::GetAgentInfoRequest req;
  EXPECT_TRUE(service.GetAgentInfo(&ctx, &req, info).ok());
  return service.engines();
}

TEST_F(MongoEngineTest, TheAgentOffersMongoDbOnlyWithItsTools) {
  v1::GetAgentInfoResponse with;
  EXPECT_EQ(Offered(dir_, server_->tools_dir(), &runner_, &with),
            (std::vector<v1::Engine>{v1::ENGINE_SQLITE, v1::ENGINE_MONGODB}));
  ASSERT_EQ(with.engines_size(), 2);
  EXPECT_EQ(with.engines(1).engine(), v1::ENGINE_MONGODB);
  EXPECT_TRUE(absl::StartsWith(with.engines(1).tool_version(), "100.12."));

  v1::GetAgentInfoResponse without;
  EXPECT_EQ(Offered(dir_, dir_ + "/work", &runner_, &without),
            std::vector<v1::Engine>{v1::ENGINE_SQLITE});
  ASSERT_EQ(without.engines_size(), 1);
  EXPECT_EQ(without.engines(0).engine(), v1::ENGINE_SQLITE);
}

TEST_F(MongoEngineTest, RoundTripIntoAnotherDatabaseKeepsTypes) {
  LoadShop();
  std::string before = Db("shop");
  ASSERT_TRUE(Has(before, "日本語"));
  ASSERT_TRUE(Has(before, "\"$date\""));
  ASSERT_TRUE(Has(before, "\"$binary\""));
  ASSERT_TRUE(Has(before, "_id_:{ \"_id\" : 1 }"));
  Dumped d = Dump(Target("shop"));
  ASSERT_TRUE(d.status.ok()) << d.status;
  // The versions the archive itself records.
  EXPECT_TRUE(absl::StartsWith(d.manifest.server_version(), "7.")) << d.manifest.server_version();
  EXPECT_TRUE(absl::StartsWith(d.manifest.tool_version(), "100.12.")) << d.manifest.tool_version();
  EXPECT_EQ(d.manifest.dump_format(), "mongodump archive");
  EXPECT_EQ(Names(d.manifest),
            (std::vector<std::string>{"shop.big", "shop.items", "shop.large", "shop.users"}));
  // The documents of each collection, counted in the archive as it streamed.
  std::map<std::string, int64_t> rows;
  for (const auto& t : d.manifest.tables()) rows[t.name()] = t.rows();
  EXPECT_EQ(rows, (std::map<std::string, int64_t>{
                      {"shop.big", 300}, {"shop.items", 3}, {"shop.large", 1}, {"shop.users", 2}}));
  EXPECT_EQ(d.bytes.substr(0, 4), std::string("\x6d\xe2\x99\x81", 4));
  EXPECT_GT(d.bytes.size(), 4u << 20);
  EXPECT_TRUE(WorkDirEmpty());

  Restored r = Restore(Target("copy"), d.manifest, d.bytes);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(Db("copy"), before);
  EXPECT_EQ(Db("shop"), before);
  EXPECT_EQ(Dbs(), "admin,copy,crm,shop");
  std::vector<std::string> argv = runner_.Last("mongorestore");
  EXPECT_TRUE(HasArg(argv, "--nsFrom=shop.*"));
  EXPECT_TRUE(HasArg(argv, "--nsTo=copy.*"));
  EXPECT_TRUE(WorkDirEmpty());
}

TEST_F(MongoEngineTest, ExactCommandLinesForDumpAndRestore) {
  LoadShop();
  v1::DatabaseTarget t = Target("shop");
  t.mutable_dump_options()->add_include_namespaces("shop.items");
  Dumped d = Dump(t);
  ASSERT_TRUE(d.status.ok()) << d.status;
  std::string uri = absl::StrCat("--uri=mongodb://127.0.0.1:", server_->port(),
                                 "/?authSource=admin");
  std::vector<std::string> dump = runner_.Last("mongodump");
  ASSERT_EQ(dump.size(), 8u) << absl::StrJoin(dump, " ");
  EXPECT_EQ(dump[0], server_->tools_dir() + "/mongodump");
  EXPECT_TRUE(absl::StartsWith(dump[1], "--config=" + dir_ + "/work/mongo-config-"));
  std::vector<std::string> rest(dump.begin() + 2, dump.end());
  EXPECT_EQ(rest, (std::vector<std::string>{uri, "--username=backup", "--dialTimeout=10",
                                            "--db=shop", "--collection=items", "--archive"}));
  EXPECT_EQ(runner_.started.back().env,
            (std::map<std::string, std::string>{{"PATH", "/usr/bin:/bin"},
                                                {"LC_ALL", "C.UTF-8"}}));
  v1::RestoreOptions all;
  all.set_clean(true);
  all.set_jobs(3);
  Restored r = Restore(Target("copy"), d.manifest, d.bytes, all);
  ASSERT_TRUE(r.status.ok()) << r.status;
  std::vector<std::string> restore = runner_.Last("mongorestore");
  std::vector<std::string> restore_rest(restore.begin() + 2, restore.end());
  EXPECT_EQ(restore_rest,
            (std::vector<std::string>{uri, "--username=backup", "--dialTimeout=10", "--archive",
                                      "--stopOnError", "--drop", "--numParallelCollections=3",
                                      "--nsFrom=shop.*", "--nsTo=copy.*"}));
  for (const ProcessOptions& p : runner_.started) {
    for (const std::string& a : p.argv) {
      EXPECT_NE(a, "--gzip");
      EXPECT_FALSE(absl::StrContains(a, "assword")) << a;
    }
  }
  ASSERT_TRUE(server_->Documents("copy", "items").ok());
  EXPECT_EQ(*server_->Documents("copy", "items"), *server_->Documents("shop", "items"));
}

TEST_F(MongoEngineTest, WrongPasswordIsPermissionDeniedWithoutThePassword) {
  LoadShop();
  const std::string wrong = "wr0ng-Secret-4711";
  WritePassword(wrong);
  absl::StatusOr<std::string> tc = engine_->TestConnection(WrongPasswordTarget("shop"));
  ASSERT_TRUE(absl::IsPermissionDenied(tc.status())) << tc.status();
  std::string msg(tc.status().message());
  EXPECT_TRUE(Has(msg, "authentication failed"));
  EXPECT_TRUE(Has(msg, "check the user and the password reference"));

  Dumped d = Dump(WrongPasswordTarget("shop"));
  EXPECT_TRUE(absl::IsPermissionDenied(d.status)) << d.status;
  Dumped good = Dump(Target("shop"));
  ASSERT_TRUE(good.status.ok()) << good.status;
  Restored r = Restore(WrongPasswordTarget("copy"), good.manifest, good.bytes);
  EXPECT_TRUE(absl::IsPermissionDenied(r.status)) << r.status;
  std::string real = ReadFile(server_->dir() + "/server/password");
  real.pop_back();
  for (const absl::Status& st : {tc.status(), d.status, r.status}) {
    EXPECT_FALSE(absl::StrContains(st.message(), wrong)) << st;
    EXPECT_FALSE(absl::StrContains(st.message(), real)) << st;
  }
  EXPECT_EQ(Dbs(), "admin,crm,shop");
  EXPECT_TRUE(WorkDirEmpty());
}

TEST_F(MongoEngineTest, TestConnectionReportsTheServerVersionThroughTheDriver) {
  LoadShop();
  absl::StatusOr<std::string> v = engine_->TestConnection(Target("shop"));
  ASSERT_TRUE(v.ok()) << v.status();
  // FerretDB answers buildInfo as MongoDB 7.0 and names itself.
  EXPECT_TRUE(absl::StartsWith(*v, "7.0.")) << *v;
  EXPECT_TRUE(Has(*v, "(FerretDB v1.24.2)"));
  // The driver, not a tool, asked: no tool ran but the --version probes.
  for (const ProcessOptions& p : runner_.started) {
    EXPECT_EQ(p.argv.size(), 2u) << absl::StrJoin(p.argv, " ");
    EXPECT_EQ(p.argv.back(), "--version");
  }
  EXPECT_TRUE(WorkDirEmpty());

  v1::DatabaseTarget unreachable = Target("shop");
  unreachable.set_port(1);
  auto down = engine_->TestConnection(unreachable);
  EXPECT_TRUE(absl::IsUnavailable(down.status())) << down.status();
  EXPECT_TRUE(Has(std::string(down.status().message()), "check host and port"));

  v1::DatabaseTarget no_password = Target("shop");
  no_password.clear_password_ref();
  EXPECT_TRUE(absl::IsFailedPrecondition(engine_->TestConnection(no_password).status()));
  v1::DatabaseTarget bad_host = Target("shop");
  bad_host.set_host("evil/?authMechanism=PLAIN");
  EXPECT_TRUE(absl::IsInvalidArgument(engine_->TestConnection(bad_host).status()));

  // Without the tools a connection test fails: backups could not run.
  MongoEngineOptions none;
  none.runner = &runner_;
  none.search_path = dir_ + "/work";
  auto missing = MongoEngine(none).TestConnection(Target("shop"));
  EXPECT_TRUE(absl::IsFailedPrecondition(missing.status()));
  EXPECT_TRUE(Has(std::string(missing.status().message()), "mongodump is not installed"));
}

TEST_F(MongoEngineTest, SecondaryIndexesAreInTheArchive) {
  LoadShop();
  ASSERT_TRUE(server_->CreateIndex("shop", "users", R"({"email": 1})", "email_1", true).ok());
  ASSERT_TRUE(
      server_->CreateIndex("shop", "items", R"({"name": 1, "price": -1})", "name_price", false)
          .ok());
  Dumped d = Dump(Target("shop"));
  ASSERT_TRUE(d.status.ok()) << d.status;
  // mongodump records each collection's indexes in the archive's prelude.
  EXPECT_TRUE(Has(d.bytes, "\"name\":\"email_1\""));
  EXPECT_TRUE(Has(d.bytes, "\"unique\":true"));
  EXPECT_TRUE(Has(d.bytes, "\"name\":\"name_price\""));
  // mongorestore creates them with the legacy option "ns", which MongoDB
  // ignores and FerretDB 1.24 refuses: the restore fails, saying so.
  Restored r = Restore(Target("copy"), d.manifest, d.bytes);
  EXPECT_TRUE(absl::IsFailedPrecondition(r.status)) << r.status;
  EXPECT_TRUE(Has(std::string(r.status.message()), "Index option \"ns\" is unknown"));
}

std::string Proc(pid_t pid, const char* what) {
  return ReadFile(absl::StrCat("/proc/", pid, "/", what));
}

// The command line of `pid` once it runs `tool`: /proc/<pid>/cmdline reads
// empty, or the parent's, while the child is still between fork and exec.
std::string CmdlineOnceRunning(pid_t pid, const std::string& tool) {
  std::string cmdline;
  for (int i = 0; i < 500; ++i) {
    cmdline = Proc(pid, "cmdline");
    if (absl::StrContains(cmdline, "/" + tool)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cmdline;
}

TEST_F(MongoEngineTest, PasswordNeverInProcAndConfigFileIsPrivate) {
  LoadShop();
  std::string password = ReadFile(server_->dir() + "/server/password");
  password.pop_back();
  // mongodump blocks on its full stdout pipe until the test reads: it is
  // alive, connected and authenticated while /proc is looked at.
  auto s = engine_->StartDump(Target("shop"), dir_ + "/work");
  ASSERT_TRUE(s.ok()) << s.status();
  pid_t pid = runner_.pids.back();
  std::string config = runner_.started.back().argv[1].substr(strlen("--config="));
  char first[4096];
  absl::StatusOr<size_t> got = (*s)->source()->Read(first, sizeof first);
  ASSERT_TRUE(got.ok() && *got > 0) << got.status();
  struct stat st;
  ASSERT_EQ(stat(config.c_str(), &st), 0) << config;
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string cmdline = CmdlineOnceRunning(pid, "mongodump");
  ASSERT_TRUE(Has(cmdline, "--username=backup"));  // it is the tool's
  EXPECT_FALSE(absl::StrContains(cmdline, password));
  EXPECT_FALSE(absl::StrContains(Proc(pid, "environ"), password));
  std::string bytes = std::string(first, *got) + Drain((*s)->source());
  ASSERT_TRUE((*s)->Finish().ok());
  EXPECT_NE(stat(config.c_str(), &st), 0) << "config file left behind";

  // mongorestore waits for the archive on stdin: the same checks.
  v1::Manifest m;
  for (const char* t : {"shop.big", "shop.items", "shop.large", "shop.users"}) {
    m.add_tables()->set_name(t);
  }
  auto r = engine_->StartRestore(Target("copy"), m, {}, dir_ + "/work");
  ASSERT_TRUE(r.ok()) << r.status();
  pid = runner_.pids.back();
  config = runner_.started.back().argv[1].substr(strlen("--config="));
  ASSERT_EQ(stat(config.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string restore_cmdline = CmdlineOnceRunning(pid, "mongorestore");
  ASSERT_TRUE(Has(restore_cmdline, "--archive"));
  EXPECT_FALSE(absl::StrContains(restore_cmdline, password));
  EXPECT_FALSE(absl::StrContains(Proc(pid, "environ"), password));
  ASSERT_TRUE((*r)->sink()->Write(bytes.data(), bytes.size()).ok());
  ASSERT_TRUE((*r)->sink()->Finish().ok());
  ASSERT_TRUE((*r)->Finish().ok());
  EXPECT_NE(stat(config.c_str(), &st), 0);
  EXPECT_EQ(Db("copy"), Db("shop"));
}

TEST_F(MongoEngineTest, HostileNamesArePassedAsValues) {
  // A name with '/' is no MongoDB database name: refused before any tool runs.
  std::string outside = dir_ + "/x";
  auto refused = engine_->StartDump(Target("--out=" + outside), dir_ + "/work");
  EXPECT_TRUE(absl::IsInvalidArgument(refused.status())) << refused.status();
  EXPECT_TRUE(runner_.started.empty());

  // Names that look like options (FerretDB allows [A-Za-z0-9_-] in database
  // names, almost anything in collection names) reach the tools as the
  // values of --db and --collection: parsed as --out, mongodump would write
  // a dump directory there instead of the archive.
  std::string db = "--drop";
  std::string coll = "--out=" + dir_ + "/hostile-out";
  ASSERT_TRUE(server_->Insert(db, coll, R"([{"_id": 1, "v": "x"}])").ok());
  v1::DatabaseTarget t = Target(db);
  t.mutable_dump_options()->add_include_namespaces(db + "." + coll);
  Dumped d = Dump(t);
  ASSERT_TRUE(d.status.ok()) << d.status;
  std::vector<std::string> argv = runner_.Last("mongodump");
  EXPECT_TRUE(HasArg(argv, "--db=" + db));
  EXPECT_TRUE(HasArg(argv, "--collection=" + coll));
  ASSERT_EQ(d.manifest.tables_size(), 1);
  EXPECT_EQ(d.manifest.tables(0).name(), db + "." + coll);
  EXPECT_FALSE(fs::exists(dir_ + "/hostile-out"));

  // Restored into another database whose name also looks like an option.
  std::string into = "--nsInclude";
  Restored r = Restore(Target(into), d.manifest, d.bytes);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_TRUE(HasArg(runner_.Last("mongorestore"), "--nsFrom=--drop.*"));
  EXPECT_TRUE(HasArg(runner_.Last("mongorestore"), "--nsTo=--nsInclude.*"));
  EXPECT_FALSE(HasArg(runner_.Last("mongorestore"), "--drop"));
  EXPECT_EQ(*server_->Documents(into, coll), *server_->Documents(db, coll));
  EXPECT_EQ(Dbs(), "--drop,--nsInclude,admin");
}

}  // namespace
}  // namespace dbdump
