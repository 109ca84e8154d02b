// UpdateDatabase, UpdateStorage and UpdateSchedule with update masks, on a
// real store with in-process fake agents: only the named fields change;
// unknown and unchangeable paths, renames and moves under a running job are
// refused with a message naming what is wrong; a storage that holds
// backups cannot be pointed elsewhere; a schedule's next run follows its
// new settings.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "controller/api/database_service_impl.h"
#include "controller/api/schedule_service_impl.h"
#include "controller/api/storage_service_impl.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_agent_client.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fixtures/dispatch_stack.h"
#include "tests/fixtures/test_catalogue.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

class UpdateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-update.XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = *Store::Open(dir_ + "/c.db");
    ASSERT_TRUE(AddLocalStorage(store_.get(), dir_ + "/backups", clock_.Now()).ok());
    v1::StorageDestination other;
    other.set_name("other");
    other.set_kind(v1::STORAGE_KIND_LOCAL);
    other.set_path(dir_ + "/other");
    ASSERT_TRUE(store_->AddStorage(other, clock_.Now()).ok());
    for (const char* a : {"agent-1", "agent-2"}) {
      ASSERT_TRUE(AddInProcessAgent(store_.get(), a, clock_.Now()).ok());
      agents_.push_back(std::make_shared<FakeAgentClient>(a, &tally_, &clock_));
      clients_.Add(agents_.back());
    }
    ASSERT_TRUE(AddSqliteDatabase(store_.get(), "orders", "agent-1", clock_.Now()).ok());
    DispatcherOptions o;
    o.clock = &clock_;
    stack_ = std::make_unique<DispatchStack>(store_.get(), &clients_, o, nullptr);
    AdminContext c;
    c.store = store_.get();
    c.dispatcher = stack_->dispatcher.get();
    c.agents = &clients_;
    c.updates = &stack_->updates;
    c.clock = &clock_;
    databases_ = std::make_unique<DatabaseServiceImpl>(c);
    storages_ = std::make_unique<StorageServiceImpl>(c);
    schedules_ =
        std::make_unique<ScheduleServiceImpl>(store_.get(), stack_->dispatcher.get(), &clock_);
  }
  void TearDown() override {
    stack_->dispatcher->Shutdown();
    stack_.reset();
    clients_.Clear();
    for (auto& a : agents_) a->Stop();
    fs::remove_all(dir_);
  }

  grpc::Status UpdateDatabase(const v1::UpdateDatabaseRequest& req, v1::Database* out = nullptr) {
    grpc::ServerContext ctx;
    v1::UpdateDatabaseResponse resp;
    grpc::Status st = databases_->UpdateDatabase(&ctx, &req, &resp);
    if (out != nullptr) *out = resp.database();
    return st;
  }
  grpc::Status UpdateStorage(const v1::UpdateStorageRequest& req) {
    grpc::ServerContext ctx;
    v1::UpdateStorageResponse resp;
    return storages_->UpdateStorage(&ctx, &req, &resp);
  }
  static v1::UpdateDatabaseRequest DatabaseRequest(std::initializer_list<const char*> paths) {
    v1::UpdateDatabaseRequest req;
    req.set_name("orders");
    for (const char* p : paths) req.mutable_update_mask()->add_paths(p);
    return req;
  }
  v1::Schedule Nightly() {
    v1::CreateScheduleRequest req;
    v1::Schedule* s = req.mutable_schedule();
    s->set_name("nightly");
    s->set_database("orders");
    s->set_cron("0 2 * * *");
    s->set_time_zone("UTC");
    s->mutable_retention()->set_keep_last(3);
    s->mutable_retention()->set_keep_daily(7);
    absl::StatusOr<v1::Schedule> created = schedules_->Create(req);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : v1::Schedule();
  }

  std::string dir_;
  FakeClock clock_{TimeFromString("2026-03-01T00:30:00Z")};
  FakeAgentTally tally_;
  std::vector<std::shared_ptr<FakeAgentClient>> agents_;
  FakeAgentClients clients_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<DispatchStack> stack_;
  std::unique_ptr<DatabaseServiceImpl> databases_;
  std::unique_ptr<StorageServiceImpl> storages_;
  std::unique_ptr<ScheduleServiceImpl> schedules_;
};

