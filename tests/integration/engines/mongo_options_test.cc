// MongoEngine dump and restore options (namespaces, refused options, clean,
// dry run, parallel collections), every database at once, cancelling, an
// archive the manifest does not describe, and test restores through the
// job runner, with the real tools against FerretDB (see
// tests/fixtures/mongo_engine_fixture.h).
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <functional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "agent/job_tracker.h"
#include "common/base/names.h"
#include "common/engines/job_runner.h"
#include "common/engines/mongodb/mongo_engine.h"
#include "gtest/gtest.h"
#include "tests/fixtures/mongo_engine_fixture.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;
using testing::Drain;
using testing::Has;
using testing::HasArg;
using testing::ManyDocs;
using testing::MongoEngineTest;

std::string Joined(const v1::Manifest& m) {
  std::vector<std::string> out;
  for (const auto& t : m.tables()) out.push_back(t.name());
  std::sort(out.begin(), out.end());
  return absl::StrJoin(out, ",");
}

TEST_F(MongoEngineTest, IncludeAndExcludeNamespaces) {
  LoadShop();
  v1::DatabaseTarget inc = Target("shop");
  inc.mutable_dump_options()->add_include_namespaces("shop.items");
  Dumped d = Dump(inc);
  ASSERT_TRUE(d.status.ok()) << d.status;
  EXPECT_EQ(Joined(d.manifest), "shop.items");
  ASSERT_TRUE(Restore(Target("only_items"), d.manifest, d.bytes).status.ok());
  EXPECT_EQ(*server_->Collections("only_items"), std::vector<std::string>{"items"});
  EXPECT_EQ(*server_->Documents("only_items", "items"), *server_->Documents("shop", "items"));

  v1::DatabaseTarget ex = Target("shop");
  ex.mutable_dump_options()->add_exclude_namespaces("shop.users");
  ex.mutable_dump_options()->add_exclude_namespaces("shop.large");
  Dumped e = Dump(ex);
  ASSERT_TRUE(e.status.ok()) << e.status;
  EXPECT_EQ(Joined(e.manifest), "shop.big,shop.items");
  ASSERT_TRUE(Restore(Target("no_users"), e.manifest, e.bytes).status.ok());
  EXPECT_EQ(*server_->Collections("no_users"), (std::vector<std::string>{"big", "items"}));

  // A collection that does not exist: mongodump writes nothing and exits 0.
  v1::DatabaseTarget missing = Target("shop");
  missing.mutable_dump_options()->add_include_namespaces("shop.nope");
  Dumped m = Dump(missing);
  EXPECT_TRUE(absl::IsNotFound(m.status)) << m.status;
  EXPECT_TRUE(Has(std::string(m.status.message()), "check the target's database"));
}

TEST_F(MongoEngineTest, RejectsOptionsMongodumpCannotHonour) {
  auto check = [&](const std::function<void(v1::DumpOptions*)>& set, const std::string& named) {
    v1::DumpOptions o;
    set(&o);
    absl::Status st = engine_->ValidateDumpOptions(o);
    EXPECT_TRUE(absl::IsInvalidArgument(st)) << named << ": " << st;
    EXPECT_TRUE(Has(std::string(st.message()), named));
  };
  check([](v1::DumpOptions* o) { o->set_format("custom"); }, "format");
  check([](v1::DumpOptions* o) { o->set_schema_only(true); }, "schema_only");
  check([](v1::DumpOptions* o) { o->set_data_only(true); }, "data_only");
  check([](v1::DumpOptions* o) { o->add_include_tables("t"); }, "include_tables");
  check([](v1::DumpOptions* o) { o->add_exclude_schemas("s"); }, "exclude_schemas");
  check([](v1::DumpOptions* o) { o->set_globals(true); }, "globals");
  check([](v1::DumpOptions* o) { o->add_databases("x"); }, "databases");
  check([](v1::DumpOptions* o) { o->set_all_databases(true); }, "all_databases");
  check([](v1::DumpOptions* o) {
    o->add_include_namespaces("shop.a");
    o->add_include_namespaces("shop.b");
  }, "include_namespaces");
  check([](v1::DumpOptions* o) {
    o->add_include_namespaces("shop.a");
    o->add_exclude_namespaces("shop.b");
  }, "exclude_namespaces");
  check([](v1::DumpOptions* o) { o->add_include_namespaces("noDot"); }, "database.collection");
  v1::DumpOptions fine;
  fine.set_format("archive");
  EXPECT_TRUE(engine_->ValidateDumpOptions(fine).ok());

  v1::DatabaseTarget other = Target("shop");
  other.mutable_dump_options()->add_include_namespaces("crm.people");
  EXPECT_TRUE(absl::IsInvalidArgument(Dump(other).status));
  v1::DatabaseTarget all_ex = Target("");
  all_ex.mutable_dump_options()->add_exclude_namespaces("shop.users");
  EXPECT_TRUE(absl::IsInvalidArgument(Dump(all_ex).status));

  v1::RestoreOptions no_create;
  no_create.set_no_create(true);
  EXPECT_TRUE(absl::IsInvalidArgument(
      engine_->StartRestore(Target("copy"), {}, no_create, dir_ + "/work").status()));
  // A test restore needs one database to rename into the scratch one.
  auto scratch = engine_->ScratchTarget(Target(""), "job-1", dir_ + "/work");
  EXPECT_TRUE(absl::IsFailedPrecondition(scratch.status()));
  EXPECT_TRUE(Has(std::string(scratch.status().message()), "backup of one database"));
  // Only a scratch database is ever dropped.
  absl::Status drop = engine_->DropScratch(Target("shop"));
  EXPECT_TRUE(absl::IsInvalidArgument(drop)) << drop;
  EXPECT_TRUE(Has(std::string(drop.message()), "refusing to drop"));
  EXPECT_TRUE(runner_.started.empty() || runner_.started.back().argv.back() == "--version");
}

