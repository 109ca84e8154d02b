#include "controller/agents/grpc_agent_client.h"

#include <grpcpp/grpcpp.h>

#include <functional>

#include "common/base/grpc_status.h"
#include "dbdump/v1/agent_service.grpc.pb.h"

namespace dbdump {
namespace {

// The stream of one server-streaming call (Run*, WatchJob,
// ReadBackupObject); owns its context.
template <typename Interface, typename Message>
class GrpcStream final : public Interface {
 public:
  explicit GrpcStream(absl::Time deadline) {
    if (deadline != absl::InfiniteFuture()) ctx_.set_deadline(absl::ToChronoTime(deadline));
  }
  grpc::ClientContext* context() { return &ctx_; }
  void Attach(std::unique_ptr<grpc::ClientReaderInterface<Message>> reader) {
    reader_ = std::move(reader);
  }
  bool Next(Message* message) override { return reader_->Read(message); }
  absl::Status Finish() override {
    finished_ = true;
    return FromGrpc(reader_->Finish());
  }
  void Cancel() override { ctx_.TryCancel(); }
  ~GrpcStream() override {
    // A stream left before its end must still be finished for gRPC to
    // release the call: cancel it first so Finish does not wait.
    if (reader_ && !finished_) {
      ctx_.TryCancel();
      reader_->Finish();
    }
  }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderInterface<Message>> reader_;
  bool finished_ = false;
};

using GrpcJobEventStream = GrpcStream<JobEventStream, v1::JobEvent>;
using GrpcBackupObjectStream = GrpcStream<BackupObjectStream, v1::ReadBackupObjectResponse>;

class GrpcAgentClient final : public AgentClient {
 public:
  GrpcAgentClient(std::shared_ptr<grpc::Channel> channel, const GrpcAgentClientOptions& options)
      : options_(options), stub_(v1::AgentService::NewStub(std::move(channel))) {}

  absl::StatusOr<std::string> TestConnection(const v1::DatabaseTarget& target) override {
    v1::TestConnectionRequest req;
    *req.mutable_target() = target;
    v1::TestConnectionResponse resp;
    absl::Status st = Unary(options_.test_connection_timeout, [&](grpc::ClientContext* ctx) {
      return stub_->TestConnection(ctx, req, &resp);
    });
    if (!st.ok()) return st;
    return resp.server_version();
  }

  absl::Status ProbeStorage(const v1::StorageDestination& storage) override {
    v1::ProbeStorageRequest req;
    *req.mutable_storage() = storage;
    v1::ProbeStorageResponse resp;
    return Unary(options_.probe_storage_timeout, [&](grpc::ClientContext* ctx) {
      return stub_->ProbeStorage(ctx, req, &resp);
    });
  }

  absl::StatusOr<v1::AgentDeleteBackupResponse> DeleteBackup(
      const v1::StoredBackupRef& backup) override {
    v1::AgentDeleteBackupRequest req;
    *req.mutable_backup() = backup;
    v1::AgentDeleteBackupResponse resp;
    // Safe to repeat: the agent removes whatever of the backup is left.
    absl::Status st = Unary(options_.maintenance_timeout, [&](grpc::ClientContext* ctx) {
      return stub_->DeleteBackup(ctx, req, &resp);
    });
    if (!st.ok()) return st;
    return resp;
  }

  absl::StatusOr<v1::VerifyBackupResponse> VerifyBackup(const v1::StoredBackupRef& backup) override {
    v1::VerifyBackupRequest req;
    *req.mutable_backup() = backup;
    v1::VerifyBackupResponse resp;
    absl::Status st = Unary(options_.maintenance_timeout, [&](grpc::ClientContext* ctx) {
      return stub_->VerifyBackup(ctx, req, &resp);
    });
    if (!st.ok()) return st;
    return resp;
  }

  absl::StatusOr<v1::AgentReconcileStorageResponse> ReconcileStorage(
      const v1::AgentReconcileStorageRequest& req) override {
    v1::AgentReconcileStorageResponse resp;
    // Safe to repeat: a second pass finds what the first removed gone.
    absl::Status st = Unary(options_.maintenance_timeout, [&](grpc::ClientContext* ctx) {
      return stub_->ReconcileStorage(ctx, req, &resp);
    });
    if (!st.ok()) return st;
    return resp;
  }

