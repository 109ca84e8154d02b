// FollowJob through a real gRPC channel: a job's progress reaches the
// following client from JobUpdates, not from the store, and the stream ends
// with the job.
#include "controller/api/job_service_impl.h"

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_agent_client.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fixtures/dispatch_stack.h"
#include "tests/fixtures/test_catalogue.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

TEST(JobServiceTest, FollowJobStreamsEveryChangeFromJobUpdates) {
  char tmpl[] = "/tmp/dbdump-follow.XXXXXX";
  std::string dir = mkdtemp(tmpl);
  FakeClock clock(TimeFromString("2026-03-01T00:30:00Z"));
  std::unique_ptr<Store> store = *Store::Open(dir + "/c.db");
  ASSERT_TRUE(AddLocalStorage(store.get(), dir + "/backups", clock.Now()).ok());
  ASSERT_TRUE(AddInProcessAgent(store.get(), "agent-1", clock.Now()).ok());
  ASSERT_TRUE(AddSqliteDatabase(store.get(), "orders", "agent-1", clock.Now()).ok());

  FakeAgentTally tally;
  auto fake = std::make_shared<FakeAgentClient>("agent-1", &tally, &clock);
  FakeAgentClients clients;
  clients.Add(fake);
  fake->Progress("orders", 3);
  fake->Script("orders", [](int) { return FakeAgentClient::Outcome::kHold; });
  DispatcherOptions o;
  o.clock = &clock;
  // The store hears of progress once an hour of this clock: what the
  // client sees of progress can only come from JobUpdates.
  o.progress_store_interval = absl::Hours(1);
  auto stack = std::make_unique<DispatchStack>(store.get(), &clients, o, nullptr);

  AdminContext ctx;
  ctx.store = store.get();
  ctx.dispatcher = stack->dispatcher.get();
  ctx.agents = &clients;
  ctx.updates = &stack->updates;
  ctx.clock = &clock;
  JobServiceImpl service(ctx);
  int port = 0;
  grpc::ServerBuilder b;
  b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  b.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = b.BuildAndStart();
  ASSERT_NE(port, 0);
  auto stub = v1::JobService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));

  v1::StartBackupRequest start;
  start.set_database("orders");
  absl::StatusOr<v1::Job> job = stack->dispatcher->StartBackup(start);
  ASSERT_TRUE(job.ok()) << job.status();

  grpc::ClientContext call;
  // Bounds the test should the stream stall (it fails instead of hanging).
  call.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::FollowJobRequest req;
  req.set_id(job->id());
  auto reader = stub->FollowJob(&call, req);
  v1::FollowJobResponse r;
  std::vector<v1::JobState> states;
  bool saw_progress_the_store_lacks = false;
  while (reader->Read(&r)) {
    states.push_back(r.job().state());
    if (r.job().progress().bytes_in() == 3 && r.job().state() == v1::JOB_STATE_RUNNING) {
      absl::StatusOr<v1::Job> stored = store->GetJob(job->id());
      ASSERT_TRUE(stored.ok());
      saw_progress_the_store_lacks = stored->progress().bytes_in() < 3;
      fake->ReleaseAll();
    }
  }
  grpc::Status st = reader->Finish();
  EXPECT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(saw_progress_the_store_lacks);
  ASSERT_FALSE(states.empty());
  // The first response is the job as it is then: queued, or already running.
  EXPECT_TRUE(states.front() == v1::JOB_STATE_QUEUED || states.front() == v1::JOB_STATE_RUNNING)
      << v1::JobState_Name(states.front());
  EXPECT_EQ(states.back(), v1::JOB_STATE_SUCCEEDED) << "the stream ends with the job";

  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  stack.reset();
  fake->Stop();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dbdump