TEST_F(UpdateTest, ADatabaseMovesToAnotherStorageAndAgentAndNothingElseChanges) {
  v1::UpdateDatabaseRequest req = DatabaseRequest({"storage", "target.agent"});
  req.mutable_database()->set_storage("other");
  req.mutable_database()->mutable_target()->set_agent("agent-2");
  // Not in the mask: must not change.
  req.mutable_database()->mutable_target()->set_path("/elsewhere.db");
  v1::Database out;
  grpc::Status st = UpdateDatabase(req, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  absl::StatusOr<v1::Database> stored = store_->GetDatabase("orders");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->storage(), "other");
  EXPECT_EQ(stored->target().agent(), "agent-2");
  EXPECT_EQ(stored->target().path(), "/srv/orders.db");
  EXPECT_EQ(stored->target().engine(), v1::ENGINE_SQLITE);
  EXPECT_EQ(stored->server_version(), "fake 1.0") << "the connection was tested through agent-2";
  EXPECT_EQ(out.SerializeAsString(), stored->SerializeAsString());
}

TEST_F(UpdateTest, CopyDestinationsAreCheckedAndReplacedAsAList) {
  // The primary, a name twice, an unknown storage: refused, nothing stored.
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"local"}, std::vector<std::string>{"other", "other"},
        std::vector<std::string>{"nowhere"}}) {
    v1::UpdateDatabaseRequest req = DatabaseRequest({"copies"});
    for (const std::string& c : bad) req.mutable_database()->add_copies(c);
    grpc::Status st = UpdateDatabase(req);
    EXPECT_FALSE(st.ok()) << bad[0];
    EXPECT_TRUE(store_->GetDatabase("orders")->copies().empty());
  }
  v1::UpdateDatabaseRequest req = DatabaseRequest({"copies"});
  req.mutable_database()->add_copies("other");
  v1::Database out;
  ASSERT_TRUE(UpdateDatabase(req, &out).ok());
  ASSERT_EQ(store_->GetDatabase("orders")->copies_size(), 1);
  ASSERT_EQ(out.copies_size(), 1);
  EXPECT_EQ(out.copies(0), "other");
  EXPECT_EQ(out.storage(), "local");
  // An empty list drops them all.
  ASSERT_TRUE(UpdateDatabase(DatabaseRequest({"copies"})).ok());
  EXPECT_TRUE(store_->GetDatabase("orders")->copies().empty());
}

TEST_F(UpdateTest, MasksNamingUnknownOrUnchangeableFieldsAreRefusedByPath) {
  v1::UpdateDatabaseRequest unknown = DatabaseRequest({"target.hots"});
  grpc::Status st = UpdateDatabase(unknown);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message().rfind(
                "update_mask path \"target.hots\" is not a field of Database: fields that can "
                "change are copies, storage, target.agent, ",
                0),
            0u)
      << st.error_message();

  for (const char* immutable : {"target.engine", "target.name", "created_at", "target"}) {
    v1::UpdateDatabaseRequest req = DatabaseRequest({"target.host", immutable});
    req.mutable_database()->mutable_target()->set_engine(v1::ENGINE_POSTGRES);
    st = UpdateDatabase(req);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << immutable;
    std::string want =
        absl::StrCat("update_mask path \"", immutable, "\" of Database cannot be changed");
    EXPECT_EQ(st.error_message().rfind(want, 0), 0u)
        << st.error_message();
  }

  st = UpdateDatabase(DatabaseRequest({}));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message().rfind("update_mask is empty", 0), 0u) << st.error_message();

  v1::UpdateDatabaseRequest rename = DatabaseRequest({"storage"});
  rename.mutable_database()->mutable_target()->set_name("sales");
  rename.mutable_database()->set_storage("other");
  st = UpdateDatabase(rename);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(),
            "database.target.name \"sales\" differs from the name \"orders\" of the database to "
            "update: a database cannot be renamed");
  EXPECT_EQ(store_->GetDatabase("orders")->storage(), "local") << "nothing changed";
}

TEST_F(UpdateTest, ASecretReferenceIsCheckedAndOnlyTheReferenceIsKept) {
  v1::UpdateDatabaseRequest req = DatabaseRequest({"target.password_ref"});
  req.mutable_database()->mutable_target()->set_password_ref("hunter2");
  grpc::Status st = UpdateDatabase(req);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message().find("hunter2"), std::string::npos) << "never echoed";
}

