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

 private:
  absl::Status Probe(const dbdump::v1::StorageDestination& s,
                     const dbdump::v1::AddStorageRequest& req);
  AdminContext c_;
};

}  // namespace dbdump
