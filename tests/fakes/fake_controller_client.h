// FakeControllerClient: the controller behind dbdumpctl's ControllerClient
// interface, scripted by tests through a FakeController; no gRPC.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "controller/cli/client/controller_client.h"

namespace dbdump {

// What the fake controller answers and what it was asked; outlives the
// clients the CLI makes, so a test can run several commands against it.
struct FakeController {
  v1::ListAgentsResponse agents;
  v1::ListDatabasesResponse databases;
  v1::GetDatabaseResponse database;
  v1::ListStoragesResponse storages;
  v1::ReconcileStorageRequest reconcile_storage;
  v1::ReconcileStorageResponse reconciled;
  v1::ListBackupsResponse backups;
  v1::ListJobsResponse jobs;
  // GetJob answers from these, by id.
  std::vector<v1::Job> known_jobs;
  std::string server_version;
  absl::Status add_database_error;
  std::vector<v1::Job> stream;
  absl::Status stream_end;
  // What DownloadBackup streams, then how it ends.
  std::vector<v1::DownloadBackupResponse> download;
  absl::Status download_end;
  v1::DownloadBackupRequest download_request;

  v1::AddDatabaseRequest add_database;
  v1::RemoveDatabaseRequest remove_database;
  v1::AddStorageRequest add_storage;
  v1::StartBackupRequest start_backup;
  v1::ListBackupsRequest list_backups;
  v1::StartRestoreRequest start_restore;
  v1::ListJobsRequest list_jobs;
  std::string followed;
  // What CancelJob answers (the job as it is then) and was asked.
  v1::Job cancelled_job;
  v1::CancelJobRequest cancel_job;
  v1::DeleteBackupRequest delete_backup;
  absl::Status delete_backup_error;
  // Updates: what was asked; the answer echoes the request's resource.
  v1::UpdateDatabaseRequest update_database;
  v1::UpdateStorageRequest update_storage;
  v1::UpdateScheduleRequest update_schedule;

  // Schedules, retention and verification.
  absl::Status create_schedule_error;
  v1::PlanRetentionResponse plan_response;
  v1::VerifyStoredBackupResponse verify_response;
  v1::ApplyRetentionResponse apply_response;

  v1::CreateScheduleRequest create_schedule;
  v1::PreviewScheduleRequest preview_schedule;
  v1::SetScheduleEnabledRequest set_schedule_enabled;
  v1::PlanRetentionRequest plan_retention;
  v1::SetDatabaseRetentionRequest set_retention;

  // What GetHealth answers.
  v1::GetHealthResponse health;

  // How many calls reached the controller, of any kind.
  int calls = 0;
};

// ControllerClient answering from a FakeController, no gRPC. Calls the tests
// do not script fail with UNIMPLEMENTED (those of the base class say "not
// supported"). Not thread-safe; the CLI calls it from one thread.
class FakeControllerClient : public ControllerClient {
 public:
  explicit FakeControllerClient(FakeController* c) : c_(c) {}

