// ControllerClient over a plaintext gRPC channel. Every unary call carries a
// deadline of `timeout`; FollowJob has none, since a backup may run for hours
// and the controller ends the stream when the job is terminal. Calls fail
// fast with UNAVAILABLE when the controller cannot be reached.
// Thread-safe: gRPC stubs may be shared between threads.
#pragma once

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "controller/cli/client/client_security.h"
#include "controller/cli/client/controller_client.h"

namespace grpc {
class Status;
}  // namespace grpc

namespace dbdump {

class GrpcControllerClient : public ControllerClient {
 public:
  // Every call fails with `security`'s error when it is one.
  GrpcControllerClient(const std::string& address, absl::Duration timeout,
                       absl::StatusOr<ClientSecurity> security);
  ~GrpcControllerClient() override;

  absl::StatusOr<v1::ListAgentsResponse> ListAgents(const v1::ListAgentsRequest& req) override;
  absl::StatusOr<v1::AddDatabaseResponse> AddDatabase(const v1::AddDatabaseRequest& req) override;
  absl::StatusOr<v1::ListDatabasesResponse> ListDatabases(
      const v1::ListDatabasesRequest& req) override;
  absl::StatusOr<v1::RemoveDatabaseResponse> RemoveDatabase(
      const v1::RemoveDatabaseRequest& req) override;
  absl::StatusOr<v1::AddStorageResponse> AddStorage(const v1::AddStorageRequest& req) override;
  absl::StatusOr<v1::ListStoragesResponse> ListStorages(
      const v1::ListStoragesRequest& req) override;
  absl::StatusOr<v1::RemoveStorageResponse> RemoveStorage(
      const v1::RemoveStorageRequest& req) override;
  absl::StatusOr<v1::ReconcileStorageResponse> ReconcileStorage(
      const v1::ReconcileStorageRequest& req) override;
  absl::StatusOr<v1::StartBackupResponse> StartBackup(const v1::StartBackupRequest& req) override;
  absl::StatusOr<v1::ListBackupsResponse> ListBackups(const v1::ListBackupsRequest& req) override;
  absl::StatusOr<v1::GetBackupResponse> GetBackup(const v1::GetBackupRequest& req) override;
  absl::StatusOr<v1::StartRestoreResponse> StartRestore(
      const v1::StartRestoreRequest& req) override;
  absl::StatusOr<v1::ListJobsResponse> ListJobs(const v1::ListJobsRequest& req) override;
  absl::StatusOr<v1::GetJobResponse> GetJob(const v1::GetJobRequest& req) override;
  absl::StatusOr<v1::CreateJoinTokenResponse> CreateJoinToken(
      const v1::CreateJoinTokenRequest& req) override;
  absl::StatusOr<v1::RevokeAgentResponse> RevokeAgent(const v1::RevokeAgentRequest& req) override;
  absl::StatusOr<v1::CancelJobResponse> CancelJob(const v1::CancelJobRequest& req) override;
  absl::StatusOr<v1::DeleteBackupResponse> DeleteBackup(
      const v1::DeleteBackupRequest& req) override;
  absl::StatusOr<v1::CopyBackupResponse> CopyBackup(const v1::CopyBackupRequest& req) override;
  absl::StatusOr<v1::GetDatabaseResponse> GetDatabase(const v1::GetDatabaseRequest& req) override;
  absl::StatusOr<v1::UpdateDatabaseResponse> UpdateDatabase(
      const v1::UpdateDatabaseRequest& req) override;
  absl::StatusOr<v1::GetStorageResponse> GetStorage(const v1::GetStorageRequest& req) override;
  absl::StatusOr<v1::UpdateStorageResponse> UpdateStorage(
      const v1::UpdateStorageRequest& req) override;
  absl::StatusOr<v1::UpdateScheduleResponse> UpdateSchedule(
      const v1::UpdateScheduleRequest& req) override;
  absl::StatusOr<v1::GetAgentResponse> GetAgent(const v1::GetAgentRequest& req) override;
  absl::StatusOr<v1::DeleteAgentResponse> DeleteAgent(const v1::DeleteAgentRequest& req) override;
  absl::StatusOr<v1::CreateTokenResponse> CreateToken(const v1::CreateTokenRequest& req) override;
  absl::StatusOr<v1::ListTokensResponse> ListTokens(const v1::ListTokensRequest& req) override;
  absl::StatusOr<v1::RevokeTokenResponse> RevokeToken(const v1::RevokeTokenRequest& req) override;
  absl::StatusOr<v1::ListAuditEntriesResponse> ListAuditEntries(
      const v1::ListAuditEntriesRequest& req) override;
  absl::StatusOr<v1::VerifyAuditLogResponse> VerifyAuditLog(
      const v1::VerifyAuditLogRequest& req) override;
  absl::Status FollowJob(const v1::FollowJobRequest& req,
                         const std::function<void(const v1::Job&)>& on_update) override;
  absl::Status DownloadBackup(
      const v1::DownloadBackupRequest& req,
      const std::function<absl::Status(const v1::DownloadBackupResponse&)>& on_message) override;
  absl::StatusOr<v1::CreateScheduleResponse> CreateSchedule(
      const v1::CreateScheduleRequest& req) override;
  absl::StatusOr<v1::ListSchedulesResponse> ListSchedules(
      const v1::ListSchedulesRequest& req) override;
  absl::StatusOr<v1::GetScheduleResponse> GetSchedule(const v1::GetScheduleRequest& req) override;
  absl::StatusOr<v1::SetScheduleEnabledResponse> SetScheduleEnabled(
      const v1::SetScheduleEnabledRequest& req) override;
  absl::StatusOr<v1::RunScheduleNowResponse> RunScheduleNow(
      const v1::RunScheduleNowRequest& req) override;
  absl::StatusOr<v1::DeleteScheduleResponse> DeleteSchedule(
      const v1::DeleteScheduleRequest& req) override;
  absl::StatusOr<v1::PreviewScheduleResponse> PreviewSchedule(
      const v1::PreviewScheduleRequest& req) override;
  absl::StatusOr<v1::PlanRetentionResponse> PlanRetention(
      const v1::PlanRetentionRequest& req) override;
  absl::StatusOr<v1::ApplyRetentionResponse> ApplyRetention(
      const v1::ApplyRetentionRequest& req) override;
  absl::StatusOr<v1::SetDatabaseRetentionResponse> SetDatabaseRetention(
      const v1::SetDatabaseRetentionRequest& req) override;
  absl::StatusOr<v1::VerifyStoredBackupResponse> VerifyBackup(
      const v1::VerifyStoredBackupRequest& req) override;
  absl::StatusOr<v1::GetStatsResponse> GetStats(const v1::GetStatsRequest& req) override;
  absl::StatusOr<v1::GetHealthResponse> GetHealth(const v1::GetHealthRequest& req) override;

 private:
  // The gRPC stubs, kept out of this header so its users need no gRPC headers.
  struct Stubs;

  // Runs one unary call with the deadline set; `call` invokes the stub method.
  template <typename Response, typename Call>
  absl::StatusOr<Response> Unary(Call call);

  // Our own wording for failures to reach the controller; other errors pass
  // through with the controller's code and message.
  absl::Status Explain(const grpc::Status& status) const;

  std::string address_;
  absl::Duration timeout_;
  absl::Status security_error_;
  std::unique_ptr<Stubs> stubs_;
};

}  // namespace dbdump