TEST_F(UpdateTest, EncryptionRecipientsAreCheckedAndStoredWithTheDatabase) {
  const std::string team = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
  v1::UpdateDatabaseRequest bad = DatabaseRequest({"target.encryption"});
  // One character off: the bech32 checksum no longer matches.
  bad.mutable_database()->mutable_target()->mutable_encryption()->add_recipients(
      team.substr(0, team.size() - 1) + "q");
  grpc::Status st = UpdateDatabase(bad);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("checksum"), std::string::npos) << st.error_message();
  v1::UpdateDatabaseRequest literal = DatabaseRequest({"target.encryption"});
  literal.mutable_database()->mutable_target()->mutable_encryption()->set_passphrase_ref("hunter2");
  st = UpdateDatabase(literal);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message().find("hunter2"), std::string::npos) << "never echoed";
  EXPECT_EQ(store_->GetDatabase("orders")->target().encryption().recipients_size(), 0);
  EXPECT_TRUE(store_->GetDatabase("orders")->target().encryption().passphrase_ref().empty());

  v1::UpdateDatabaseRequest good = DatabaseRequest({"target.encryption"});
  good.mutable_database()->mutable_target()->mutable_encryption()->add_recipients(team);
  st = UpdateDatabase(good);
  ASSERT_TRUE(st.ok()) << st.error_message();
  absl::StatusOr<v1::Database> stored = store_->GetDatabase("orders");
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->target().encryption().recipients_size(), 1);
  EXPECT_EQ(stored->target().encryption().recipients(0), team);
}

TEST_F(UpdateTest, ADatabaseDoesNotMoveUnderAJobInProgress) {
  agents_[0]->Script("orders", [](int) { return FakeAgentClient::Outcome::kHold; });
  v1::StartBackupRequest start;
  start.set_database("orders");
  absl::StatusOr<v1::Job> job = stack_->dispatcher->StartBackup(start);
  ASSERT_TRUE(job.ok()) << job.status();
  v1::UpdateDatabaseRequest req = DatabaseRequest({"storage"});
  req.mutable_database()->set_storage("other");
  grpc::Status st = UpdateDatabase(req);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(st.error_message(),
            "database \"orders\" has job " + job->id() +
                " in progress: wait for it or cancel it (dbdumpctl job cancel " + job->id() +
                ") before moving the database");
  EXPECT_EQ(store_->GetDatabase("orders")->storage(), "local");
  agents_[0]->ReleaseAll();
}

TEST_F(UpdateTest, AStorageHoldingBackupsCannotPointElsewhereButOtherFieldsChange) {
  v1::Job job;
  job.set_id("job-1");
  job.set_kind(v1::JOB_KIND_BACKUP);
  job.set_state(v1::JOB_STATE_QUEUED);
  job.set_database("orders");
  job.set_agent("agent-1");
  job.set_created_at(TimeToString(clock_.Now()));
  ASSERT_TRUE(store_->CreateJob(job, "req").ok());
  JobEnd end;
  end.job_id = "job-1";
  end.state = v1::JOB_STATE_SUCCEEDED;
  end.now = clock_.Now();
  v1::Backup b;
  b.set_id("20260301T000000Z-0000000a");
  b.set_database("orders");
  b.set_storage("local");
  b.set_state(v1::BACKUP_STATE_COMPLETED);
  b.set_created_at(TimeToString(clock_.Now()));
  end.backup = b;
  ASSERT_TRUE(store_->EndJob(end).ok());

  v1::UpdateStorageRequest move;
  move.set_name("local");
  move.mutable_storage()->set_path(dir_ + "/moved");
  move.mutable_update_mask()->add_paths("path");
  move.set_skip_probe(true);
  grpc::Status st = UpdateStorage(move);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(st.error_message().find("holds 1 catalogued backup where it points now"),
            std::string::npos)
      << st.error_message();
  EXPECT_EQ(store_->GetStorage("local")->path(), dir_ + "/backups");

  // A storage without backups may move; the kind never changes.
  move.set_name("other");
  ASSERT_TRUE(UpdateStorage(move).ok());
  EXPECT_EQ(store_->GetStorage("other")->path(), dir_ + "/moved");
  v1::UpdateStorageRequest kind;
  kind.set_name("other");
  kind.mutable_storage()->set_kind(v1::STORAGE_KIND_S3);
  kind.mutable_update_mask()->add_paths("kind");
  st = UpdateStorage(kind);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message().rfind(
                "update_mask path \"kind\" of StorageDestination cannot be changed", 0),
            0u)
      << st.error_message();
}