  absl::StatusOr<v1::ListAgentsResponse> ListAgents(const v1::ListAgentsRequest&) override {
    ++c_->calls;
    return c_->agents;
  }
  absl::StatusOr<v1::AddDatabaseResponse> AddDatabase(const v1::AddDatabaseRequest& req) override {
    ++c_->calls;
    c_->add_database = req;
    if (!c_->add_database_error.ok()) return c_->add_database_error;
    v1::AddDatabaseResponse resp;
    *resp.mutable_database()->mutable_target() = req.database();
    resp.mutable_database()->set_storage(req.storage());
    resp.mutable_database()->set_server_version(c_->server_version);
    return resp;
  }
  absl::StatusOr<v1::GetHealthResponse> GetHealth(const v1::GetHealthRequest&) override {
    ++c_->calls;
    return c_->health;
  }
  absl::StatusOr<v1::ListDatabasesResponse> ListDatabases(
      const v1::ListDatabasesRequest&) override {
    ++c_->calls;
    return c_->databases;
  }
  absl::StatusOr<v1::GetDatabaseResponse> GetDatabase(const v1::GetDatabaseRequest&) override {
    ++c_->calls;
    return c_->database;
  }
  absl::StatusOr<v1::RemoveDatabaseResponse> RemoveDatabase(
      const v1::RemoveDatabaseRequest& req) override {
    ++c_->calls;
    c_->remove_database = req;
    return v1::RemoveDatabaseResponse();
  }
  absl::StatusOr<v1::AddStorageResponse> AddStorage(const v1::AddStorageRequest& req) override {
    ++c_->calls;
    c_->add_storage = req;
    v1::AddStorageResponse resp;
    *resp.mutable_storage() = req.storage();
    return resp;
  }
  absl::StatusOr<v1::ListStoragesResponse> ListStorages(const v1::ListStoragesRequest&) override {
    ++c_->calls;
    return c_->storages;
  }
  absl::StatusOr<v1::RemoveStorageResponse> RemoveStorage(
      const v1::RemoveStorageRequest&) override {
    ++c_->calls;
    return absl::UnimplementedError("no storage removal scripted");
  }
  absl::StatusOr<v1::ReconcileStorageResponse> ReconcileStorage(
      const v1::ReconcileStorageRequest& req) override {
    ++c_->calls;
    c_->reconcile_storage = req;
    return c_->reconciled;
  }
  absl::StatusOr<v1::StartBackupResponse> StartBackup(const v1::StartBackupRequest& req) override {
    ++c_->calls;
    c_->start_backup = req;
    v1::StartBackupResponse resp;
    resp.mutable_job()->set_id("job-1");
    resp.mutable_job()->set_state(v1::JOB_STATE_QUEUED);
    return resp;
  }
  absl::StatusOr<v1::ListBackupsResponse> ListBackups(const v1::ListBackupsRequest& req) override {
    ++c_->calls;
    c_->list_backups = req;
    return c_->backups;
  }
  absl::StatusOr<v1::GetBackupResponse> GetBackup(const v1::GetBackupRequest& req) override {
    ++c_->calls;
    for (const v1::Backup& b : c_->backups.backups()) {
      if (b.id() == req.id()) {
        v1::GetBackupResponse resp;
        *resp.mutable_backup() = b;
        return resp;
      }
    }
    return absl::NotFoundError("backup \"" + req.id() + "\" not found");
  }
  absl::StatusOr<v1::StartRestoreResponse> StartRestore(
      const v1::StartRestoreRequest& req) override {
    ++c_->calls;
    c_->start_restore = req;
    v1::StartRestoreResponse resp;
    resp.mutable_job()->set_id("job-2");
    return resp;
  }
  absl::StatusOr<v1::ListJobsResponse> ListJobs(const v1::ListJobsRequest& req) override {
    ++c_->calls;
    c_->list_jobs = req;
    return c_->jobs;
  }
  absl::StatusOr<v1::GetJobResponse> GetJob(const v1::GetJobRequest& req) override {
    ++c_->calls;
    for (const v1::Job& job : c_->known_jobs) {
      if (job.id() == req.id()) {
        v1::GetJobResponse resp;
        *resp.mutable_job() = job;
        return resp;
      }
    }
    return absl::UnimplementedError("no job scripted");
  }
  absl::StatusOr<v1::CancelJobResponse> CancelJob(const v1::CancelJobRequest& req) override {
    ++c_->calls;
    c_->cancel_job = req;
    v1::CancelJobResponse resp;
    *resp.mutable_job() = c_->cancelled_job;
    return resp;
  }
  absl::StatusOr<v1::DeleteBackupResponse> DeleteBackup(
      const v1::DeleteBackupRequest& req) override {
    ++c_->calls;
    c_->delete_backup = req;
    if (!c_->delete_backup_error.ok()) return c_->delete_backup_error;
    v1::DeleteBackupResponse resp;
    resp.mutable_backup()->set_id(req.id());
    resp.mutable_backup()->set_database("orders");
    resp.mutable_backup()->set_storage("local");
    resp.mutable_backup()->set_state(v1::BACKUP_STATE_DELETED);
    resp.add_removed_keys("orders/" + req.id() + "/manifest.json");
    resp.add_removed_keys("orders/" + req.id() + "/dump.pgdump.zst");
    return resp;
  }
  absl::StatusOr<v1::UpdateDatabaseResponse> UpdateDatabase(
      const v1::UpdateDatabaseRequest& req) override {
    ++c_->calls;
    c_->update_database = req;
    v1::UpdateDatabaseResponse resp;
    *resp.mutable_database() = req.database();
    resp.mutable_database()->mutable_target()->set_name(req.name());
    resp.mutable_database()->set_server_version(c_->server_version);
    return resp;
  }
  absl::StatusOr<v1::UpdateStorageResponse> UpdateStorage(
      const v1::UpdateStorageRequest& req) override {
    ++c_->calls;
    c_->update_storage = req;
    v1::UpdateStorageResponse resp;
    *resp.mutable_storage() = req.storage();
    resp.mutable_storage()->set_name(req.name());
    return resp;
  }
  absl::StatusOr<v1::UpdateScheduleResponse> UpdateSchedule(
      const v1::UpdateScheduleRequest& req) override {
    ++c_->calls;
    c_->update_schedule = req;
    v1::UpdateScheduleResponse resp;
    *resp.mutable_schedule() = req.schedule();
    resp.mutable_schedule()->set_name(req.name());
    resp.mutable_schedule()->set_next_run_at("2026-03-28T01:30:00Z");
    return resp;
  }
  absl::Status FollowJob(const v1::FollowJobRequest& req,
                         const std::function<void(const v1::Job&)>& on_update) override {
    ++c_->calls;
    c_->followed = req.id();
    for (const v1::Job& job : c_->stream) on_update(job);
    return c_->stream_end;
  }

