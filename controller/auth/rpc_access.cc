#include "controller/auth/rpc_access.h"

namespace dbdump {

const std::map<std::string, RpcRule>& ControllerRpcRules() {
  static const auto* rules = new std::map<std::string, RpcRule>{
      // Agents.
      {"/dbdump.v1.RegistryService/RegisterAgent", {Access::kAgent, false}},
      {"/dbdump.v1.RegistryService/Heartbeat", {Access::kAgent, false}},
      {"/dbdump.v1.EnrollmentService/GetCaCertificate", {Access::kOpen, false}},
      {"/dbdump.v1.EnrollmentService/Enroll", {Access::kOpen, true}},
      {"/dbdump.v1.EnrollmentService/RenewCertificate", {Access::kAgent, true}},
      {"/dbdump.v1.AgentAdminService/ListAgents", {Access::kViewer, false}},
      {"/dbdump.v1.AgentAdminService/CreateJoinToken", {Access::kAdmin, true}},
      {"/dbdump.v1.AgentAdminService/RevokeAgent", {Access::kAdmin, true}},
      {"/dbdump.v1.AgentAdminService/GetAgent", {Access::kViewer, false}},
      {"/dbdump.v1.AgentAdminService/DeleteAgent", {Access::kAdmin, true}},
      // Catalogue.
      {"/dbdump.v1.DatabaseService/AddDatabase", {Access::kAdmin, true}},
      {"/dbdump.v1.DatabaseService/ListDatabases", {Access::kViewer, false}},
      {"/dbdump.v1.DatabaseService/GetDatabase", {Access::kViewer, false}},
      {"/dbdump.v1.DatabaseService/UpdateDatabase", {Access::kAdmin, true}},
      {"/dbdump.v1.DatabaseService/RemoveDatabase", {Access::kAdmin, true}},
      {"/dbdump.v1.StorageService/AddStorage", {Access::kAdmin, true}},
      {"/dbdump.v1.StorageService/ListStorages", {Access::kViewer, false}},
      {"/dbdump.v1.StorageService/GetStorage", {Access::kViewer, false}},
      {"/dbdump.v1.StorageService/UpdateStorage", {Access::kAdmin, true}},
      {"/dbdump.v1.StorageService/RemoveStorage", {Access::kAdmin, true}},
      {"/dbdump.v1.StorageService/ReconcileStorage", {Access::kAdmin, true}},
      // Backups and restores. A restore that writes needs admin: the
      // service checks that (dry runs and test restores are operator's).
      {"/dbdump.v1.BackupService/StartBackup", {Access::kOperator, true}},
      {"/dbdump.v1.BackupService/ListBackups", {Access::kViewer, false}},
      {"/dbdump.v1.BackupService/GetBackup", {Access::kViewer, false}},
      {"/dbdump.v1.BackupService/DeleteBackup", {Access::kAdmin, true}},
      {"/dbdump.v1.BackupService/StartRestore", {Access::kOperator, true}},
      // Into a destination the database already has (an admin chose it).
      {"/dbdump.v1.BackupService/CopyBackup", {Access::kOperator, true}},
      // A backup's bytes are the database's data: an admin's, and recorded.
      {"/dbdump.v1.BackupService/DownloadBackup", {Access::kAdmin, true}},
      {"/dbdump.v1.VerificationService/VerifyBackup", {Access::kOperator, true}},
      {"/dbdump.v1.JobService/ListJobs", {Access::kViewer, false}},
      {"/dbdump.v1.JobService/GetJob", {Access::kViewer, false}},
      {"/dbdump.v1.JobService/FollowJob", {Access::kViewer, false}},
      // A restore that writes needs admin to cancel too (the service checks).
      {"/dbdump.v1.JobService/CancelJob", {Access::kOperator, true}},
      // Schedules and retention.
      {"/dbdump.v1.ScheduleService/CreateSchedule", {Access::kOperator, true}},
      {"/dbdump.v1.ScheduleService/ListSchedules", {Access::kViewer, false}},
      {"/dbdump.v1.ScheduleService/GetSchedule", {Access::kViewer, false}},
      {"/dbdump.v1.ScheduleService/UpdateSchedule", {Access::kOperator, true}},
      {"/dbdump.v1.ScheduleService/SetScheduleEnabled", {Access::kOperator, true}},
      {"/dbdump.v1.ScheduleService/RunScheduleNow", {Access::kOperator, true}},
      {"/dbdump.v1.ScheduleService/DeleteSchedule", {Access::kOperator, true}},
      {"/dbdump.v1.ScheduleService/PreviewSchedule", {Access::kViewer, false}},
      {"/dbdump.v1.RetentionService/PlanRetention", {Access::kViewer, false}},
      {"/dbdump.v1.RetentionService/ApplyRetention", {Access::kAdmin, true}},
      {"/dbdump.v1.RetentionService/SetDatabaseRetention", {Access::kAdmin, true}},
      {"/dbdump.v1.HealthService/GetHealth", {Access::kViewer, false}},
      {"/dbdump.v1.HealthService/GetStats", {Access::kViewer, false}},
      // Tokens and the audit log.
      {"/dbdump.v1.TokenService/CreateToken", {Access::kAdmin, true}},
      {"/dbdump.v1.TokenService/ListTokens", {Access::kAdmin, false}},
      {"/dbdump.v1.TokenService/RevokeToken", {Access::kAdmin, true}},
      {"/dbdump.v1.TokenService/GetSession", {Access::kViewer, false}},
      {"/dbdump.v1.AuditService/ListAuditEntries", {Access::kViewer, false}},
      {"/dbdump.v1.AuditService/VerifyAuditLog", {Access::kViewer, false}},
      // Describes the API, not its data.
      {"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", {Access::kOpen, false}},
      // Serving or not, nothing else: probes (load balancers, Kubernetes)
      // carry no API token.
      {"/grpc.health.v1.Health/Check", {Access::kOpen, false}},
      {"/grpc.health.v1.Health/Watch", {Access::kOpen, false}},
  };
  return *rules;
}

std::optional<RpcRule> ControllerRpcRule(absl::string_view method) {
  const auto& rules = ControllerRpcRules();
  auto it = rules.find(std::string(method));
  if (it == rules.end()) return std::nullopt;
  return it->second;
}

const char* AccessName(Access access) {
  switch (access) {
    case Access::kOpen:
      return "open";
    case Access::kAgent:
      return "agent";
    case Access::kViewer:
      return "viewer";
    case Access::kOperator:
      return "operator";
    case Access::kAdmin:
      return "admin";
  }
  return "?";
}

}  // namespace dbdump
