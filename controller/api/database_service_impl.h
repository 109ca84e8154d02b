// DatabaseServiceImpl: database targets; adding one validates it and tests
// the connection through its agent.
#pragma once

#include "controller/api/admin_context.h"
#include "dbdump/v1/controller_service.grpc.pb.h"

namespace dbdump {

// Thread-safe.
class DatabaseServiceImpl final : public dbdump::v1::DatabaseService::Service {
 public:
  explicit DatabaseServiceImpl(AdminContext c) : c_(c) {}
  grpc::Status AddDatabase(grpc::ServerContext*, const dbdump::v1::AddDatabaseRequest*,
                           dbdump::v1::AddDatabaseResponse*) override;
  grpc::Status ListDatabases(grpc::ServerContext*, const dbdump::v1::ListDatabasesRequest*,
                             dbdump::v1::ListDatabasesResponse*) override;
  grpc::Status RemoveDatabase(grpc::ServerContext*, const dbdump::v1::RemoveDatabaseRequest*,
                              dbdump::v1::RemoveDatabaseResponse*) override;
  grpc::Status GetDatabase(grpc::ServerContext*, const dbdump::v1::GetDatabaseRequest*,
                           dbdump::v1::GetDatabaseResponse*) override;
  grpc::Status UpdateDatabase(grpc::ServerContext*, const dbdump::v1::UpdateDatabaseRequest*,
                              dbdump::v1::UpdateDatabaseResponse*) override;

 private:
  absl::Status Add(const dbdump::v1::AddDatabaseRequest& req, dbdump::v1::Database* out);
  absl::Status Update(const dbdump::v1::UpdateDatabaseRequest& req, dbdump::v1::Database* out);
  // Validates `db` (filling the engine's default port), checks that its
  // storage and agent exist and, unless skipped, tests the connection
  // through the agent, recording the server's version.
  absl::Status Check(dbdump::v1::Database* db, bool skip_connection_test);
  AdminContext c_;
};

}  // namespace dbdump
