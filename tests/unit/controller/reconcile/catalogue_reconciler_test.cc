// CatalogueReconciler against a real store and a fake agent: what it sends
// the agent (the catalogue of the storage, busy backups, the default minimum
// age), and how it applies the agent's answer to the catalogue.
#include "controller/reconcile/catalogue_reconciler.h"

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "common/base/names.h"
#include "gtest/gtest.h"
#include "tests/fakes/capturing_notifier.h"
#include "tests/fakes/fake_agent_client.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fixtures/test_catalogue.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

constexpr char kOld[] = "20260301T000000Z-0000000a";
constexpr char kRunning[] = "20260301T010000Z-0000000b";
constexpr char kFound[] = "20260228T000000Z-0000000c";

class CatalogueReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-creconcile.XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = *Store::Open(dir_ + "/c.db");
    ASSERT_TRUE(AddLocalStorage(store_.get(), dir_ + "/backups", clock_.Now()).ok());
    ASSERT_TRUE(AddInProcessAgent(store_.get(), "agent-1", clock_.Now()).ok());
    ASSERT_TRUE(AddSqliteDatabase(store_.get(), "orders", "agent-1", clock_.Now()).ok());
    agent_ = std::make_shared<FakeAgentClient>("agent-1", &tally_, &clock_);
    clients_.Add(agent_);
    // A completed backup, and a backup job still queued.
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
    b.set_id(kOld);
    b.set_database("orders");
    b.set_storage("local");
    b.set_state(v1::BACKUP_STATE_COMPLETED);
    b.set_created_at(TimeToString(clock_.Now()));
    b.mutable_manifest()->set_dump_object("dump.sqlite.zst");
    b.mutable_manifest()->add_extra_objects()->set_object("globals.sql.zst");
    end.backup = b;
    ASSERT_TRUE(store_->EndJob(end).ok());
    job.set_id("job-2");
    job.set_backup_id(kRunning);
    ASSERT_TRUE(store_->CreateJob(job, "req").ok());

    CatalogueReconcilerParts parts;
    parts.store = store_.get();
    parts.agents = &clients_;
    parts.clock = &clock_;
    parts.notifier = &notifier_;
    parts.is_online = [this](const v1::Agent&, absl::Time) { return online_; };
    reconciler_ = std::make_unique<CatalogueReconciler>(std::move(parts));
  }
  void TearDown() override {
    reconciler_.reset();
    agent_->Stop();
    fs::remove_all(dir_);
  }
  static v1::ReconcileAction Act(v1::ReconcileActionKind kind, const std::string& db,
                                 const std::string& id) {
    v1::ReconcileAction a;
    a.set_kind(kind);
    a.set_database(db);
    a.set_backup_id(id);
    return a;
  }
  static v1::ReconcileAction Adopt(const std::string& db, const std::string& id,
                                   const std::string& job_id) {
    v1::ReconcileAction a = Act(v1::RECONCILE_ACTION_ADOPT, db, id);
    v1::Manifest* m = a.mutable_manifest();
    m->set_backup_id(id);
    m->set_database(db);
    m->set_job_id(job_id);
    m->set_agent("agent-1");
    m->set_started_at("2026-02-28T00:00:00Z");
    m->set_finished_at("2026-02-28T00:00:30Z");
    m->set_stored_size_bytes(123);
    m->set_dump_object("dump.sqlite.zst");
    return a;
  }
  v1::ReconcileStorageRequest Req(bool dry_run) {
    v1::ReconcileStorageRequest r;
    r.set_name("local");
    r.set_dry_run(dry_run);
    return r;
  }

  std::string dir_;
  FakeClock clock_{TimeFromString("2026-03-01T00:30:00Z")};
  FakeAgentTally tally_;
  std::shared_ptr<FakeAgentClient> agent_;
  FakeAgentClients clients_;
  CapturingNotifier notifier_;
  bool online_ = true;
  std::unique_ptr<Store> store_;
  std::unique_ptr<CatalogueReconciler> reconciler_;
};

TEST_F(CatalogueReconcilerTest, SendsTheCatalogueBusyIdsAndDefaultMinAge) {
  auto r = reconciler_->Reconcile(Req(true));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->agent(), "agent-1");
  EXPECT_EQ(r->backups_catalogued(), 1u);
  auto sent = agent_->reconcile_requests();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].storage().name(), "local");
  EXPECT_EQ(sent[0].min_age_s(), 86400u);
  EXPECT_TRUE(sent[0].dry_run());
  ASSERT_EQ(sent[0].catalogued_size(), 1);
  EXPECT_EQ(sent[0].catalogued(0).backup_id(), kOld);
  EXPECT_EQ(std::vector<std::string>(sent[0].catalogued(0).objects().begin(),
                                     sent[0].catalogued(0).objects().end()),
            (std::vector<std::string>{"dump.sqlite.zst", "globals.sql.zst", "manifest.json"}));
  ASSERT_EQ(sent[0].busy_backup_ids_size(), 1);
  EXPECT_EQ(sent[0].busy_backup_ids(0), kRunning);
}

