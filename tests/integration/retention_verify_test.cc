// Retention and verification end to end inside one process: a real agent
// service (SQLite engine, local storage) behind gRPC, the controller's
// dispatcher making real backups, then retention deleting through the agent
// and verification re-reading what is stored. Files, manifests and the
// catalogue must agree afterwards.
#include <grpcpp/grpcpp.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "agent/agent_service_impl.h"
#include "agent/job_registry.h"
#include "common/engines/job_runner.h"
#include "common/engines/sqlite/sqlite_engine.h"
#include "common/storage/backup_layout.h"
#include "common/storage/local_storage.h"
#include "common/base/names.h"
#include "controller/retention/backup_maintainer.h"
#include "controller/agents/grpc_agent_client.h"
#include "controller/dispatch/dispatcher.h"
#include "controller/store/store.h"
#include "gtest/gtest.h"
#include "tests/fakes/capturing_notifier.h"
#include "tests/fixtures/dispatch_stack.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

void FlipMiddleByte(const fs::path& file) {
  ASSERT_TRUE(fs::exists(file)) << file;
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f.good());
  const auto middle = static_cast<std::streamoff>(fs::file_size(file) / 2);
  f.seekg(middle);
  char c = 0;
  f.read(&c, 1);
  f.seekp(middle);
  c = static_cast<char>(c ^ 0x5a);
  f.write(&c, 1);
}

class RetentionVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-retention.XXXXXX";
    dir_ = mkdtemp(tmpl);
    fs::create_directories(dir_ + "/work");
    fs::create_directories(dir_ + "/store");
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ + "/app.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE t(a INTEGER, b TEXT);"
                           "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<5000)"
                           " INSERT INTO t SELECT x, hex(randomblob(16)) FROM c;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);

    registry_ = std::make_unique<JobRegistry>(dir_ + "/work");
    ASSERT_TRUE(registry_->Init(absl::Hours(1)).ok());
    JobRunnerOptions runner_options;
    runner_options.agent_name = "agent-1";
    runner_options.work_dir = dir_ + "/work";
    runner_ = std::make_unique<JobRunner>(runner_options);
    std::map<v1::Engine, std::unique_ptr<Engine>> engines;
    engines[v1::ENGINE_SQLITE] = std::make_unique<SqliteEngine>();
    service_ = std::make_unique<AgentServiceImpl>("agent-1", std::move(engines), registry_.get(),
                                                  runner_.get());
    grpc::ServerBuilder b;
    int port = 0;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    b.RegisterService(service_.get());
    server_ = b.BuildAndStart();
    ASSERT_NE(port, 0);

    store_ = *Store::Open(dir_ + "/c.db");
    absl::Time now = absl::Now();
    v1::Agent agent;
    agent.set_name("agent-1");
    agent.set_address(absl::StrCat("127.0.0.1:", port));
    ASSERT_TRUE(store_->UpsertAgent(agent, now).ok());
    storage_.set_name("local");
    storage_.set_kind(v1::STORAGE_KIND_LOCAL);
    storage_.set_path(dir_ + "/store");
    ASSERT_TRUE(store_->AddStorage(storage_, now).ok());
    v1::Database d;
    d.mutable_target()->set_name("app");
    d.mutable_target()->set_engine(v1::ENGINE_SQLITE);
    d.mutable_target()->set_path(dir_ + "/app.db");
    d.mutable_target()->set_agent("agent-1");
    d.set_storage("local");
    ASSERT_TRUE(store_->AddDatabase(d, now).ok());

    stack_ = std::make_unique<DispatchStack>(store_.get(), &clients_, DispatcherOptions(),
                                             [this](const v1::Job& j) {
                                               absl::MutexLock l(&mu_);
                                               ended_.push_back(j);
                                             });
    dispatcher_ = stack_->dispatcher.get();
    maintainer_ = std::make_unique<BackupMaintainer>(store_.get(), &clients_, &clock_, &notifier_);
  }
  void TearDown() override {
    maintainer_.reset();
    stack_.reset();
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    fs::remove_all(dir_);
  }

  std::string BackupNow() {
    size_t before;
    {
      absl::MutexLock l(&mu_);
      before = ended_.size();
    }
    v1::StartBackupRequest req;
    req.set_database("app");
    auto job = dispatcher_->StartBackup(req);
    EXPECT_TRUE(job.ok()) << job.status();
    absl::MutexLock l(&mu_);
    std::pair<std::vector<v1::Job>*, size_t> arg(&ended_, before + 1);
    EXPECT_TRUE(mu_.AwaitWithTimeout(
        absl::Condition(
            +[](std::pair<std::vector<v1::Job>*, size_t>* a) { return a->first->size() >= a->second; },
            &arg),
        absl::Seconds(60)));
    EXPECT_EQ(ended_.back().state(), v1::JOB_STATE_SUCCEEDED) << ended_.back().error();
    return ended_.back().backup_id();
  }

  std::set<std::string> ManifestsInStorage() {
    auto storage = OpenStorage(storage_);
    std::vector<std::string> problems;
    auto manifests = ListManifests(storage->get(), "", "app", &problems);
    std::set<std::string> ids;
    for (const v1::Manifest& m : *manifests) ids.insert(m.backup_id());
    return ids;
  }

  std::string dir_;
  RealClock clock_;
  v1::StorageDestination storage_;
  std::unique_ptr<JobRegistry> registry_;
  std::unique_ptr<JobRunner> runner_;
  std::unique_ptr<AgentServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Store> store_;
  GrpcAgentClients clients_;
  std::unique_ptr<DispatchStack> stack_;
  Dispatcher* dispatcher_ = nullptr;
  CapturingNotifier notifier_;
  std::unique_ptr<BackupMaintainer> maintainer_;
  absl::Mutex mu_;
  std::vector<v1::Job> ended_;
};