TEST_F(MongoEngineTest, CleanDropsOnlyWhenAsked) {
  LoadShop();
  Dumped d = Dump(Target("shop"));
  ASSERT_TRUE(d.status.ok()) << d.status;
  ASSERT_TRUE(Restore(Target("copy"), d.manifest, d.bytes).status.ok());
  std::string copy = Db("copy");

  // Again without clean: the documents are there already, nothing is dropped.
  Restored again = Restore(Target("copy"), d.manifest, d.bytes);
  EXPECT_TRUE(absl::IsAlreadyExists(again.status)) << again.status;
  EXPECT_TRUE(Has(std::string(again.status.message()), "restore with clean"));
  EXPECT_EQ(Db("copy"), copy);
  EXPECT_FALSE(HasArg(runner_.Last("mongorestore"), "--drop"));

  // With clean (--drop) the backed-up collections are replaced, changed
  // documents come back as they were, and other collections stay.
  ASSERT_TRUE(server_->DropDatabase("copy").ok());
  ASSERT_TRUE(Restore(Target("copy"), d.manifest, d.bytes).status.ok());
  ASSERT_TRUE(server_->Insert("copy", "items", R"([{"_id": 99, "added": "after the backup"}])").ok());
  ASSERT_TRUE(server_->Insert("copy", "notes", R"([{"_id": 1, "keep": true}])").ok());
  v1::RestoreOptions clean;
  clean.set_clean(true);
  Restored cleaned = Restore(Target("copy"), d.manifest, d.bytes, clean);
  ASSERT_TRUE(cleaned.status.ok()) << cleaned.status;
  EXPECT_TRUE(HasArg(runner_.Last("mongorestore"), "--drop"));
  EXPECT_EQ(*server_->Documents("copy", "items"), *server_->Documents("shop", "items"));
  EXPECT_EQ(*server_->Collections("copy"),
            (std::vector<std::string>{"big", "items", "large", "notes", "users"}));
}

TEST_F(MongoEngineTest, DryRunChangesNothingAndReadsTheWholeStream) {
  LoadShop();
  Dumped d = Dump(Target("shop"));
  ASSERT_TRUE(d.status.ok()) << d.status;
  ASSERT_GT(d.bytes.size(), 512u << 10);  // more than a pipe holds
  std::string dbs = Dbs();
  v1::RestoreOptions dry;
  dry.set_dry_run(true);
  dry.set_clean(true);
  Restored r = Restore(Target("copy"), d.manifest, d.bytes, dry);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.listed, 4u);
  EXPECT_EQ(r.summary, "mongorestore --dryRun accepted the archive: 4 collections in shop");
  EXPECT_TRUE(HasArg(runner_.Last("mongorestore"), "--dryRun"));
  EXPECT_EQ(Dbs(), dbs);
  EXPECT_TRUE(WorkDirEmpty());

  // A dry run still fails when the tool does.
  WritePassword("not-the-password");
  Restored bad = Restore(WrongPasswordTarget("copy"), d.manifest, d.bytes, dry);
  EXPECT_TRUE(absl::IsPermissionDenied(bad.status)) << bad.status;
  EXPECT_EQ(Dbs(), dbs);
}

