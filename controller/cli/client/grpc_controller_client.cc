#include "controller/cli/client/grpc_controller_client.h"

#include <grpcpp/grpcpp.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/base/clock.h"
#include "common/base/grpc_status.h"
#include "common/security/identity.h"
#include "common/security/tls_credentials.h"
#include "dbdump/v1/controller_service.grpc.pb.h"
#include "dbdump/v1/security_service.grpc.pb.h"

namespace dbdump {

struct GrpcControllerClient::Stubs {
  explicit Stubs(std::shared_ptr<grpc::Channel> c)
      : channel(std::move(c)),
        agents(v1::AgentAdminService::NewStub(channel)),
        databases(v1::DatabaseService::NewStub(channel)),
        storages(v1::StorageService::NewStub(channel)),
        backups(v1::BackupService::NewStub(channel)),
        jobs(v1::JobService::NewStub(channel)),
        schedules(v1::ScheduleService::NewStub(channel)),
        retention(v1::RetentionService::NewStub(channel)),
        health(v1::HealthService::NewStub(channel)),
        verification(v1::VerificationService::NewStub(channel)),
        tokens(v1::TokenService::NewStub(channel)),
        audit(v1::AuditService::NewStub(channel)) {}

  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::AgentAdminService::Stub> agents;
  std::unique_ptr<v1::DatabaseService::Stub> databases;
  std::unique_ptr<v1::StorageService::Stub> storages;
  std::unique_ptr<v1::BackupService::Stub> backups;
  std::unique_ptr<v1::JobService::Stub> jobs;
  std::unique_ptr<v1::ScheduleService::Stub> schedules;
  std::unique_ptr<v1::RetentionService::Stub> retention;
  std::unique_ptr<v1::HealthService::Stub> health;
  std::unique_ptr<v1::VerificationService::Stub> verification;
  std::unique_ptr<v1::TokenService::Stub> tokens;
  std::unique_ptr<v1::AuditService::Stub> audit;
};

namespace {

std::shared_ptr<grpc::ChannelCredentials> CredentialsFor(const ClientSecurity& security) {
  if (security.plaintext) return grpc::InsecureChannelCredentials();
  std::shared_ptr<grpc::ChannelCredentials> tls =
      ServerTlsChannelCredentials(security.ca_pem, ControllerIdentity());
  if (security.token.empty()) return tls;
  // Sent as "authorization: Bearer <token>", and only over TLS.
  return grpc::CompositeChannelCredentials(tls, grpc::AccessTokenCredentials(security.token));
}

}  // namespace

GrpcControllerClient::GrpcControllerClient(const std::string& address, absl::Duration timeout,
                                           absl::StatusOr<ClientSecurity> security)
    : address_(address),
      timeout_(timeout),
      security_error_(security.status()),
      stubs_(std::make_unique<Stubs>(CreateChannelTo(
          address, security.ok() ? CredentialsFor(*security) : grpc::InsecureChannelCredentials(),
          ControllerIdentity()))) {}

GrpcControllerClient::~GrpcControllerClient() = default;

absl::Status GrpcControllerClient::Explain(const grpc::Status& status) const {
  // UNAVAILABLE or DEADLINE_EXCEEDED with a channel that is not connected
  // means we never reached the controller. With a connected channel the
  // controller itself answered (e.g. relaying an offline agent), and its
  // message says more than we could.
  bool connected = stubs_->channel->GetState(false) == GRPC_CHANNEL_READY;
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE && !connected) {
    return absl::UnavailableError(
        absl::StrCat("the controller at ", address_,
                     " is unreachable: check --controller or $DBDUMP_CONTROLLER (",
                     status.error_message(), ")"));
  }
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    if (!connected) {
      return absl::DeadlineExceededError(absl::StrCat(
          "the controller at ", address_, " is unreachable: no connection within ",
          absl::FormatDuration(timeout_), "; check --controller or $DBDUMP_CONTROLLER"));
    }
    return absl::DeadlineExceededError(
        absl::StrCat("the controller at ", address_, " did not answer within ",
                     absl::FormatDuration(timeout_), ": raise --timeout_s or retry later"));
  }
  return FromGrpc(status);
}

