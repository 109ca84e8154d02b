// What dbdumpctl asks of the controller: one method per RPC it uses, with
// errors as absl::Status (the gRPC code and message carried over). An
// interface so tests can drive the commands with a fake; the real one is
// GrpcControllerClient. Implementations say whether they are thread-safe.
#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dbdump/v1/controller_service.pb.h"
#include "dbdump/v1/security_service.pb.h"

namespace dbdump {

class ControllerClient {
 public:
  virtual ~ControllerClient() = default;

  virtual absl::StatusOr<v1::ListAgentsResponse> ListAgents(const v1::ListAgentsRequest& req) = 0;

  virtual absl::StatusOr<v1::AddDatabaseResponse> AddDatabase(
      const v1::AddDatabaseRequest& req) = 0;
  virtual absl::StatusOr<v1::ListDatabasesResponse> ListDatabases(
      const v1::ListDatabasesRequest& req) = 0;
  virtual absl::StatusOr<v1::RemoveDatabaseResponse> RemoveDatabase(
      const v1::RemoveDatabaseRequest& req) = 0;

  virtual absl::StatusOr<v1::AddStorageResponse> AddStorage(const v1::AddStorageRequest& req) = 0;
  virtual absl::StatusOr<v1::ListStoragesResponse> ListStorages(
      const v1::ListStoragesRequest& req) = 0;
  virtual absl::StatusOr<v1::RemoveStorageResponse> RemoveStorage(
      const v1::RemoveStorageRequest& req) = 0;
  virtual absl::StatusOr<v1::ReconcileStorageResponse> ReconcileStorage(
      const v1::ReconcileStorageRequest& req) = 0;

  virtual absl::StatusOr<v1::StartBackupResponse> StartBackup(
      const v1::StartBackupRequest& req) = 0;
  virtual absl::StatusOr<v1::ListBackupsResponse> ListBackups(
      const v1::ListBackupsRequest& req) = 0;
  virtual absl::StatusOr<v1::GetBackupResponse> GetBackup(const v1::GetBackupRequest& req) = 0;
  virtual absl::StatusOr<v1::StartRestoreResponse> StartRestore(
      const v1::StartRestoreRequest& req) = 0;

  virtual absl::StatusOr<v1::ListJobsResponse> ListJobs(const v1::ListJobsRequest& req) = 0;
  virtual absl::StatusOr<v1::GetJobResponse> GetJob(const v1::GetJobRequest& req) = 0;
  // Calls `on_update` with each record of the job the controller streams and
  // returns when the stream ends (the controller ends it once the job is terminal).
  virtual absl::Status FollowJob(const v1::FollowJobRequest& req,
                                 const std::function<void(const v1::Job&)>& on_update) = 0;

  virtual absl::StatusOr<v1::CancelJobResponse> CancelJob(const v1::CancelJobRequest&) {
    return Unscripted("CancelJob");
  }
  virtual absl::StatusOr<v1::DeleteBackupResponse> DeleteBackup(const v1::DeleteBackupRequest&) {
    return Unscripted("DeleteBackup");
  }
  virtual absl::StatusOr<v1::CopyBackupResponse> CopyBackup(const v1::CopyBackupRequest&) {
    return Unscripted("CopyBackup");
  }
  virtual absl::StatusOr<v1::GetDatabaseResponse> GetDatabase(const v1::GetDatabaseRequest&) {
    return Unscripted("GetDatabase");
  }
  virtual absl::StatusOr<v1::UpdateDatabaseResponse> UpdateDatabase(
      const v1::UpdateDatabaseRequest&) {
    return Unscripted("UpdateDatabase");
  }
  virtual absl::StatusOr<v1::GetStorageResponse> GetStorage(const v1::GetStorageRequest&) {
    return Unscripted("GetStorage");
  }
  virtual absl::StatusOr<v1::UpdateStorageResponse> UpdateStorage(const v1::UpdateStorageRequest&) {
    return Unscripted("UpdateStorage");
  }
  virtual absl::StatusOr<v1::UpdateScheduleResponse> UpdateSchedule(
      const v1::UpdateScheduleRequest&) {
    return Unscripted("UpdateSchedule");
  }
  // Calls `on_message` with each message of the download, the header first;
  // an error it returns cancels the call and is returned.
  virtual absl::Status DownloadBackup(
      const v1::DownloadBackupRequest&,
      const std::function<absl::Status(const v1::DownloadBackupResponse&)>&) {
    return Unscripted("DownloadBackup");
  }