  absl::Status DownloadBackup(
      const v1::DownloadBackupRequest& req,
      const std::function<absl::Status(const v1::DownloadBackupResponse&)>& on_message) override {
    ++c_->calls;
    c_->download_request = req;
    for (const v1::DownloadBackupResponse& m : c_->download) {
      if (absl::Status st = on_message(m); !st.ok()) return st;
    }
    return c_->download_end;
  }

  absl::StatusOr<v1::CreateScheduleResponse> CreateSchedule(
      const v1::CreateScheduleRequest& req) override {
    ++c_->calls;
    c_->create_schedule = req;
    if (!c_->create_schedule_error.ok()) return c_->create_schedule_error;
    v1::CreateScheduleResponse resp;
    *resp.mutable_schedule() = req.schedule();
    resp.mutable_schedule()->set_enabled(!req.start_disabled());
    // Across the night Europe/Berlin goes to summer time.
    for (const char* t : {"2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z",
                          "2026-03-31T00:30:00Z", "2026-04-01T00:30:00Z"}) {
      resp.mutable_schedule()->add_next_runs(t);
    }
    return resp;
  }
  absl::StatusOr<v1::PreviewScheduleResponse> PreviewSchedule(
      const v1::PreviewScheduleRequest& req) override {
    ++c_->calls;
    c_->preview_schedule = req;
    v1::PreviewScheduleResponse resp;
    resp.add_next_runs("2026-04-01T04:00:00Z");
    resp.add_next_runs_local("2026-04-01 00:00 EDT (UTC-04:00)");
    return resp;
  }
  absl::StatusOr<v1::SetScheduleEnabledResponse> SetScheduleEnabled(
      const v1::SetScheduleEnabledRequest& req) override {
    ++c_->calls;
    c_->set_schedule_enabled = req;
    v1::SetScheduleEnabledResponse resp;
    resp.mutable_schedule()->set_name(req.name());
    resp.mutable_schedule()->set_time_zone("Europe/Berlin");
    if (req.enabled()) resp.mutable_schedule()->set_next_run_at("2026-03-28T01:30:00Z");
    return resp;
  }
  absl::StatusOr<v1::PlanRetentionResponse> PlanRetention(
      const v1::PlanRetentionRequest& req) override {
    ++c_->calls;
    c_->plan_retention = req;
    return c_->plan_response;
  }
  absl::StatusOr<v1::ApplyRetentionResponse> ApplyRetention(
      const v1::ApplyRetentionRequest&) override {
    ++c_->calls;
    return c_->apply_response;
  }
  absl::StatusOr<v1::SetDatabaseRetentionResponse> SetDatabaseRetention(
      const v1::SetDatabaseRetentionRequest& req) override {
    ++c_->calls;
    c_->set_retention = req;
    v1::SetDatabaseRetentionResponse resp;
    resp.set_rules("last 3, monthly 6 (rules of database orders, Europe/Berlin)");
    return resp;
  }
  absl::StatusOr<v1::VerifyStoredBackupResponse> VerifyBackup(
      const v1::VerifyStoredBackupRequest&) override {
    ++c_->calls;
    return c_->verify_response;
  }

 private:
  FakeController* c_;
};

}  // namespace dbdump