template <typename Response, typename Call>
absl::StatusOr<Response> GrpcControllerClient::Unary(Call call) {
  if (!security_error_.ok()) return security_error_;
  grpc::ClientContext context;
  // gRPC enforces deadlines against the real wall clock, so the real one.
  context.set_deadline(absl::ToChronoTime(DefaultClock()->Now() + timeout_));
  Response response;
  grpc::Status status = call(&context, &response);
  if (!status.ok()) return Explain(status);
  return response;
}

absl::StatusOr<v1::ListAgentsResponse> GrpcControllerClient::ListAgents(
    const v1::ListAgentsRequest& req) {
  return Unary<v1::ListAgentsResponse>([&](grpc::ClientContext* c, v1::ListAgentsResponse* r) {
    return stubs_->agents->ListAgents(c, req, r);
  });
}

absl::StatusOr<v1::AddDatabaseResponse> GrpcControllerClient::AddDatabase(
    const v1::AddDatabaseRequest& req) {
  return Unary<v1::AddDatabaseResponse>([&](grpc::ClientContext* c, v1::AddDatabaseResponse* r) {
    return stubs_->databases->AddDatabase(c, req, r);
  });
}

absl::StatusOr<v1::ListDatabasesResponse> GrpcControllerClient::ListDatabases(
    const v1::ListDatabasesRequest& req) {
  return Unary<v1::ListDatabasesResponse>(
      [&](grpc::ClientContext* c, v1::ListDatabasesResponse* r) {
        return stubs_->databases->ListDatabases(c, req, r);
      });
}

absl::StatusOr<v1::RemoveDatabaseResponse> GrpcControllerClient::RemoveDatabase(
    const v1::RemoveDatabaseRequest& req) {
  return Unary<v1::RemoveDatabaseResponse>(
      [&](grpc::ClientContext* c, v1::RemoveDatabaseResponse* r) {
        return stubs_->databases->RemoveDatabase(c, req, r);
      });
}

absl::StatusOr<v1::AddStorageResponse> GrpcControllerClient::AddStorage(
    const v1::AddStorageRequest& req) {
  return Unary<v1::AddStorageResponse>([&](grpc::ClientContext* c, v1::AddStorageResponse* r) {
    return stubs_->storages->AddStorage(c, req, r);
  });
}

absl::StatusOr<v1::ListStoragesResponse> GrpcControllerClient::ListStorages(
    const v1::ListStoragesRequest& req) {
  return Unary<v1::ListStoragesResponse>([&](grpc::ClientContext* c, v1::ListStoragesResponse* r) {
    return stubs_->storages->ListStorages(c, req, r);
  });
}

absl::StatusOr<v1::RemoveStorageResponse> GrpcControllerClient::RemoveStorage(
    const v1::RemoveStorageRequest& req) {
  return Unary<v1::RemoveStorageResponse>(
      [&](grpc::ClientContext* c, v1::RemoveStorageResponse* r) {
        return stubs_->storages->RemoveStorage(c, req, r);
      });
}

absl::StatusOr<v1::ReconcileStorageResponse> GrpcControllerClient::ReconcileStorage(
    const v1::ReconcileStorageRequest& req) {
  return Unary<v1::ReconcileStorageResponse>(
      [&](grpc::ClientContext* c, v1::ReconcileStorageResponse* r) {
        return stubs_->storages->ReconcileStorage(c, req, r);
      });
}

absl::StatusOr<v1::StartBackupResponse> GrpcControllerClient::StartBackup(
    const v1::StartBackupRequest& req) {
  return Unary<v1::StartBackupResponse>([&](grpc::ClientContext* c, v1::StartBackupResponse* r) {
    return stubs_->backups->StartBackup(c, req, r);
  });
}

absl::StatusOr<v1::ListBackupsResponse> GrpcControllerClient::ListBackups(
    const v1::ListBackupsRequest& req) {
  return Unary<v1::ListBackupsResponse>([&](grpc::ClientContext* c, v1::ListBackupsResponse* r) {
    return stubs_->backups->ListBackups(c, req, r);
  });
}

absl::StatusOr<v1::GetBackupResponse> GrpcControllerClient::GetBackup(
    const v1::GetBackupRequest& req) {
  return Unary<v1::GetBackupResponse>([&](grpc::ClientContext* c, v1::GetBackupResponse* r) {
    return stubs_->backups->GetBackup(c, req, r);
  });
}

absl::StatusOr<v1::StartRestoreResponse> GrpcControllerClient::StartRestore(
    const v1::StartRestoreRequest& req) {
  return Unary<v1::StartRestoreResponse>([&](grpc::ClientContext* c, v1::StartRestoreResponse* r) {
    return stubs_->backups->StartRestore(c, req, r);
  });
}