TEST_F(RetentionVerifyTest, RetentionDeletesThroughTheAgentAndFilesMatchTheCatalogue) {
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(BackupNow());
  ASSERT_EQ(ManifestsInStorage(), std::set<std::string>(ids.begin(), ids.end()));

  v1::Schedule s;
  s.set_name("nightly");
  s.set_database("app");
  s.set_cron("@daily");
  s.set_time_zone("Europe/Berlin");
  s.set_enabled(true);
  s.mutable_retention()->set_keep_last(2);
  ASSERT_TRUE(store_->CreateSchedule(s, absl::Now()).ok());

  // The dry run deletes nothing.
  v1::PlanRetentionRequest plan_req;
  plan_req.set_database("app");
  auto plan = maintainer_->Plan(plan_req);
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::set<std::string> would_go;
  for (const auto& v : plan->verdicts()) {
    if (!v.keep()) would_go.insert(v.backup_id());
  }
  EXPECT_EQ(would_go, (std::set<std::string>{ids[0], ids[1]}));
  EXPECT_EQ(ManifestsInStorage().size(), 4u);

  auto applied = maintainer_->Apply("app");
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(applied->errors_size(), 0) << applied->errors(0);
  EXPECT_EQ(std::set<std::string>(applied->deleted().begin(), applied->deleted().end()), would_go);

  // Files and catalogue agree: deleted backups have no objects left and are
  // marked deleted; kept ones are intact and listed by the storage alone.
  EXPECT_EQ(ManifestsInStorage(), (std::set<std::string>{ids[2], ids[3]}));
  for (const std::string& id : ids) {
    auto b = store_->GetBackup(id);
    ASSERT_TRUE(b.ok());
    bool gone = would_go.count(id) > 0;
    EXPECT_EQ(!b->deleted_at().empty(), gone) << id;
    fs::path dir = fs::path(dir_) / "store" / "app" / id;
    if (gone) {
      EXPECT_TRUE(!fs::exists(dir) || fs::is_empty(dir)) << dir;
    } else {
      EXPECT_TRUE(fs::exists(dir / "manifest.json")) << dir;
      EXPECT_TRUE(fs::exists(dir / b->manifest().dump_object())) << dir;
    }
  }
  // Applying again deletes nothing more.
  applied = maintainer_->Apply("app");
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(applied->deleted_size(), 0);
}