TEST_F(UpdateTest, RemovingAStorageInUseNamesTheVerbThatMovesDatabases) {
  grpc::ServerContext ctx;
  v1::RemoveStorageRequest req;
  req.set_name("local");
  v1::RemoveStorageResponse resp;
  grpc::Status st = storages_->RemoveStorage(&ctx, &req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(st.error_message().find("dbdumpctl database update NAME --storage=OTHER"),
            std::string::npos)
      << st.error_message();
}

TEST_F(UpdateTest, AScheduleUpdateRecomputesTheNextRunAndKeepsOtherRules) {
  v1::Schedule before = Nightly();
  EXPECT_EQ(before.next_run_at(), "2026-03-01T02:00:00Z");
  v1::UpdateScheduleRequest req;
  req.set_name("nightly");
  req.mutable_schedule()->set_cron("45 4 * * *");
  req.mutable_schedule()->mutable_retention()->set_keep_last(10);
  req.mutable_update_mask()->add_paths("cron");
  req.mutable_update_mask()->add_paths("retention.keep_last");
  absl::StatusOr<v1::Schedule> after = schedules_->Update(req);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->next_run_at(), "2026-03-01T04:45:00Z");
  EXPECT_EQ(after->retention().keep_last(), 10u);
  EXPECT_EQ(after->retention().keep_daily(), 7u) << "a rule not in the mask stays";
  EXPECT_EQ(store_->GetSchedule("nightly")->next_run_at(), "2026-03-01T04:45:00Z");

  v1::UpdateScheduleRequest bad;
  bad.set_name("nightly");
  bad.mutable_schedule()->set_next_run_at("2026-03-01T01:00:00Z");
  bad.mutable_update_mask()->add_paths("next_run_at");
  EXPECT_TRUE(absl::IsInvalidArgument(schedules_->Update(bad).status()));
  bad.mutable_update_mask()->set_paths(0, "cron");
  bad.mutable_schedule()->set_cron("not cron");
  EXPECT_TRUE(absl::IsInvalidArgument(schedules_->Update(bad).status()));
  EXPECT_EQ(store_->GetSchedule("nightly")->cron(), "45 4 * * *") << "nothing changed";

  v1::UpdateScheduleRequest off;
  off.set_name("nightly");
  off.mutable_update_mask()->add_paths("enabled");
  after = schedules_->Update(off);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_FALSE(after->enabled());
  EXPECT_EQ(after->next_run_at(), "") << "a disabled schedule has no next run";
}

}  // namespace
}  // namespace dbdump

namespace dbdump {
namespace {

// TLS settings are stored with the database (migration 11) and each field
// changes by its own mask path; the combination is checked after the update
// is applied.
TEST_F(UpdateTest, TlsSettingsChangeFieldByFieldAndPersist) {
  v1::Database pg;
  v1::DatabaseTarget* t = pg.mutable_target();
  t->set_name("pgdb");
  t->set_engine(v1::ENGINE_POSTGRES);
  t->set_agent("agent-1");
  t->set_host("db.internal");
  t->set_port(5432);
  t->set_database("app");
  t->mutable_tls()->set_mode(v1::DATABASE_TLS_MODE_REQUIRE);
  pg.set_storage("other");
  ASSERT_TRUE(store_->AddDatabase(pg, clock_.Now()).ok());

  v1::UpdateDatabaseRequest req;
  req.set_name("pgdb");
  req.set_skip_connection_test(true);
  req.mutable_update_mask()->add_paths("target.tls.mode");
  req.mutable_database()->mutable_target()->mutable_tls()->set_mode(
      v1::DATABASE_TLS_MODE_VERIFY_FULL);
  grpc::Status st = UpdateDatabase(req);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("give --tls-ca-file"), std::string::npos)
      << st.error_message();

  req.mutable_update_mask()->add_paths("target.tls.ca_file");
  req.mutable_database()->mutable_target()->mutable_tls()->set_ca_file("/etc/ca.pem");
  req.mutable_update_mask()->add_paths("target.tls.key_ref");
  req.mutable_database()->mutable_target()->mutable_tls()->set_key_ref("-----BEGIN PRIVATE KEY");
  st = UpdateDatabase(req);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message().find("BEGIN"), std::string::npos) << "never echoed";

  req.mutable_update_mask()->mutable_paths()->RemoveLast();
  ASSERT_TRUE(UpdateDatabase(req).ok());
  absl::StatusOr<v1::Database> stored = store_->GetDatabase("pgdb");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->target().tls().mode(), v1::DATABASE_TLS_MODE_VERIFY_FULL);
  EXPECT_EQ(stored->target().tls().ca_file(), "/etc/ca.pem");
  EXPECT_EQ(stored->target().host(), "db.internal");
}

}  // namespace
}  // namespace dbdump