  absl::Status CancelJob(const std::string& job_id) override {
    v1::AgentCancelJobRequest req;
    req.set_job_id(job_id);
    v1::AgentCancelJobResponse resp;
    return Unary(options_.cancel_timeout, [&](grpc::ClientContext* ctx) {
      return stub_->CancelJob(ctx, req, &resp);
    });
  }

  std::unique_ptr<BackupObjectStream> ReadBackupObject(
      const v1::ReadBackupObjectRequest& request) override {
    auto stream = std::make_unique<GrpcBackupObjectStream>(absl::InfiniteFuture());
    stream->Attach(stub_->ReadBackupObject(stream->context(), request));
    return stream;
  }

  std::unique_ptr<JobEventStream> RunBackup(const v1::BackupJob& job, absl::Time deadline) override {
    auto stream = std::make_unique<GrpcJobEventStream>(deadline);
    v1::RunBackupRequest req;
    *req.mutable_job() = job;
    stream->Attach(stub_->RunBackup(stream->context(), req));
    return stream;
  }

  std::unique_ptr<JobEventStream> RunRestore(const v1::RestoreJob& job, absl::Time deadline) override {
    auto stream = std::make_unique<GrpcJobEventStream>(deadline);
    v1::RunRestoreRequest req;
    *req.mutable_job() = job;
    stream->Attach(stub_->RunRestore(stream->context(), req));
    return stream;
  }

  std::unique_ptr<JobEventStream> RunCopy(const v1::CopyJob& job, absl::Time deadline) override {
    auto stream = std::make_unique<GrpcJobEventStream>(deadline);
    v1::RunCopyRequest req;
    *req.mutable_job() = job;
    stream->Attach(stub_->RunCopy(stream->context(), req));
    return stream;
  }

  std::unique_ptr<JobEventStream> WatchJob(const std::string& job_id, absl::Time deadline) override {
    auto stream = std::make_unique<GrpcJobEventStream>(deadline);
    v1::WatchJobRequest req;
    req.set_job_id(job_id);
    stream->Attach(stub_->WatchJob(stream->context(), req));
    return stream;
  }

 private:
  // One unary call with its deadline, tried again while the agent is
  // unreachable (a channel still reconnecting fails its first call at once).
  absl::Status Unary(absl::Duration timeout,
                     const std::function<grpc::Status(grpc::ClientContext*)>& call) {
    auto deadline = std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout);
    absl::Duration backoff = options_.retry_backoff;
    grpc::Status st;
    for (int attempt = 1;; ++attempt) {
      grpc::ClientContext ctx;
      ctx.set_deadline(deadline);
      st = call(&ctx);
      if (st.error_code() != grpc::StatusCode::UNAVAILABLE || attempt >= options_.attempts ||
          std::chrono::system_clock::now() + absl::ToChronoMilliseconds(backoff) >= deadline) {
        break;
      }
      absl::SleepFor(backoff);
      backoff *= 2;
    }
    return FromGrpc(st);
  }

  const GrpcAgentClientOptions options_;
  std::unique_ptr<v1::AgentService::Stub> stub_;
};

}  // namespace

AgentChannels PlaintextAgentChannels() {
  return [](const std::string&, const std::string& address) {
    return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  };
}

GrpcAgentClients::GrpcAgentClients(AgentChannels channels, GrpcAgentClientOptions options)
    : channels_(std::move(channels)), options_(options) {}
GrpcAgentClients::~GrpcAgentClients() = default;

std::shared_ptr<AgentClient> GrpcAgentClients::For(const v1::Agent& agent) {
  absl::MutexLock l(&mu_);
  std::shared_ptr<AgentClient>& client = clients_[agent.name() + "@" + agent.address()];
  if (!client) {
    client = std::make_shared<GrpcAgentClient>(channels_(agent.name(), agent.address()), options_);
  }
  return client;
}

}  // namespace dbdump