TEST_F(MongoEngineTest, ParallelCollectionsRestoreTheSameData) {
  LoadShop();
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(server_->Insert("shop", absl::StrCat("c", i), ManyDocs(200, 100)).ok());
  }
  std::string before = Db("shop");
  Dumped d = Dump(Target("shop"));
  ASSERT_TRUE(d.status.ok()) << d.status;
  EXPECT_EQ(d.manifest.tables_size(), 10);
  v1::RestoreOptions jobs;
  jobs.set_jobs(4);
  Restored r = Restore(Target("copy"), d.manifest, d.bytes, jobs);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_TRUE(HasArg(runner_.Last("mongorestore"), "--numParallelCollections=4"));
  EXPECT_EQ(Db("copy"), before);
}

TEST_F(MongoEngineTest, AllDatabasesRoundTripUnderTheirOwnNames) {
  // A server without authentication: admin holds no users, which FerretDB
  // could not take back (see the next test).
  server_.reset();
  absl::StatusOr<std::unique_ptr<testing::FerretDbServer>> open =
      testing::FerretDbServer::Start(/*authentication=*/false);
  ASSERT_TRUE(open.ok()) << open.status();
  server_ = std::move(*open);
  LoadShop();
  std::string shop = Db("shop"), crm = Db("crm");
  Dumped d = Dump(Target(""));
  ASSERT_TRUE(d.status.ok()) << d.status;
  EXPECT_EQ(Joined(d.manifest), "crm.people,shop.big,shop.items,shop.large,shop.users");
  EXPECT_FALSE(HasArg(runner_.Last("mongodump"), "--db="));
  // Into one named database, several databases cannot go.
  Restored one = Restore(Target("copy"), d.manifest, d.bytes);
  EXPECT_TRUE(absl::IsInvalidArgument(one.status)) << one.status;
  EXPECT_TRUE(Has(std::string(one.status.message()), "restore into a target without a database"));

  ASSERT_TRUE(server_->DropDatabase("shop").ok());
  ASSERT_TRUE(server_->DropDatabase("crm").ok());
  Restored r = Restore(Target(""), d.manifest, d.bytes);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_FALSE(HasArg(runner_.Last("mongorestore"), "--nsFrom=shop.*"));
  EXPECT_EQ(Db("shop"), shop);
  EXPECT_EQ(Db("crm"), crm);
}

TEST_F(MongoEngineTest, AllDatabasesWithUsersNeedAServerThatTakesThemBack) {
  // With authentication admin.system.users is in the backup; mongorestore
  // restores users through the server's own user management, which
  // FerretDB lacks: the restore fails before any document is written.
  LoadShop();
  Dumped d = Dump(Target(""));
  ASSERT_TRUE(d.status.ok()) << d.status;
  EXPECT_TRUE(Has(Joined(d.manifest), "admin.system.users,crm.people"));
  ASSERT_TRUE(server_->DropDatabase("shop").ok());
  Restored r = Restore(Target(""), d.manifest, d.bytes);
  EXPECT_FALSE(r.status.ok());
  EXPECT_TRUE(Has(std::string(r.status.message()), "auth version")) << r.status;
  EXPECT_EQ(Dbs(), "admin,crm");
}

TEST_F(MongoEngineTest, CancelStopsTheToolsAndLeavesNoFiles) {
  LoadShop();
  // A dump cancelled after its first bytes: the tool goes, its config file too.
  auto s = engine_->StartDump(Target("shop"), dir_ + "/work");
  ASSERT_TRUE(s.ok()) << s.status();
  pid_t pid = runner_.pids.back();
  char buf[4096];
  ASSERT_TRUE((*s)->source()->Read(buf, sizeof buf).ok());
  (*s)->Cancel();
  Drain((*s)->source());
  absl::Status st = (*s)->Finish();
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(kill(pid, 0) != 0 && errno == ESRCH) << "mongodump still runs";
  EXPECT_TRUE(WorkDirEmpty());

  // A restore cancelled halfway: mongorestore is stopped.
  Dumped d = Dump(Target("shop"));
  ASSERT_TRUE(d.status.ok()) << d.status;
  auto r = engine_->StartRestore(Target("copy"), d.manifest, {}, dir_ + "/work");
  ASSERT_TRUE(r.ok()) << r.status();
  pid = runner_.pids.back();
  ASSERT_TRUE((*r)->sink()->Write(d.bytes.data(), d.bytes.size() / 2).ok());
  (*r)->Cancel();
  EXPECT_FALSE((*r)->Finish().ok());
  EXPECT_TRUE(kill(pid, 0) != 0 && errno == ESRCH) << "mongorestore still runs";
  r->reset();
  EXPECT_TRUE(WorkDirEmpty());
}

