// The fake controller the tests of dbdumpctl's verbs run against, and their
// fixture, which runs a command line through Cli with the fake as its client.
#pragma once

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "controller/cli/cli.h"
#include "controller/cli/client/controller_client.h"
#include "gtest/gtest.h"

namespace dbdump {

// What the fake controller answers and what it was asked; outlives the
// clients the CLI makes, so a test can run several commands against it.
struct FakeController {
  v1::ListAgentsResponse agents;
  v1::ListDatabasesResponse databases;
  v1::ListStoragesResponse storages;
  v1::ListBackupsResponse backups;
  v1::ListJobsResponse jobs;
  std::string server_version;
  absl::Status add_database_error;
  std::vector<v1::Job> stream;
  absl::Status stream_end;

  v1::AddDatabaseRequest add_database;
  v1::RemoveDatabaseRequest remove_database;
  v1::AddStorageRequest add_storage;
  v1::StartBackupRequest start_backup;
  v1::ListBackupsRequest list_backups;
  v1::StartRestoreRequest start_restore;
  v1::ListJobsRequest list_jobs;
  std::string followed;
};

// ControllerClient answering from a FakeController. Calls the tests do not
// script fail with UNIMPLEMENTED.
class FakeControllerClient : public ControllerClient {
 public:
  explicit FakeControllerClient(FakeController* c) : c_(c) {}

  absl::StatusOr<v1::ListAgentsResponse> ListAgents(const v1::ListAgentsRequest&) override {
    return c_->agents;
  }
  absl::StatusOr<v1::AddDatabaseResponse> AddDatabase(const v1::AddDatabaseRequest& req) override {
    c_->add_database = req;
    if (!c_->add_database_error.ok()) return c_->add_database_error;
    v1::AddDatabaseResponse resp;
    *resp.mutable_database()->mutable_target() = req.database();
    resp.mutable_database()->set_storage(req.storage());
    resp.mutable_database()->set_server_version(c_->server_version);
    return resp;
  }
  absl::StatusOr<v1::ListDatabasesResponse> ListDatabases(
      const v1::ListDatabasesRequest&) override {
    return c_->databases;
  }
  absl::StatusOr<v1::RemoveDatabaseResponse> RemoveDatabase(
      const v1::RemoveDatabaseRequest& req) override {
    c_->remove_database = req;
    return v1::RemoveDatabaseResponse();
  }
  absl::StatusOr<v1::AddStorageResponse> AddStorage(const v1::AddStorageRequest& req) override {
    c_->add_storage = req;
    v1::AddStorageResponse resp;
    *resp.mutable_storage() = req.storage();
    return resp;
  }
  absl::StatusOr<v1::ListStoragesResponse> ListStorages(const v1::ListStoragesRequest&) override {
    return c_->storages;
  }
  absl::StatusOr<v1::RemoveStorageResponse> RemoveStorage(
      const v1::RemoveStorageRequest&) override {
    return absl::UnimplementedError("no storage removal scripted");
  }
  absl::StatusOr<v1::StartBackupResponse> StartBackup(const v1::StartBackupRequest& req) override {
    c_->start_backup = req;
    v1::StartBackupResponse resp;
    resp.mutable_job()->set_id("job-1");
    resp.mutable_job()->set_state(v1::JOB_STATE_QUEUED);
    return resp;
  }
  absl::StatusOr<v1::ListBackupsResponse> ListBackups(const v1::ListBackupsRequest& req) override {
    c_->list_backups = req;
    return c_->backups;
  }
  absl::StatusOr<v1::GetBackupResponse> GetBackup(const v1::GetBackupRequest& req) override {
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
    c_->start_restore = req;
    v1::StartRestoreResponse resp;
    resp.mutable_job()->set_id("job-2");
    return resp;
  }
  absl::StatusOr<v1::ListJobsResponse> ListJobs(const v1::ListJobsRequest& req) override {
    c_->list_jobs = req;
    return c_->jobs;
  }
  absl::StatusOr<v1::GetJobResponse> GetJob(const v1::GetJobRequest&) override {
    return absl::UnimplementedError("no job scripted");
  }
  absl::Status FollowJob(const v1::FollowJobRequest& req,
                         const std::function<void(const v1::Job&)>& on_update) override {
    c_->followed = req.id();
    for (const v1::Job& job : c_->stream) on_update(job);
    return c_->stream_end;
  }

 private:
  FakeController* c_;
};

inline v1::Job MakeJob(v1::JobState state, uint64_t in, uint64_t out, double elapsed) {
  v1::Job job;
  job.set_id("job-1");
  job.set_kind(v1::JOB_KIND_BACKUP);
  job.set_database("orders");
  job.set_backup_id("20260115T020000Z-0badc0de");
  job.set_state(state);
  job.mutable_progress()->set_bytes_in(in);
  job.mutable_progress()->set_bytes_out(out);
  job.mutable_progress()->set_elapsed_s(elapsed);
  return job;
}

class CliCommandsTest : public ::testing::Test {
 protected:
  int Run(const std::vector<std::string>& args, bool tty = false) {
    CliOptions options;
    options.stdout_is_tty = tty;
    options.now = [this] { return now_; };
    options.make_client = [this](const std::string& address, absl::Duration timeout) {
      address_ = address;
      timeout_ = timeout;
      return std::make_unique<FakeControllerClient>(&fake_);
    };
    out_.str("");
    err_.str("");
    return Cli(options).Run(args, out_, err_);
  }

  FakeController fake_;
  absl::Time now_ = absl::FromUnixSeconds(1768442400);
  std::string address_;
  absl::Duration timeout_;
  std::ostringstream out_, err_;
};

}  // namespace dbdump
