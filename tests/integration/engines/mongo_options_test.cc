// MongoEngine dump and restore options (namespaces, refused options, clean,
// dry run) and an archive the manifest does not describe, against the
// mongodump/mongorestore stand-in of tests/fixtures/mongo_engine_fixture.h.
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

TEST_F(MongoEngineTest, IncludeAndExcludeNamespaces) {
  v1::DatabaseTarget inc = Target("shop");
  inc.mutable_dump_options()->add_include_namespaces("shop.items");
  Dumped d = Dump(inc);
  ASSERT_TRUE(d.status.ok()) << d.status;
  ASSERT_EQ(d.manifest.tables_size(), 1);
  EXPECT_EQ(d.manifest.tables(0).name(), "shop.items");
  ASSERT_TRUE(Restore(Target("only_items"), d.manifest, d.bytes).status.ok());
  EXPECT_EQ(Inspect({"dbs"}), "[\"crm\", \"only_items\", \"shop\"]");
  EXPECT_EQ(Db("only_items", "items"), Db("shop", "items"));
  EXPECT_EQ(Db("only_items", "users"), "null");

  v1::DatabaseTarget ex = Target("shop");
  ex.mutable_dump_options()->add_exclude_namespaces("shop.users");
  Dumped e = Dump(ex);
  ASSERT_TRUE(e.status.ok()) << e.status;
  std::vector<std::string> names;
  for (const auto& t : e.manifest.tables()) names.push_back(t.name());
  EXPECT_EQ(absl::StrJoin(names, ","), "shop.empty,shop.items");
  ASSERT_TRUE(Restore(Target("no_users"), e.manifest, e.bytes).status.ok());
  EXPECT_EQ(Db("no_users", "items"), Db("shop", "items"));
  EXPECT_EQ(Db("no_users", "users"), "null");

  // A collection that does not exist: mongodump writes nothing and exits 0.
  v1::DatabaseTarget missing = Target("shop");
  missing.mutable_dump_options()->add_include_namespaces("shop.nope");
  Dumped m = Dump(missing);
  EXPECT_TRUE(absl::IsNotFound(m.status)) << m.status;
  EXPECT_TRUE(Has(std::string(m.status.message()), "does not exist"));
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
  auto scratch = engine_->ScratchTarget(Target("shop"), "job-1", dir_ + "/work");
  EXPECT_TRUE(absl::IsUnimplemented(scratch.status()));
  EXPECT_TRUE(Has(std::string(scratch.status().message()), "mongosh"));
  EXPECT_TRUE(runner_.started.empty() || runner_.started.back().argv.back() == "--version");
}

TEST_F(MongoEngineTest, CleanDropsOnlyWhenAsked) {
  Dumped d = Dump(Target("shop"));
  ASSERT_TRUE(d.status.ok()) << d.status;
  ASSERT_TRUE(Restore(Target("copy"), d.manifest, d.bytes).status.ok());
  std::string copy = Db("copy");

  // Again without clean: the documents are there already, nothing is dropped.
  Restored again = Restore(Target("copy"), d.manifest, d.bytes);
  EXPECT_TRUE(absl::IsAlreadyExists(again.status)) << again.status;
  EXPECT_TRUE(Has(std::string(again.status.message()), "restore with clean"));
  EXPECT_EQ(Db("copy"), copy);
  EXPECT_EQ(Call("mongorestore", {"options", "drop"}), "null");

  // With clean the backed-up collections are replaced; others stay.
  Dumped crm = Dump(Target("crm"));
  v1::RestoreOptions clean;
  clean.set_clean(true);
  ASSERT_TRUE(Restore(Target("copy"), crm.manifest, crm.bytes).status.ok());  // copy.people
  std::string with_people = Db("copy");
  ASSERT_TRUE(Has(with_people, "Zoë"));
  Restored cleaned = Restore(Target("copy"), d.manifest, d.bytes, clean);
  ASSERT_TRUE(cleaned.status.ok()) << cleaned.status;
  EXPECT_EQ(Db("copy"), with_people);
  EXPECT_EQ(Call("mongorestore", {"options", "drop"}), "true");
}

TEST_F(MongoEngineTest, DryRunChangesNothingAndReadsTheWholeStream) {
  // Larger than a pipe: the stand-in, like mongorestore --dryRun, reads the
  // prelude only and exits while the engine is still writing.
  SetServer(absl::StrCat("{\"shop\": {\"big\": ", ManyDocs(3000, 200),
                         ", \"items\": [{\"_id\": 1}], \"more\": [{\"_id\": 2}]}}"));
  Dumped d = Dump(Target("shop"));
  ASSERT_TRUE(d.status.ok()) << d.status;
  ASSERT_GT(d.bytes.size(), 512u << 10);
  std::string before = ReadFile(dir_ + "/state/server.json");
  v1::RestoreOptions dry;
  dry.set_dry_run(true);
  dry.set_clean(true);
  Restored r = Restore(Target("copy"), d.manifest, d.bytes, dry);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.listed, 3u);
  EXPECT_EQ(r.summary, "mongorestore --dryRun accepted the archive: 3 collections in shop");
  EXPECT_EQ(ReadFile(dir_ + "/state/server.json"), before);
  EXPECT_EQ(Call("mongorestore", {"options", "dryRun"}), "true");
  EXPECT_TRUE(WorkDirEmpty());

  // A dry run still fails when the tool does.
  WritePassword("not-the-password");
  Restored bad = Restore(Target("copy"), d.manifest, d.bytes, dry);
  EXPECT_TRUE(absl::IsPermissionDenied(bad.status)) << bad.status;
}

TEST_F(MongoEngineTest, RestoreRefusesAnArchiveTheManifestDoesNotDescribe) {
  Dumped d = Dump(Target("shop"));
  ASSERT_TRUE(d.status.ok()) << d.status;
  std::string before = ReadFile(dir_ + "/state/server.json");
  v1::Manifest other;
  other.add_tables()->set_name("crm.people");
  Restored r = Restore(Target("crm"), other, d.bytes);
  EXPECT_TRUE(absl::IsFailedPrecondition(r.status)) << r.status;
  EXPECT_TRUE(Has(std::string(r.status.message()), "nothing was restored"));
  EXPECT_EQ(ReadFile(dir_ + "/state/server.json"), before);

  Restored garbage = Restore(Target("copy"), d.manifest, "this is not an archive at all");
  EXPECT_TRUE(absl::IsDataLoss(garbage.status)) << garbage.status;
  Restored cut = Restore(Target("copy"), d.manifest, d.bytes.substr(0, 30));
  EXPECT_TRUE(absl::IsDataLoss(cut.status)) << cut.status;
  EXPECT_EQ(ReadFile(dir_ + "/state/server.json"), before);
}

}  // namespace
}  // namespace dbdump