TEST_F(MongoEngineTest, RestoreRefusesAnArchiveTheManifestDoesNotDescribe) {
  LoadShop();
  Dumped d = Dump(Target("shop"));
  ASSERT_TRUE(d.status.ok()) << d.status;
  std::string dbs = Dbs(), crm = Db("crm");
  v1::Manifest other;
  other.add_tables()->set_name("crm.people");
  Restored r = Restore(Target("crm"), other, d.bytes);
  EXPECT_TRUE(absl::IsFailedPrecondition(r.status)) << r.status;
  EXPECT_TRUE(Has(std::string(r.status.message()), "nothing was restored"));

  Restored garbage = Restore(Target("copy"), d.manifest, "this is not an archive at all");
  EXPECT_TRUE(absl::IsDataLoss(garbage.status)) << garbage.status;
  Restored cut = Restore(Target("copy"), d.manifest, d.bytes.substr(0, 30));
  EXPECT_TRUE(absl::IsDataLoss(cut.status)) << cut.status;
  EXPECT_EQ(Dbs(), dbs);
  EXPECT_EQ(Db("crm"), crm);
}

TEST_F(MongoEngineTest, JobRunnerBacksUpDryRunsTestRestoresAndRestores) {
  // The agent's whole data path: zstd, both checksums, local storage, the
  // manifest; a dry run, a test restore counting the documents of a scratch
  // database through the driver and dropping it, a restore.
  LoadShop();
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
  EXPECT_TRUE(absl::StartsWith(m->server_version(), "7.")) << m->server_version();
  EXPECT_TRUE(absl::EndsWith(m->dump_object(), "dump.archive.zst")) << m->dump_object();
  EXPECT_EQ(Joined(*m), "shop.big,shop.items,shop.large,shop.users");
  std::string dbs = Dbs();

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
  EXPECT_EQ(report.listed_entries(), 4u);
  EXPECT_EQ(Dbs(), dbs);

  v1::RestoreJob test = restore_job("shop");
  test.mutable_options()->set_test_restore(true);
  JobTracker tt(test.job_id());
  v1::RestoreReport tested_report;
  absl::Status tested = runner.Restore(test, engine_.get(), &tt, &tested_report);
  ASSERT_TRUE(tested.ok()) << tested;
  EXPECT_TRUE(absl::StartsWith(tested_report.scratch_database(), "dbdump_scratch_"))
      << tested_report.scratch_database();
  EXPECT_TRUE(tested_report.scratch_dropped());
  std::map<std::string, int64_t> counts;
  for (const v1::TableCheck& c : tested_report.tables()) {
    EXPECT_TRUE(c.ok()) << c.name();
    EXPECT_EQ(c.expected_rows(), c.restored_rows()) << c.name();  // counted at backup time
    counts[c.name()] = c.restored_rows();
  }
  EXPECT_EQ(counts, (std::map<std::string, int64_t>{
                        {"shop.big", 300}, {"shop.items", 3}, {"shop.large", 1}, {"shop.users", 2}}));
  EXPECT_TRUE(Has(tested_report.summary(), "4 tables with 306 rows restored into dbdump_scratch_"));
  EXPECT_EQ(Dbs(), dbs);  // the scratch database is gone

  // A restore that lost documents fails the test restore, which still drops
  // its scratch database: here the manifest claims more than was restored.
  std::string manifest_path = absl::StrCat(dir_, "/store/", job.target().name(), "/",
                                           job.backup_id(), "/manifest.json");
  v1::Manifest claimed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(testing::ReadFile(manifest_path),
                                                          &claimed).ok())
      << manifest_path;
  for (v1::TableInfo& t : *claimed.mutable_tables()) {
    if (t.name() == "shop.users") t.set_rows(5);
  }
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(claimed, &json).ok());
  testing::WriteFile(manifest_path, json);
  v1::RestoreJob lost = restore_job("shop");
  lost.mutable_options()->set_test_restore(true);
  JobTracker lt(lost.job_id());
  v1::RestoreReport lost_report;
  absl::Status failed = runner.Restore(lost, engine_.get(), &lt, &lost_report);
  EXPECT_TRUE(absl::IsDataLoss(failed)) << failed;
  EXPECT_TRUE(Has(std::string(failed.message()), "table shop.users has 2 rows, 5 at backup time"));
  EXPECT_TRUE(lost_report.scratch_dropped());
  EXPECT_EQ(Dbs(), dbs);

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
