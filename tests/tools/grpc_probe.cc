// grpc_probe: one gRPC call to a controller or an agent with the
// credentials an attacker (or a test) chooses, printing the outcome as
// "CODE: message" ("OK" on success). The security e2e test uses it to check
// what each certificate may call.
//
//   grpc_probe --target=HOST:PORT --call=NAME [--identity=URI]
//              [--ca=ca.pem] [--cert=c.pem --key=c.key] [--token-file=F] [--plaintext]
//   NAME: agent.RunBackup, agent.RunRestore, agent.DeleteBackup,
//         agent.ReadBackupObject:DIR:DATABASE:BACKUP_ID:OBJECT (local storage DIR),
//         registry.RegisterAgent:AGENT, admin.ListBackups, admin.RemoveDatabase:NAME
#include <grpcpp/grpcpp.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/base/flags.h"
#include "common/security/tls_credentials.h"
#include "dbdump/v1/agent_service.grpc.pb.h"
#include "dbdump/v1/controller_service.grpc.pb.h"

namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Outcome(const grpc::Status& st) {
  if (st.ok()) return "OK";
  return std::string(absl::StatusCodeToString(static_cast<absl::StatusCode>(st.error_code()))) +
         ": " + st.error_message();
}

}  // namespace

int main(int argc, char** argv) {
  dbdump::Flags flags;
  flags.Define("target", "", "host:port");
  flags.Define("call", "", "what to call");
  flags.Define("identity", "spiffe://dbdump/controller", "identity the server must have");
  flags.Define("ca", "", "CA certificate");
  flags.Define("cert", "", "client certificate");
  flags.Define("key", "", "client key");
  flags.Define("token_file", "", "file with an API token");
  flags.DefineBool("plaintext", false, "no TLS");
  flags.Define("source", "/tmp/probe-source.db", "agent.RunBackup: SQLite file to copy");
  flags.Define("copy_to", "/tmp/probe-attacker-copy", "agent.RunBackup: where to");
  if (absl::Status s = flags.Parse(argc, argv); !s.ok()) {
    std::cerr << s.message() << "\n";
    return 2;
  }
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (flags.GetBool("plaintext")) {
    creds = grpc::InsecureChannelCredentials();
  } else if (!flags.Get("cert").empty()) {
    dbdump::TlsFiles files{flags.Get("ca"), flags.Get("cert"), flags.Get("key"), 60};
    creds = dbdump::MutualTlsChannelCredentials(files, flags.Get("identity"));
  } else {
    creds = dbdump::ServerTlsChannelCredentials(Read(flags.Get("ca")), flags.Get("identity"));
  }
  if (!flags.Get("token_file").empty()) {
    std::string token = Read(flags.Get("token_file"));
    while (!token.empty() && (token.back() == '\n' || token.back() == ' ')) token.pop_back();
    creds = grpc::CompositeChannelCredentials(creds, grpc::AccessTokenCredentials(token));
  }
  auto channel = dbdump::CreateChannelTo(flags.Get("target"), creds, flags.Get("identity"));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  const std::string call = flags.Get("call");
  grpc::Status st;
  if (call == "agent.RunBackup" || call == "agent.RunRestore") {
    auto stub = dbdump::v1::AgentService::NewStub(channel);
    dbdump::v1::JobEvent event;
    std::unique_ptr<grpc::ClientReader<dbdump::v1::JobEvent>> reader;
    if (call == "agent.RunBackup") {
      dbdump::v1::RunBackupRequest req;
      dbdump::v1::BackupJob* job = req.mutable_job();
      job->set_job_id("probe-job");
      job->set_backup_id("probe-backup");
      job->mutable_target()->set_engine(dbdump::v1::ENGINE_SQLITE);
      job->mutable_target()->set_path(flags.Get("source"));
      job->mutable_storage()->set_kind(dbdump::v1::STORAGE_KIND_LOCAL);
      job->mutable_storage()->set_path(flags.Get("copy_to"));
      reader = stub->RunBackup(&ctx, req);
    } else {
      dbdump::v1::RunRestoreRequest req;
      req.mutable_job()->set_job_id("probe-job");
      reader = stub->RunRestore(&ctx, req);
    }
    while (reader->Read(&event)) {
    }
    st = reader->Finish();
  } else if (absl::StartsWith(call, "agent.ReadBackupObject:")) {
    std::vector<std::string> parts = absl::StrSplit(call, ':');
    if (parts.size() != 5) {
      std::cerr << "--call=agent.ReadBackupObject:DIR:DATABASE:BACKUP_ID:OBJECT\n";
      return 2;
    }
    auto stub = dbdump::v1::AgentService::NewStub(channel);
    dbdump::v1::ReadBackupObjectRequest req;
    req.mutable_backup()->mutable_storage()->set_kind(dbdump::v1::STORAGE_KIND_LOCAL);
    req.mutable_backup()->mutable_storage()->set_path(parts[1]);
    req.mutable_backup()->set_database(parts[2]);
    req.mutable_backup()->set_backup_id(parts[3]);
    req.set_object(parts[4]);
    req.set_presign_ttl_s(60);
    dbdump::v1::ReadBackupObjectResponse resp;
    auto reader = stub->ReadBackupObject(&ctx, req);
    while (reader->Read(&resp)) {
    }
    st = reader->Finish();
  } else if (call == "agent.DeleteBackup") {
    auto stub = dbdump::v1::AgentService::NewStub(channel);
    dbdump::v1::AgentDeleteBackupRequest req;
    dbdump::v1::AgentDeleteBackupResponse resp;
    st = stub->DeleteBackup(&ctx, req, &resp);
  } else if (absl::StartsWith(call, "registry.RegisterAgent:")) {
    auto stub = dbdump::v1::RegistryService::NewStub(channel);
    dbdump::v1::RegisterAgentRequest req;
    req.set_name(call.substr(call.find(':') + 1));
    req.set_address("127.0.0.1:1");
    dbdump::v1::RegisterAgentResponse resp;
    st = stub->RegisterAgent(&ctx, req, &resp);
  } else if (call == "admin.ListBackups") {
    auto stub = dbdump::v1::BackupService::NewStub(channel);
    dbdump::v1::ListBackupsRequest req;
    dbdump::v1::ListBackupsResponse resp;
    st = stub->ListBackups(&ctx, req, &resp);
  } else if (absl::StartsWith(call, "admin.RemoveDatabase:")) {
    auto stub = dbdump::v1::DatabaseService::NewStub(channel);
    dbdump::v1::RemoveDatabaseRequest req;
    req.set_name(call.substr(call.find(':') + 1));
    dbdump::v1::RemoveDatabaseResponse resp;
    st = stub->RemoveDatabase(&ctx, req, &resp);
  } else {
    std::cerr << "unknown --call " << call << "\n";
    return 2;
  }
  std::cout << Outcome(st) << "\n";
  return 0;
}