absl::StatusOr<v1::ListJobsResponse> GrpcControllerClient::ListJobs(
    const v1::ListJobsRequest& req) {
  return Unary<v1::ListJobsResponse>([&](grpc::ClientContext* c, v1::ListJobsResponse* r) {
    return stubs_->jobs->ListJobs(c, req, r);
  });
}

absl::StatusOr<v1::GetJobResponse> GrpcControllerClient::GetJob(const v1::GetJobRequest& req) {
  return Unary<v1::GetJobResponse>([&](grpc::ClientContext* c, v1::GetJobResponse* r) {
    return stubs_->jobs->GetJob(c, req, r);
  });
}

absl::Status GrpcControllerClient::FollowJob(const v1::FollowJobRequest& req,
                                             const std::function<void(const v1::Job&)>& on_update) {
  if (!security_error_.ok()) return security_error_;
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::FollowJobResponse>> reader =
      stubs_->jobs->FollowJob(&context, req);
  v1::FollowJobResponse response;
  while (reader->Read(&response)) on_update(response.job());
  grpc::Status status = reader->Finish();
  if (!status.ok()) return Explain(status);
  return absl::OkStatus();
}

absl::Status GrpcControllerClient::DownloadBackup(
    const v1::DownloadBackupRequest& req,
    const std::function<absl::Status(const v1::DownloadBackupResponse&)>& on_message) {
  if (!security_error_.ok()) return security_error_;
  // No deadline: a big backup takes as long as it takes to read.
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::DownloadBackupResponse>> reader =
      stubs_->backups->DownloadBackup(&context, req);
  v1::DownloadBackupResponse response;
  absl::Status stopped;
  while (stopped.ok() && reader->Read(&response)) {
    stopped = on_message(response);
    if (!stopped.ok()) context.TryCancel();
  }
  grpc::Status status = reader->Finish();
  if (!stopped.ok()) return stopped;
  if (!status.ok()) return Explain(status);
  return absl::OkStatus();
}

absl::StatusOr<v1::CreateScheduleResponse> GrpcControllerClient::CreateSchedule(const v1::CreateScheduleRequest& req) {
  return Unary<v1::CreateScheduleResponse>([&](grpc::ClientContext* c, v1::CreateScheduleResponse* r) {
    return stubs_->schedules->CreateSchedule(c, req, r);
  });
}

absl::StatusOr<v1::ListSchedulesResponse> GrpcControllerClient::ListSchedules(const v1::ListSchedulesRequest& req) {
  return Unary<v1::ListSchedulesResponse>([&](grpc::ClientContext* c, v1::ListSchedulesResponse* r) {
    return stubs_->schedules->ListSchedules(c, req, r);
  });
}

absl::StatusOr<v1::GetScheduleResponse> GrpcControllerClient::GetSchedule(const v1::GetScheduleRequest& req) {
  return Unary<v1::GetScheduleResponse>([&](grpc::ClientContext* c, v1::GetScheduleResponse* r) {
    return stubs_->schedules->GetSchedule(c, req, r);
  });
}

absl::StatusOr<v1::SetScheduleEnabledResponse> GrpcControllerClient::SetScheduleEnabled(const v1::SetScheduleEnabledRequest& req) {
  return Unary<v1::SetScheduleEnabledResponse>([&](grpc::ClientContext* c, v1::SetScheduleEnabledResponse* r) {
    return stubs_->schedules->SetScheduleEnabled(c, req, r);
  });
}

absl::StatusOr<v1::RunScheduleNowResponse> GrpcControllerClient::RunScheduleNow(const v1::RunScheduleNowRequest& req) {
  return Unary<v1::RunScheduleNowResponse>([&](grpc::ClientContext* c, v1::RunScheduleNowResponse* r) {
    return stubs_->schedules->RunScheduleNow(c, req, r);
  });
}

absl::StatusOr<v1::DeleteScheduleResponse> GrpcControllerClient::DeleteSchedule(const v1::DeleteScheduleRequest& req) {
  return Unary<v1::DeleteScheduleResponse>([&](grpc::ClientContext* c, v1::DeleteScheduleResponse* r) {
    return stubs_->schedules->DeleteSchedule(c, req, r);
  });
}

