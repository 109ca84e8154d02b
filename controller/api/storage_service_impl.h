// StorageServiceImpl: storage destinations, probed through an agent when added.
#pragma once

#include "controller/api/admin_context.h"
#include "dbdump/v1/controller_service.grpc.pb.h"

namespace dbdump {

// Thread-safe.
class StorageServiceImpl final : public dbdump::v1::StorageService::Service {
 public:
  explicit StorageServiceImpl(AdminContext c) : c_(c) {}
  grpc::Status AddStorage(grpc::ServerContext*, const dbdump::v1::AddStorageRequest*,
                          dbdump::v1::AddStorageResponse*) override;
  grpc::Status ListStorages(grpc::ServerContext*, const dbdump::v1::ListStoragesRequest*,
                            dbdump::v1::ListStoragesResponse*) override;
  grpc::Status RemoveStorage(grpc::ServerContext*, const dbdump::v1::RemoveStorageRequest*,
                             dbdump::v1::RemoveStorageResponse*) override;
  grpc::Status GetStorage(grpc::ServerContext*, const dbdump::v1::GetStorageRequest*,
                          dbdump::v1::GetStorageResponse*) override;
  grpc::Status UpdateStorage(grpc::ServerContext*, const dbdump::v1::UpdateStorageRequest*,
                             dbdump::v1::UpdateStorageResponse*) override;
  grpc::Status ReconcileStorage(grpc::ServerContext*, const dbdump::v1::ReconcileStorageRequest*,
                                dbdump::v1::ReconcileStorageResponse*) override;

 private:
  // Proves through `probe_agent` (empty: any online agent) that the
  // storage can be written, read and deleted, unless `skip`.
  absl::Status Probe(const dbdump::v1::StorageDestination& s, const std::string& probe_agent,
                     bool skip);
  absl::Status Update(const dbdump::v1::UpdateStorageRequest& req,
                      dbdump::v1::StorageDestination* out);
  AdminContext c_;
};

}  // namespace dbdump