TEST_F(RetentionVerifyTest, VerificationRecordsMatchesAndAlertsOnCorruption) {
  std::string id = BackupNow();
  auto ok = maintainer_->Verify(id);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_FALSE(ok->verified_at().empty());
  EXPECT_EQ(ok->verify_error(), "");
  {
    absl::MutexLock l(&notifier_.mu);
    EXPECT_TRUE(notifier_.seen.empty());
  }

  // Flip one byte in the middle of the stored dump.
  FlipMiddleByte(fs::path(dir_) / "store" / "app" / id / ok->manifest().dump_object());

  auto bad = maintainer_->Verify(id);
  ASSERT_TRUE(bad.ok()) << bad.status();
  // Even when the flipped byte breaks decompression first, the report names
  // the stored checksum: the object changed.
  EXPECT_NE(bad->verify_error().find("is corrupted: stored sha256 "), std::string::npos)
      << bad->verify_error();
  EXPECT_NE(bad->verify_error().find(" does not match the manifest's " +
                                     ok->manifest().stored_sha256()),
            std::string::npos)
      << bad->verify_error();
  absl::MutexLock l(&notifier_.mu);
  ASSERT_EQ(notifier_.seen.size(), 1u);
  EXPECT_EQ(notifier_.seen[0].event, NotificationEvent::kVerificationFailed);
  EXPECT_EQ(notifier_.seen[0].fields.at("backup"), id);
}

// A copy is verified in its own destination: its result is recorded on the
// copy (the primary's stays as it was), a corrupted copy is reported and
// notified with its storage, and a destination without a copy is refused.
TEST_F(RetentionVerifyTest, ACopyIsVerifiedInItsDestinationAndTheResultRecordedOnIt) {
  v1::StorageDestination offsite;
  offsite.set_name("offsite");
  offsite.set_kind(v1::STORAGE_KIND_LOCAL);
  offsite.set_path(dir_ + "/offsite");
  fs::create_directories(offsite.path());
  ASSERT_TRUE(store_->AddStorage(offsite, absl::Now()).ok());
  v1::Database d = *store_->GetDatabase("app");
  d.add_copies("offsite");
  ASSERT_TRUE(store_->UpdateDatabase(d).ok());
  std::string id = BackupNow();
  v1::Backup b = *store_->GetBackup(id);
  ASSERT_EQ(b.copies_size(), 1);
  ASSERT_EQ(b.copies(0).state(), v1::BACKUP_COPY_STATE_COMMITTED);
  EXPECT_EQ(b.copies(0).verified_at(), "");

  // The scheduled verification checks the newest backup, then its copies.
  maintainer_->VerifyNewestLater("app");
  ASSERT_TRUE(maintainer_->WaitIdle(absl::Seconds(30)));
  b = *store_->GetBackup(id);
  EXPECT_FALSE(b.verified_at().empty());
  EXPECT_FALSE(b.copies(0).verified_at().empty()) << "the scheduled verification skipped the copy";
  EXPECT_EQ(b.copies(0).verify_error(), "");
  ASSERT_TRUE(store_->RecordCopyAttempt(id, b.copies(0)).ok());  // unverified again
  b = *store_->GetBackup(id);

  auto good = maintainer_->Verify(id, "offsite");
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_FALSE(good->copies(0).verified_at().empty());
  EXPECT_EQ(good->copies(0).verify_error(), "");
  EXPECT_EQ(good->verified_at(), b.verified_at()) << "the primary was not verified again";

  // Flip one byte of the copy's dump; the primary is left as it was.
  FlipMiddleByte(fs::path(offsite.path()) / "app" / id / b.manifest().dump_object());
  auto bad = maintainer_->Verify(id, "offsite");
  ASSERT_TRUE(bad.ok()) << bad.status();
  EXPECT_NE(bad->copies(0).verify_error().find("is corrupted: stored sha256 "), std::string::npos)
      << bad->copies(0).verify_error();
  EXPECT_EQ(bad->verify_error(), "");
  {
    absl::MutexLock l(&notifier_.mu);
    ASSERT_EQ(notifier_.seen.size(), 1u);
    EXPECT_EQ(notifier_.seen[0].event, NotificationEvent::kVerificationFailed);
    EXPECT_EQ(notifier_.seen[0].fields.at("storage"), "offsite");
    EXPECT_NE(notifier_.seen[0].summary.find("its copy in offsite"), std::string::npos)
        << notifier_.seen[0].summary;
  }
  auto primary = maintainer_->Verify(id);
  ASSERT_TRUE(primary.ok()) << primary.status();
  EXPECT_EQ(primary->verify_error(), "");
  EXPECT_FALSE(primary->verified_at().empty());
  EXPECT_NE(primary->copies(0).verify_error(), "") << "the copy's result stays its own";

  auto none = maintainer_->Verify(id, "nowhere");
  EXPECT_TRUE(absl::IsNotFound(none.status())) << none.status();
  EXPECT_NE(none.status().message().find("has no copy in storage \"nowhere\" (its copies: offsite)"),
            std::string::npos)
      << none.status();
}

}  // namespace
}  // namespace dbdump