  // Schedules, retention, statistics and health. Not pure, so fakes need
  // to script only what their tests use: unscripted calls are UNIMPLEMENTED.
  virtual absl::StatusOr<v1::CreateScheduleResponse> CreateSchedule(
      const v1::CreateScheduleRequest&) {
    return Unscripted("CreateSchedule");
  }
  virtual absl::StatusOr<v1::ListSchedulesResponse> ListSchedules(
      const v1::ListSchedulesRequest&) {
    return Unscripted("ListSchedules");
  }
  virtual absl::StatusOr<v1::GetScheduleResponse> GetSchedule(const v1::GetScheduleRequest&) {
    return Unscripted("GetSchedule");
  }
  virtual absl::StatusOr<v1::SetScheduleEnabledResponse> SetScheduleEnabled(
      const v1::SetScheduleEnabledRequest&) {
    return Unscripted("SetScheduleEnabled");
  }
  virtual absl::StatusOr<v1::RunScheduleNowResponse> RunScheduleNow(
      const v1::RunScheduleNowRequest&) {
    return Unscripted("RunScheduleNow");
  }
  virtual absl::StatusOr<v1::DeleteScheduleResponse> DeleteSchedule(
      const v1::DeleteScheduleRequest&) {
    return Unscripted("DeleteSchedule");
  }
  virtual absl::StatusOr<v1::PreviewScheduleResponse> PreviewSchedule(
      const v1::PreviewScheduleRequest&) {
    return Unscripted("PreviewSchedule");
  }
  virtual absl::StatusOr<v1::PlanRetentionResponse> PlanRetention(
      const v1::PlanRetentionRequest&) {
    return Unscripted("PlanRetention");
  }
  virtual absl::StatusOr<v1::ApplyRetentionResponse> ApplyRetention(
      const v1::ApplyRetentionRequest&) {
    return Unscripted("ApplyRetention");
  }
  virtual absl::StatusOr<v1::SetDatabaseRetentionResponse> SetDatabaseRetention(
      const v1::SetDatabaseRetentionRequest&) {
    return Unscripted("SetDatabaseRetention");
  }
  virtual absl::StatusOr<v1::VerifyStoredBackupResponse> VerifyBackup(
      const v1::VerifyStoredBackupRequest&) {
    return Unscripted("VerifyBackup");
  }
  virtual absl::StatusOr<v1::GetStatsResponse> GetStats(const v1::GetStatsRequest&) {
    return Unscripted("GetStats");
  }
  virtual absl::StatusOr<v1::GetHealthResponse> GetHealth(const v1::GetHealthRequest&) {
    return Unscripted("GetHealth");
  }

  // Agents' enrollment, API tokens and the audit log.
  virtual absl::StatusOr<v1::CreateJoinTokenResponse> CreateJoinToken(
      const v1::CreateJoinTokenRequest&) {
    return Unscripted("CreateJoinToken");
  }
  virtual absl::StatusOr<v1::RevokeAgentResponse> RevokeAgent(const v1::RevokeAgentRequest&) {
    return Unscripted("RevokeAgent");
  }
  virtual absl::StatusOr<v1::GetAgentResponse> GetAgent(const v1::GetAgentRequest&) {
    return Unscripted("GetAgent");
  }
  virtual absl::StatusOr<v1::DeleteAgentResponse> DeleteAgent(const v1::DeleteAgentRequest&) {
    return Unscripted("DeleteAgent");
  }
  virtual absl::StatusOr<v1::CreateTokenResponse> CreateToken(const v1::CreateTokenRequest&) {
    return Unscripted("CreateToken");
  }
  virtual absl::StatusOr<v1::ListTokensResponse> ListTokens(const v1::ListTokensRequest&) {
    return Unscripted("ListTokens");
  }
  virtual absl::StatusOr<v1::RevokeTokenResponse> RevokeToken(const v1::RevokeTokenRequest&) {
    return Unscripted("RevokeToken");
  }
  virtual absl::StatusOr<v1::ListAuditEntriesResponse> ListAuditEntries(
      const v1::ListAuditEntriesRequest&) {
    return Unscripted("ListAuditEntries");
  }
  virtual absl::StatusOr<v1::VerifyAuditLogResponse> VerifyAuditLog(
      const v1::VerifyAuditLogRequest&) {
    return Unscripted("VerifyAuditLog");
  }

 private:
  static absl::Status Unscripted(const char* rpc) {
    return absl::UnimplementedError(std::string(rpc) + " is not supported by this client");
  }
};

}  // namespace dbdump