TEST_F(CatalogueReconcilerTest, DryRunChangesNoCatalogue) {
  v1::AgentReconcileStorageResponse answer;
  *answer.add_actions() = Adopt("orders", kFound, "job-9");
  v1::ReconcileAction missing = Act(v1::RECONCILE_ACTION_MARK_MISSING, "orders", kOld);
  missing.set_reason("gone from storage: dump.sqlite.zst");
  *answer.add_actions() = missing;
  agent_->ScriptReconcile(answer);
  auto r = reconciler_->Reconcile(Req(true));
  ASSERT_TRUE(r.ok()) << r.status();
  for (const auto& a : r->actions()) EXPECT_FALSE(a.done());
  EXPECT_TRUE(absl::IsNotFound(store_->GetBackup(kFound).status()));
  EXPECT_EQ(store_->GetBackup(kOld)->state(), v1::BACKUP_STATE_COMPLETED);
  absl::MutexLock l(&notifier_.mu);
  EXPECT_TRUE(notifier_.seen.empty());
}

TEST_F(CatalogueReconcilerTest, AppliesAdoptMissingAndFound) {
  v1::AgentReconcileStorageResponse answer;
  *answer.add_actions() = Adopt("orders", kFound, "job-20260228T000000Z-0000abcd");
  *answer.add_actions() = Adopt("unknown", "20260227T000000Z-0000000d", "job-x");
  // Already catalogued, or busy: never adopted whatever the agent says.
  *answer.add_actions() = Adopt("orders", kRunning, "job-2");
  v1::ReconcileAction missing = Act(v1::RECONCILE_ACTION_MARK_MISSING, "orders", kOld);
  missing.set_reason("gone from storage: dump.sqlite.zst");
  *answer.add_actions() = missing;
  agent_->ScriptReconcile(answer);
  auto r = reconciler_->Reconcile(Req(false));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->actions_size(), 4);
  EXPECT_TRUE(r->actions(0).done()) << r->actions(0).error();
  EXPECT_EQ(r->actions(1).error(),
            "database unknown is not in the catalogue: add it and reconcile again");
  EXPECT_FALSE(r->actions(2).done());
  EXPECT_FALSE(r->actions(2).error().empty());
  EXPECT_TRUE(r->actions(3).done()) << r->actions(3).error();

  auto found = store_->GetBackup(kFound);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->state(), v1::BACKUP_STATE_COMPLETED);
  EXPECT_EQ(found->found_at(), "2026-03-01T00:30:00Z");
  EXPECT_EQ(found->created_at(), "2026-02-28T00:00:30Z");
  EXPECT_EQ(found->storage(), "local");
  EXPECT_DOUBLE_EQ(found->duration_s(), 30);
  auto job = store_->GetJob("job-20260228T000000Z-0000abcd");
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(job->backup_id(), kFound);
  EXPECT_TRUE(absl::IsNotFound(store_->GetBackup(kRunning).status()));

  auto old = store_->GetBackup(kOld);
  EXPECT_EQ(old->state(), v1::BACKUP_STATE_MISSING);
  EXPECT_EQ(old->missing_since(), "2026-03-01T00:30:00Z");
  EXPECT_EQ(old->missing_reason(), "gone from storage: dump.sqlite.zst");
  {
    absl::MutexLock l(&notifier_.mu);
    ASSERT_EQ(notifier_.seen.size(), 1u);
    EXPECT_EQ(notifier_.seen[0].event, NotificationEvent::kBackupMissing);
    EXPECT_EQ(notifier_.seen[0].database, "orders");
  }

  // The next pass: the catalogue says missing; the objects are back.
  v1::AgentReconcileStorageResponse back;
  *back.add_actions() = Act(v1::RECONCILE_ACTION_MARK_FOUND, "orders", kOld);
  agent_->ScriptReconcile(back);
  r = reconciler_->Reconcile(Req(false));
  ASSERT_TRUE(r.ok()) << r.status();
  auto sent = agent_->reconcile_requests();
  bool sent_missing = false;
  for (const auto& c : sent.back().catalogued()) {
    if (c.backup_id() == kOld) sent_missing = c.missing();
  }
  EXPECT_TRUE(sent_missing);
  EXPECT_TRUE(r->actions(0).done()) << r->actions(0).error();
  old = store_->GetBackup(kOld);
  EXPECT_EQ(old->state(), v1::BACKUP_STATE_COMPLETED);
  EXPECT_EQ(old->missing_since(), "");
}

TEST_F(CatalogueReconcilerTest, ScheduledPassReconcilesEveryStorageForReal) {
  reconciler_->ReconcileAllLater(absl::Hours(2));
  ASSERT_TRUE(reconciler_->WaitIdle(absl::Seconds(10)));
  auto sent = agent_->reconcile_requests();
  ASSERT_EQ(sent.size(), 1u);  // the one storage
  EXPECT_EQ(sent[0].storage().name(), "local");
  EXPECT_FALSE(sent[0].dry_run());
  EXPECT_EQ(sent[0].min_age_s(), 7200u);
}

TEST_F(CatalogueReconcilerTest, NoOnlineAgentSaysWhichFlagToPass) {
  online_ = false;
  auto r = reconciler_->Reconcile(Req(true));
  ASSERT_TRUE(absl::IsFailedPrecondition(r.status())) << r.status();
  EXPECT_NE(r.status().message().find("--via"), std::string::npos) << r.status();
  EXPECT_TRUE(agent_->reconcile_requests().empty());
}

}  // namespace
}  // namespace dbdump
