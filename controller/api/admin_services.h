// The controller's admin API: agents, databases, storages, backups, jobs.
#pragma once

#include "controller/agents/agent_clients.h"
#include "controller/dispatch/dispatcher.h"
#include "controller/store/store.h"
#include "dbdump/v1/controller_service.grpc.pb.h"

namespace dbdump {

// What every admin service works on. Not owned.
struct AdminContext {
  Store* store;
  Dispatcher* dispatcher;
  AgentClients* agents;
};

// Lists agents with their online flag. Thread-safe.
class AgentAdminServiceImpl final : public dbdump::v1::AgentAdminService::Service {
 public:
  explicit AgentAdminServiceImpl(AdminContext c) : c_(c) {}
  grpc::Status ListAgents(grpc::ServerContext*, const dbdump::v1::ListAgentsRequest*,
                          dbdump::v1::ListAgentsResponse*) override;

 private:
  AdminContext c_;
};

// Database targets; adding one validates it and tests the connection through
// its agent. Thread-safe.
class DatabaseServiceImpl final : public dbdump::v1::DatabaseService::Service {
 public:
  explicit DatabaseServiceImpl(AdminContext c) : c_(c) {}
  grpc::Status AddDatabase(grpc::ServerContext*, const dbdump::v1::AddDatabaseRequest*,
                           dbdump::v1::AddDatabaseResponse*) override;
  grpc::Status ListDatabases(grpc::ServerContext*, const dbdump::v1::ListDatabasesRequest*,
                             dbdump::v1::ListDatabasesResponse*) override;
  grpc::Status RemoveDatabase(grpc::ServerContext*, const dbdump::v1::RemoveDatabaseRequest*,
                              dbdump::v1::RemoveDatabaseResponse*) override;

 private:
  absl::Status Add(const dbdump::v1::AddDatabaseRequest& req, dbdump::v1::Database* out);
  AdminContext c_;
};

// Storage destinations. Thread-safe.
class StorageServiceImpl final : public dbdump::v1::StorageService::Service {
 public:
  explicit StorageServiceImpl(AdminContext c) : c_(c) {}
  grpc::Status AddStorage(grpc::ServerContext*, const dbdump::v1::AddStorageRequest*,
                          dbdump::v1::AddStorageResponse*) override;
  grpc::Status ListStorages(grpc::ServerContext*, const dbdump::v1::ListStoragesRequest*,
                            dbdump::v1::ListStoragesResponse*) override;
  grpc::Status RemoveStorage(grpc::ServerContext*, const dbdump::v1::RemoveStorageRequest*,
                             dbdump::v1::RemoveStorageResponse*) override;

 private:
  absl::Status Probe(const dbdump::v1::StorageDestination& s, const dbdump::v1::AddStorageRequest& req);
  AdminContext c_;
};

// Backups: start, catalogue, restore. Thread-safe.
class BackupServiceImpl final : public dbdump::v1::BackupService::Service {
 public:
  explicit BackupServiceImpl(AdminContext c) : c_(c) {}
  grpc::Status StartBackup(grpc::ServerContext*, const dbdump::v1::StartBackupRequest*,
                           dbdump::v1::StartBackupResponse*) override;
  grpc::Status ListBackups(grpc::ServerContext*, const dbdump::v1::ListBackupsRequest*,
                           dbdump::v1::ListBackupsResponse*) override;
  grpc::Status GetBackup(grpc::ServerContext*, const dbdump::v1::GetBackupRequest*,
                         dbdump::v1::GetBackupResponse*) override;
  grpc::Status StartRestore(grpc::ServerContext*, const dbdump::v1::StartRestoreRequest*,
                            dbdump::v1::StartRestoreResponse*) override;

 private:
  AdminContext c_;
};

// Job history and live following. Thread-safe.
class JobServiceImpl final : public dbdump::v1::JobService::Service {
 public:
  explicit JobServiceImpl(AdminContext c) : c_(c) {}
  grpc::Status ListJobs(grpc::ServerContext*, const dbdump::v1::ListJobsRequest*,
                        dbdump::v1::ListJobsResponse*) override;
  grpc::Status GetJob(grpc::ServerContext*, const dbdump::v1::GetJobRequest*,
                      dbdump::v1::GetJobResponse*) override;
  grpc::Status FollowJob(grpc::ServerContext*, const dbdump::v1::FollowJobRequest*,
                         grpc::ServerWriter<dbdump::v1::FollowJobResponse>*) override;

 private:
  AdminContext c_;
};

}  // namespace dbdump
