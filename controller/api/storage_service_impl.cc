#include "controller/api/storage_service_impl.h"

#include <grpcpp/grpcpp.h>

#include "common/storage/storage_validation.h"
#include "absl/strings/str_cat.h"
#include "common/base/grpc_status.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"

namespace dbdump {

grpc::Status StorageServiceImpl::AddStorage(grpc::ServerContext*, const v1::AddStorageRequest* req,
                                            v1::AddStorageResponse* resp) {
  v1::StorageDestination s = req->storage();
  if (s.kind() == v1::STORAGE_KIND_S3 && s.region().empty()) s.set_region("us-east-1");
  absl::Status st = ValidateStorageDestination(s);
  if (st.ok()) st = Probe(s, *req);
  if (st.ok()) st = c_.store->AddStorage(s, c_.clock->Now());
  if (!st.ok()) return ToGrpc(st);
  *resp->mutable_storage() = s;
  LogInfo("controller", "storage ", s.name(), " added");
  return grpc::Status::OK;
}

absl::Status StorageServiceImpl::Probe(const v1::StorageDestination& s,
                                       const v1::AddStorageRequest& req) {
  if (req.skip_probe()) return absl::OkStatus();
  // The controller holds no storage credentials: an agent proves it can
  // write, read and delete there.
  std::vector<v1::Agent> candidates;
  if (!req.probe_agent().empty()) {
    ASSIGN_OR_RETURN(v1::Agent a, c_.store->GetAgent(req.probe_agent()));
    if (!c_.dispatcher->IsOnline(a, c_.clock->Now())) {
      return absl::UnavailableError(absl::StrCat("agent \"", a.name(), "\" is offline and cannot probe the storage"));
    }
    candidates.push_back(a);
  } else {
    ASSIGN_OR_RETURN(std::vector<v1::Agent> all, c_.store->ListAgents());
    for (auto& a : all) {
      if (c_.dispatcher->IsOnline(a, c_.clock->Now())) candidates.push_back(a);
    }
  }
  if (candidates.empty()) {
    if (s.kind() == v1::STORAGE_KIND_LOCAL) return absl::OkStatus();  // checked at first backup
    return absl::FailedPreconditionError(
        "no agent is online to probe the storage: start an agent, or pass --skip-probe");
  }
  const v1::Agent& agent = candidates.front();
  absl::Status a = c_.agents->For(agent)->ProbeStorage(s);
  if (!a.ok()) {
    return absl::Status(a.code(), absl::StrCat("storage \"", s.name(), "\" checked through agent \"",
                                               agent.name(), "\": ", a.message()));
  }
  return absl::OkStatus();
}

grpc::Status StorageServiceImpl::ListStorages(grpc::ServerContext*, const v1::ListStoragesRequest*,
                                              v1::ListStoragesResponse* resp) {
  auto all = c_.store->ListStorages();
  if (!all.ok()) return ToGrpc(all.status());
  for (auto& s : *all) *resp->add_storages() = s;
  return grpc::Status::OK;
}

grpc::Status StorageServiceImpl::RemoveStorage(grpc::ServerContext*, const v1::RemoveStorageRequest* req,
                                               v1::RemoveStorageResponse*) {
  absl::Status st = ValidateResourceName("storage name", req->name());
  if (st.ok()) st = c_.store->RemoveStorage(req->name());
  return ToGrpc(st);
}

}  // namespace dbdump
