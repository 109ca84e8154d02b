// GrpcAgentClient against an AgentService served in this process over a
// real loopback channel: unary calls tried again while the agent is
// unavailable (and only then), statuses carried over with their codes, job
// streams read to their end or cancelled from another thread.
#include "controller/agents/grpc_agent_client.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "dbdump/v1/agent_service.grpc.pb.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {

// Answers TestConnection with the status it is told, `unavailable_first`
// times Unavailable before; streams three events for RunBackup, or holds
// the stream open until the call is cancelled.
class ScriptedAgent final : public v1::AgentService::Service {
 public:
  std::atomic<int> calls{0};
  std::atomic<int> unavailable_first{0};
  grpc::Status answer = grpc::Status::OK;
  bool hold_stream = false;
  absl::Notification stream_cancelled;

  grpc::Status TestConnection(grpc::ServerContext*, const v1::TestConnectionRequest*,
                              v1::TestConnectionResponse* resp) override {
    if (calls.fetch_add(1) < unavailable_first.load()) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "agent starting");
    }
    resp->set_server_version("PostgreSQL 15.18");
    return answer;
  }
  grpc::Status RunBackup(grpc::ServerContext* ctx, const v1::RunBackupRequest* req,
                         grpc::ServerWriter<v1::JobEvent>* w) override {
    if (hold_stream) {
      v1::JobEvent e;
      e.set_job_id(req->job().job_id());
      e.set_state(v1::JOB_STATE_RUNNING);
      w->Write(e);
      while (!ctx->IsCancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      stream_cancelled.Notify();
      return grpc::Status::CANCELLED;
    }
    for (int i = 1; i <= 3; ++i) {
      v1::JobEvent e;
      e.set_job_id(req->job().job_id());
      e.set_state(i < 3 ? v1::JOB_STATE_RUNNING : v1::JOB_STATE_SUCCEEDED);
      e.set_sequence(i);
      w->Write(e);
    }
    return grpc::Status::OK;
  }
};

class GrpcAgentClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    b.RegisterService(&agent_);
    server_ = b.BuildAndStart();
    ASSERT_NE(port_, 0);
    record_.set_name("db1");
    record_.set_address(absl::StrCat("127.0.0.1:", port_));
  }
  void TearDown() override {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }
  std::shared_ptr<AgentClient> Client() { return clients_.For(record_); }

  ScriptedAgent agent_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  v1::Agent record_;
  GrpcAgentClients clients_;
};

TEST_F(GrpcAgentClientTest, AnUnavailableAgentIsAskedAgainWithinTheAttempts) {
  agent_.unavailable_first = 2;
  absl::StatusOr<std::string> version = Client()->TestConnection(v1::DatabaseTarget());
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(*version, "PostgreSQL 15.18");
  EXPECT_EQ(agent_.calls.load(), 3);
}

TEST_F(GrpcAgentClientTest, GivesUpAfterItsAttemptsWithTheAgentsStatus) {
  agent_.unavailable_first = 10;
  absl::StatusOr<std::string> version = Client()->TestConnection(v1::DatabaseTarget());
  EXPECT_TRUE(absl::IsUnavailable(version.status())) << version.status();
  EXPECT_EQ(version.status().message(), "agent starting");
  EXPECT_EQ(agent_.calls.load(), 3) << "three attempts in all";
}

TEST_F(GrpcAgentClientTest, ARefusalIsNotTriedAgainAndKeepsItsCode) {
  agent_.answer = grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "password authentication failed");
  absl::StatusOr<std::string> version = Client()->TestConnection(v1::DatabaseTarget());
  EXPECT_TRUE(absl::IsPermissionDenied(version.status())) << version.status();
  EXPECT_EQ(version.status().message(), "password authentication failed");
  EXPECT_EQ(agent_.calls.load(), 1);
}

TEST_F(GrpcAgentClientTest, AJobStreamIsReadToItsEnd) {
  v1::BackupJob job;
  job.set_job_id("job-1");
  std::unique_ptr<JobEventStream> stream = Client()->RunBackup(job, absl::InfiniteFuture());
  std::vector<uint64_t> sequence;
  v1::JobEvent e;
  while (stream->Next(&e)) sequence.push_back(e.sequence());
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(sequence, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(e.state(), v1::JOB_STATE_SUCCEEDED);
}

TEST_F(GrpcAgentClientTest, CancelFromAnotherThreadEndsAWaitingStream) {
  agent_.hold_stream = true;
  v1::BackupJob job;
  job.set_job_id("job-1");
  std::unique_ptr<JobEventStream> stream = Client()->RunBackup(job, absl::InfiniteFuture());
  v1::JobEvent e;
  ASSERT_TRUE(stream->Next(&e));
  EXPECT_EQ(e.state(), v1::JOB_STATE_RUNNING);
  std::thread canceller([&] { stream->Cancel(); });
  // Blocks until the cancel reaches the call: the test hangs (and times
  // out) if it never does.
  EXPECT_FALSE(stream->Next(&e));
  canceller.join();
  EXPECT_TRUE(absl::IsCancelled(stream->Finish()));
  EXPECT_TRUE(agent_.stream_cancelled.WaitForNotificationWithTimeout(absl::Seconds(10)))
      << "the agent saw the call end";
}

TEST_F(GrpcAgentClientTest, APastDeadlineEndsTheStreamAsDeadlineExceeded) {
  agent_.hold_stream = true;
  v1::BackupJob job;
  job.set_job_id("job-1");
  std::unique_ptr<JobEventStream> stream =
      Client()->RunBackup(job, absl::Now() + absl::Milliseconds(300));
  v1::JobEvent e;
  while (stream->Next(&e)) {
  }
  EXPECT_TRUE(absl::IsDeadlineExceeded(stream->Finish()));
}

}  // namespace
}  // namespace dbdump
