#include "controller/api/database_service_impl.h"

#include <set>

#include <grpcpp/grpcpp.h>

#include "common/base/database_tls.h"
#include "common/base/secret_ref.h"
#include "common/crypto/age_settings.h"
#include "common/storage/local_storage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controller/api/page_token.h"
#include "controller/api/update_mask.h"
#include "common/base/grpc_status.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"

namespace dbdump {

namespace {

absl::Status ValidateTarget(const v1::DatabaseTarget& t) {
  RETURN_IF_ERROR(ValidateResourceName("database name", t.name()));
  RETURN_IF_ERROR(ValidateResourceName("agent name", t.agent()));
  RETURN_IF_ERROR(ValidateSecretRef(t.password_ref()));
  RETURN_IF_ERROR(ValidateDatabaseTls(t));
  RETURN_IF_ERROR(ValidateEncryption(t.encryption()));
  switch (t.engine()) {
    case v1::ENGINE_POSTGRES:
      if (t.host().empty()) return absl::InvalidArgumentError("postgres target needs a host (--host)");
      if (t.port() > 65535) return absl::InvalidArgumentError("port must be 1 to 65535");
      if (!t.path().empty()) return absl::InvalidArgumentError("--path is for sqlite targets only");
      return ValidatePgDatabaseName(t.database());
    case v1::ENGINE_SQLITE:
      if (!t.host().empty() || !t.database().empty() || t.port() != 0) {
        return absl::InvalidArgumentError("sqlite targets take only --path, not host, port or dbname");
      }
      if (absl::Status s = ValidateLocalRoot(t.path()); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "sqlite path \"", t.path(), "\" must be absolute without \".\" or \"..\" segments"));
      }
      return absl::OkStatus();
    case v1::ENGINE_MYSQL:
    case v1::ENGINE_MONGODB: {
      bool mysql = t.engine() == v1::ENGINE_MYSQL;
      std::string label = mysql ? "mysql" : "mongodb";
      if (t.host().empty()) return absl::InvalidArgumentError(label + " target needs a host (--host)");
      if (t.port() > 65535) return absl::InvalidArgumentError("port must be 1 to 65535");
      if (!t.path().empty()) return absl::InvalidArgumentError("--path is for sqlite targets only");
      // Every database (MySQL --all-databases; MongoDB without --dbname)
      // needs no name.
      if (t.database().empty() && (!mysql || t.dump_options().all_databases())) {
        return absl::OkStatus();
      }
      return ValidateServerDatabaseName(label, t.database(), 64);
    }
    default:
      return absl::InvalidArgumentError("unknown engine: use postgres, mysql, mongodb or sqlite");
  }
}

}  // namespace

absl::Status DatabaseServiceImpl::Check(v1::Database* db, bool skip_connection_test) {
  v1::DatabaseTarget& t = *db->mutable_target();
  if (t.port() == 0) {
    if (t.engine() == v1::ENGINE_POSTGRES) t.set_port(5432);
    if (t.engine() == v1::ENGINE_MYSQL) t.set_port(3306);
    if (t.engine() == v1::ENGINE_MONGODB) t.set_port(27017);
  }
  RETURN_IF_ERROR(ValidateTarget(t));
  RETURN_IF_ERROR(ValidateResourceName("storage name", db->storage()));
  RETURN_IF_ERROR(c_.store->GetStorage(db->storage()).status());
  // Copy destinations: each known, none the primary, none twice.
  std::set<std::string> seen;
  for (const std::string& c : db->copies()) {
    RETURN_IF_ERROR(ValidateResourceName("copy storage name", c));
    if (c == db->storage()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "storage \"", c, "\" is the database's primary storage and cannot also be a copy "
          "destination: name another storage"));
    }
    if (!seen.insert(c).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("copy destination \"", c, "\" is named twice: name each once"));
    }
    absl::Status known = c_.store->GetStorage(c).status();
    if (!known.ok()) {
      return absl::Status(known.code(), absl::StrCat("copy destination: ", known.message()));
    }
  }
  ASSIGN_OR_RETURN(v1::Agent agent, c_.store->GetAgent(t.agent()));
  if (!skip_connection_test) {
    if (!c_.dispatcher->IsOnline(agent, c_.clock->Now())) {
      return absl::UnavailableError(absl::StrCat(
          "agent \"", agent.name(), "\" is offline, so the connection cannot be tested: start "
          "it, or pass --skip-connection-test"));
    }
    absl::StatusOr<std::string> version = c_.agents->For(agent)->TestConnection(t);
    if (!version.ok()) {
      return absl::Status(version.status().code(),
                          absl::StrCat("connection test through agent \"", agent.name(),
                                       "\" failed: ", version.status().message()));
    }
    db->set_server_version(*version);
  }
  return absl::OkStatus();
}