absl::StatusOr<v1::PreviewScheduleResponse> GrpcControllerClient::PreviewSchedule(const v1::PreviewScheduleRequest& req) {
  return Unary<v1::PreviewScheduleResponse>([&](grpc::ClientContext* c, v1::PreviewScheduleResponse* r) {
    return stubs_->schedules->PreviewSchedule(c, req, r);
  });
}

absl::StatusOr<v1::PlanRetentionResponse> GrpcControllerClient::PlanRetention(const v1::PlanRetentionRequest& req) {
  return Unary<v1::PlanRetentionResponse>([&](grpc::ClientContext* c, v1::PlanRetentionResponse* r) {
    return stubs_->retention->PlanRetention(c, req, r);
  });
}

absl::StatusOr<v1::GetStatsResponse> GrpcControllerClient::GetStats(const v1::GetStatsRequest& req) {
  return Unary<v1::GetStatsResponse>([&](grpc::ClientContext* c, v1::GetStatsResponse* r) {
    return stubs_->health->GetStats(c, req, r);
  });
}

absl::StatusOr<v1::GetHealthResponse> GrpcControllerClient::GetHealth(const v1::GetHealthRequest& req) {
  return Unary<v1::GetHealthResponse>([&](grpc::ClientContext* c, v1::GetHealthResponse* r) {
    return stubs_->health->GetHealth(c, req, r);
  });
}

absl::StatusOr<v1::ApplyRetentionResponse> GrpcControllerClient::ApplyRetention(
    const v1::ApplyRetentionRequest& req) {
  return Unary<v1::ApplyRetentionResponse>(
      [&](grpc::ClientContext* c, v1::ApplyRetentionResponse* r) {
        return stubs_->retention->ApplyRetention(c, req, r);
      });
}

absl::StatusOr<v1::VerifyStoredBackupResponse> GrpcControllerClient::VerifyBackup(
    const v1::VerifyStoredBackupRequest& req) {
  return Unary<v1::VerifyStoredBackupResponse>(
      [&](grpc::ClientContext* c, v1::VerifyStoredBackupResponse* r) {
        return stubs_->verification->VerifyBackup(c, req, r);
      });
}

absl::StatusOr<v1::SetDatabaseRetentionResponse> GrpcControllerClient::SetDatabaseRetention(
    const v1::SetDatabaseRetentionRequest& req) {
  return Unary<v1::SetDatabaseRetentionResponse>(
      [&](grpc::ClientContext* c, v1::SetDatabaseRetentionResponse* r) {
        return stubs_->retention->SetDatabaseRetention(c, req, r);
      });
}

absl::StatusOr<v1::CreateJoinTokenResponse> GrpcControllerClient::CreateJoinToken(
    const v1::CreateJoinTokenRequest& req) {
  return Unary<v1::CreateJoinTokenResponse>([&](grpc::ClientContext* c, v1::CreateJoinTokenResponse* r) {
    return stubs_->agents->CreateJoinToken(c, req, r);
  });
}

absl::StatusOr<v1::RevokeAgentResponse> GrpcControllerClient::RevokeAgent(
    const v1::RevokeAgentRequest& req) {
  return Unary<v1::RevokeAgentResponse>([&](grpc::ClientContext* c, v1::RevokeAgentResponse* r) {
    return stubs_->agents->RevokeAgent(c, req, r);
  });
}

absl::StatusOr<v1::CancelJobResponse> GrpcControllerClient::CancelJob(
    const v1::CancelJobRequest& req) {
  return Unary<v1::CancelJobResponse>([&](grpc::ClientContext* c, v1::CancelJobResponse* r) {
    return stubs_->jobs->CancelJob(c, req, r);
  });
}

absl::StatusOr<v1::CopyBackupResponse> GrpcControllerClient::CopyBackup(
    const v1::CopyBackupRequest& req) {
  return Unary<v1::CopyBackupResponse>([&](grpc::ClientContext* c, v1::CopyBackupResponse* r) {
    return stubs_->backups->CopyBackup(c, req, r);
  });
}

absl::StatusOr<v1::DeleteBackupResponse> GrpcControllerClient::DeleteBackup(
    const v1::DeleteBackupRequest& req) {
  return Unary<v1::DeleteBackupResponse>([&](grpc::ClientContext* c, v1::DeleteBackupResponse* r) {
    return stubs_->backups->DeleteBackup(c, req, r);
  });
}

