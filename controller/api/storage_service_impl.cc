#include "controller/api/storage_service_impl.h"

#include <grpcpp/grpcpp.h>

#include "common/storage/storage_validation.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controller/api/page_token.h"
#include "controller/reconcile/catalogue_reconciler.h"
#include "controller/api/update_mask.h"
#include "common/base/grpc_status.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"

namespace dbdump {

grpc::Status StorageServiceImpl::AddStorage(grpc::ServerContext*, const v1::AddStorageRequest* req,
                                            v1::AddStorageResponse* resp) {
  v1::StorageDestination s = req->storage();
  // An S3 storage without a region takes the agent's (AWS_REGION, its
  // profile) or the one the bucket names: not a guessed us-east-1.
  absl::Status st = ValidateStorageDestination(s);
  if (st.ok()) st = Probe(s, req->probe_agent(), req->skip_probe());
  if (st.ok()) st = c_.store->AddStorage(s, c_.clock->Now());
  if (!st.ok()) return ToGrpc(st);
  *resp->mutable_storage() = s;
  LogInfo("controller", "storage ", s.name(), " added");
  return grpc::Status::OK;
}

absl::Status StorageServiceImpl::Probe(const v1::StorageDestination& s,
                                       const std::string& probe_agent, bool skip) {
  if (skip) return absl::OkStatus();
  // The controller holds no storage credentials: an agent proves it can
  // write, read and delete there.
  std::vector<v1::Agent> candidates;
  if (!probe_agent.empty()) {
    ASSIGN_OR_RETURN(v1::Agent a, c_.store->GetAgent(probe_agent));
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

grpc::Status StorageServiceImpl::ListStorages(grpc::ServerContext*,
                                              const v1::ListStoragesRequest* req,
                                              v1::ListStoragesResponse* resp) {
  auto all = c_.store->ListStorages();
  if (!all.ok()) return ToGrpc(all.status());
  absl::StatusOr<Page<v1::StorageDestination>> page =
      TakePage(*std::move(all), [](const v1::StorageDestination& s) { return s.name(); },
               PageRequest{req->page_size(), req->page_token(), "storages"});
  if (!page.ok()) return ToGrpc(page.status());
  for (v1::StorageDestination& s : page->items) *resp->add_storages() = std::move(s);
  resp->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

absl::Status StorageServiceImpl::Update(const v1::UpdateStorageRequest& req,
                                        v1::StorageDestination* out) {
  static const UpdatableFields kFields{
      v1::StorageDestination::descriptor(),
      {"path", "prefix", "bucket", "region", "endpoint", "path_style", "role_arn", "external_id",
       "sts_endpoint", "sse", "kms_key_id", "storage_class", "credentials_ref", "part_size_bytes",
       "upload_concurrency", "ca_file", "max_parts", "profile", "object_lock"}};
  RETURN_IF_ERROR(ValidateResourceName("storage name", req.name()));
  if (!req.storage().name().empty() && req.storage().name() != req.name()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "storage.name \"", req.storage().name(), "\" differs from the name \"", req.name(),
        "\" of the storage to update: a storage cannot be renamed"));
  }
  RETURN_IF_ERROR(CheckUpdateMask(req.update_mask(), kFields));
  ASSIGN_OR_RETURN(v1::StorageDestination s, c_.store->GetStorage(req.name()));
  const v1::StorageDestination before = s;
  ApplyUpdateMask(req.storage(), req.update_mask(), &s);
  // Catalogued backups are found where the storage points: moving it would
  // lose them.
  if (s.path() != before.path() || s.prefix() != before.prefix() || s.bucket() != before.bucket()) {
    ASSIGN_OR_RETURN(int64_t live, c_.store->CountLiveBackups(req.name()));
    if (live > 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "storage \"", req.name(), "\" holds ", live,
          live == 1 ? " catalogued backup" : " catalogued backups",
          " where it points now: its path, prefix and bucket cannot change; add another storage "
          "and move the databases to it (dbdumpctl database update NAME --storage=OTHER)"));
    }
  }
  RETURN_IF_ERROR(ValidateStorageDestination(s));
  RETURN_IF_ERROR(Probe(s, req.probe_agent(), req.skip_probe()));
  RETURN_IF_ERROR(c_.store->UpdateStorage(s));
  LogInfo("controller", "storage ", req.name(), " updated: ",
          absl::StrJoin(req.update_mask().paths(), ", "));
  ASSIGN_OR_RETURN(*out, c_.store->GetStorage(req.name()));
  return absl::OkStatus();
}

grpc::Status StorageServiceImpl::UpdateStorage(grpc::ServerContext*,
                                               const v1::UpdateStorageRequest* req,
                                               v1::UpdateStorageResponse* resp) {
  return ToGrpc(Update(*req, resp->mutable_storage()));
}

grpc::Status StorageServiceImpl::GetStorage(grpc::ServerContext*, const v1::GetStorageRequest* req,
                                            v1::GetStorageResponse* resp) {
  absl::Status st = ValidateResourceName("storage name", req->name());
  if (st.ok()) {
    absl::StatusOr<v1::StorageDestination> s = c_.store->GetStorage(req->name());
    st = s.status();
    if (s.ok()) *resp->mutable_storage() = *std::move(s);
  }
  return ToGrpc(st);
}

grpc::Status StorageServiceImpl::RemoveStorage(grpc::ServerContext*, const v1::RemoveStorageRequest* req,
                                               v1::RemoveStorageResponse*) {
  absl::Status st = ValidateResourceName("storage name", req->name());
  if (st.ok()) st = c_.store->RemoveStorage(req->name());
  return ToGrpc(st);
}

grpc::Status StorageServiceImpl::ReconcileStorage(grpc::ServerContext*,
                                                  const v1::ReconcileStorageRequest* req,
                                                  v1::ReconcileStorageResponse* resp) {
  if (c_.reconciler == nullptr) {
    return ToGrpc(absl::UnimplementedError("storage reconciliation is not wired in this controller"));
  }
  absl::StatusOr<v1::ReconcileStorageResponse> r = c_.reconciler->Reconcile(*req);
  if (!r.ok()) return ToGrpc(r.status());
  *resp = *std::move(r);
  return grpc::Status::OK;
}

}  // namespace dbdump