absl::Status DatabaseServiceImpl::Add(const v1::AddDatabaseRequest& req, v1::Database* out) {
  v1::Database db;
  *db.mutable_target() = req.database();
  db.set_storage(req.storage());
  *db.mutable_copies() = req.copies();
  RETURN_IF_ERROR(Check(&db, req.skip_connection_test()));
  const v1::DatabaseTarget& t = db.target();
  RETURN_IF_ERROR(c_.store->AddDatabase(db, c_.clock->Now()));
  ASSIGN_OR_RETURN(*out, c_.store->GetDatabase(t.name()));
  LogInfo("controller", "database ", t.name(), " added");
  return absl::OkStatus();
}

absl::Status DatabaseServiceImpl::Update(const v1::UpdateDatabaseRequest& req, v1::Database* out) {
  static const UpdatableFields kFields{
      v1::Database::descriptor(),
      {"storage", "copies", "target.agent", "target.host", "target.port", "target.user",
       "target.database", "target.path", "target.password_ref", "target.dump_options",
       "target.tls", "target.encryption"}};
  RETURN_IF_ERROR(ValidateResourceName("database name", req.name()));
  if (!req.database().target().name().empty() && req.database().target().name() != req.name()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "database.target.name \"", req.database().target().name(), "\" differs from the name \"",
        req.name(), "\" of the database to update: a database cannot be renamed"));
  }
  RETURN_IF_ERROR(CheckUpdateMask(req.update_mask(), kFields));
  ASSIGN_OR_RETURN(v1::Database db, c_.store->GetDatabase(req.name()));
  ApplyUpdateMask(req.database(), req.update_mask(), &db);
  // Only the storage or the encryption changed: the connection is what it
  // was.
  bool connection_changed = false;
  for (const std::string& path : req.update_mask().paths()) {
    bool target = path == "target" || path.rfind("target.", 0) == 0;
    if (target && path.rfind("target.encryption", 0) != 0) connection_changed = true;
  }
  RETURN_IF_ERROR(Check(&db, req.skip_connection_test() || !connection_changed));
  RETURN_IF_ERROR(c_.store->UpdateDatabase(db));
  ASSIGN_OR_RETURN(*out, c_.store->GetDatabase(req.name()));
  LogInfo("controller", "database ", req.name(), " updated: ",
          absl::StrJoin(req.update_mask().paths(), ", "));
  return absl::OkStatus();
}

grpc::Status DatabaseServiceImpl::UpdateDatabase(grpc::ServerContext*,
                                                 const v1::UpdateDatabaseRequest* req,
                                                 v1::UpdateDatabaseResponse* resp) {
  return ToGrpc(Update(*req, resp->mutable_database()));
}

grpc::Status DatabaseServiceImpl::GetDatabase(grpc::ServerContext*,
                                              const v1::GetDatabaseRequest* req,
                                              v1::GetDatabaseResponse* resp) {
  absl::Status st = ValidateResourceName("database name", req->name());
  if (st.ok()) {
    absl::StatusOr<v1::Database> db = c_.store->GetDatabase(req->name());
    st = db.status();
    if (db.ok()) *resp->mutable_database() = *std::move(db);
  }
  return ToGrpc(st);
}

grpc::Status DatabaseServiceImpl::AddDatabase(grpc::ServerContext*, const v1::AddDatabaseRequest* req,
                                              v1::AddDatabaseResponse* resp) {
  return ToGrpc(Add(*req, resp->mutable_database()));
}

grpc::Status DatabaseServiceImpl::ListDatabases(grpc::ServerContext*,
                                                const v1::ListDatabasesRequest* req,
                                                v1::ListDatabasesResponse* resp) {
  auto dbs = c_.store->ListDatabases();
  if (!dbs.ok()) return ToGrpc(dbs.status());
  absl::StatusOr<Page<v1::Database>> page =
      TakePage(*std::move(dbs), [](const v1::Database& d) { return d.target().name(); },
               PageRequest{req->page_size(), req->page_token(), "databases"});
  if (!page.ok()) return ToGrpc(page.status());
  for (v1::Database& d : page->items) *resp->add_databases() = std::move(d);
  resp->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status DatabaseServiceImpl::RemoveDatabase(grpc::ServerContext*,
                                                 const v1::RemoveDatabaseRequest* req,
                                                 v1::RemoveDatabaseResponse*) {
  absl::Status st = ValidateResourceName("database name", req->name());
  if (st.ok()) st = c_.store->RemoveDatabase(req->name());
  if (st.ok()) LogInfo("controller", "database ", req->name(), " removed; its backups stay catalogued");
  return ToGrpc(st);
}

}  // namespace dbdump