absl::StatusOr<v1::GetDatabaseResponse> GrpcControllerClient::GetDatabase(
    const v1::GetDatabaseRequest& req) {
  return Unary<v1::GetDatabaseResponse>([&](grpc::ClientContext* c, v1::GetDatabaseResponse* r) {
    return stubs_->databases->GetDatabase(c, req, r);
  });
}

absl::StatusOr<v1::UpdateDatabaseResponse> GrpcControllerClient::UpdateDatabase(
    const v1::UpdateDatabaseRequest& req) {
  return Unary<v1::UpdateDatabaseResponse>(
      [&](grpc::ClientContext* c, v1::UpdateDatabaseResponse* r) {
        return stubs_->databases->UpdateDatabase(c, req, r);
      });
}

absl::StatusOr<v1::GetStorageResponse> GrpcControllerClient::GetStorage(
    const v1::GetStorageRequest& req) {
  return Unary<v1::GetStorageResponse>([&](grpc::ClientContext* c, v1::GetStorageResponse* r) {
    return stubs_->storages->GetStorage(c, req, r);
  });
}

absl::StatusOr<v1::UpdateStorageResponse> GrpcControllerClient::UpdateStorage(
    const v1::UpdateStorageRequest& req) {
  return Unary<v1::UpdateStorageResponse>(
      [&](grpc::ClientContext* c, v1::UpdateStorageResponse* r) {
        return stubs_->storages->UpdateStorage(c, req, r);
      });
}

absl::StatusOr<v1::UpdateScheduleResponse> GrpcControllerClient::UpdateSchedule(
    const v1::UpdateScheduleRequest& req) {
  return Unary<v1::UpdateScheduleResponse>(
      [&](grpc::ClientContext* c, v1::UpdateScheduleResponse* r) {
        return stubs_->schedules->UpdateSchedule(c, req, r);
      });
}

absl::StatusOr<v1::GetAgentResponse> GrpcControllerClient::GetAgent(
    const v1::GetAgentRequest& req) {
  return Unary<v1::GetAgentResponse>([&](grpc::ClientContext* c, v1::GetAgentResponse* r) {
    return stubs_->agents->GetAgent(c, req, r);
  });
}

absl::StatusOr<v1::DeleteAgentResponse> GrpcControllerClient::DeleteAgent(
    const v1::DeleteAgentRequest& req) {
  return Unary<v1::DeleteAgentResponse>([&](grpc::ClientContext* c, v1::DeleteAgentResponse* r) {
    return stubs_->agents->DeleteAgent(c, req, r);
  });
}

absl::StatusOr<v1::CreateTokenResponse> GrpcControllerClient::CreateToken(
    const v1::CreateTokenRequest& req) {
  return Unary<v1::CreateTokenResponse>([&](grpc::ClientContext* c, v1::CreateTokenResponse* r) {
    return stubs_->tokens->CreateToken(c, req, r);
  });
}

absl::StatusOr<v1::ListTokensResponse> GrpcControllerClient::ListTokens(
    const v1::ListTokensRequest& req) {
  return Unary<v1::ListTokensResponse>([&](grpc::ClientContext* c, v1::ListTokensResponse* r) {
    return stubs_->tokens->ListTokens(c, req, r);
  });
}

absl::StatusOr<v1::RevokeTokenResponse> GrpcControllerClient::RevokeToken(
    const v1::RevokeTokenRequest& req) {
  return Unary<v1::RevokeTokenResponse>([&](grpc::ClientContext* c, v1::RevokeTokenResponse* r) {
    return stubs_->tokens->RevokeToken(c, req, r);
  });
}

absl::StatusOr<v1::ListAuditEntriesResponse> GrpcControllerClient::ListAuditEntries(
    const v1::ListAuditEntriesRequest& req) {
  return Unary<v1::ListAuditEntriesResponse>([&](grpc::ClientContext* c, v1::ListAuditEntriesResponse* r) {
    return stubs_->audit->ListAuditEntries(c, req, r);
  });
}

absl::StatusOr<v1::VerifyAuditLogResponse> GrpcControllerClient::VerifyAuditLog(
    const v1::VerifyAuditLogRequest& req) {
  return Unary<v1::VerifyAuditLogResponse>([&](grpc::ClientContext* c, v1::VerifyAuditLogResponse* r) {
    return stubs_->audit->VerifyAuditLog(c, req, r);
  });
}

}  // namespace dbdump
