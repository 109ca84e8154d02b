// dbdump-controller: the control plane. Holds the catalogue, dispatches jobs
// to agents and serves the admin API.
#include <signal.h>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <iostream>

#include "common/flags.h"
#include "common/log.h"
#include "controller/admin_services.h"
#include "controller/registry_service_impl.h"

namespace {

int Run(int argc, char** argv) {
  dbdump::Flags flags;
  flags.Define("listen", "127.0.0.1:7300", "host:port to serve the admin and registry APIs on");
  flags.Define("store", "/var/lib/dbdump/controller.db", "path of the SQLite metadata store");
  flags.Define("heartbeat_interval_s", "5", "how often agents heartbeat; 3 missed = offline");
  flags.Define("reattach_timeout_s", "60",
               "how long a broken job stream is retried before the job is marked lost");
  absl::Status parsed = flags.Parse(argc, argv);
  if (absl::IsNotFound(parsed)) {
    std::cout << flags.Usage("dbdump-controller");
    return 0;
  }
  auto heartbeat = flags.GetInt("heartbeat_interval_s");
  auto reattach = flags.GetInt("reattach_timeout_s");
  for (const absl::Status& s : {parsed, heartbeat.status(), reattach.status()}) {
    if (!s.ok()) {
      std::cerr << "dbdump-controller: error: " << s.message() << "\n";
      return 2;
    }
  }
  if (*heartbeat < 1) {
    std::cerr << "dbdump-controller: error: --heartbeat_interval_s must be at least 1\n";
    return 2;
  }
  std::error_code ec;
  std::filesystem::path store_path(flags.Get("store"));
  if (store_path.has_parent_path()) std::filesystem::create_directories(store_path.parent_path(), ec);
  auto store = dbdump::Store::Open(flags.Get("store"));
  if (!store.ok()) {
    std::cerr << "dbdump-controller: error: " << store.status().message() << "\n";
    return 1;
  }
  dbdump::AgentClients agents;
  dbdump::Dispatcher dispatcher(store->get(), &agents,
                                {absl::Seconds(*heartbeat), absl::Seconds(*reattach)});
  dbdump::AdminContext ctx{store->get(), &dispatcher, &agents};
  dbdump::RegistryServiceImpl registry(store->get(), absl::Seconds(*heartbeat));
  dbdump::AgentAdminServiceImpl agent_admin(ctx);
  dbdump::DatabaseServiceImpl databases(ctx);
  dbdump::StorageServiceImpl storages(ctx);
  dbdump::BackupServiceImpl backups(ctx);
  dbdump::JobServiceImpl jobs(ctx);

  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(flags.Get("listen"), grpc::InsecureServerCredentials(), &port);
  for (grpc::Service* s : std::initializer_list<grpc::Service*>{
           &registry, &agent_admin, &databases, &storages, &backups, &jobs}) {
    builder.RegisterService(s);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::cerr << "dbdump-controller: error: cannot listen on " << flags.Get("listen")
              << ": address in use or invalid\n";
    return 1;
  }
  std::string listen = flags.Get("listen");
  dbdump::LogInfo("controller", "serving on ", listen.substr(0, listen.rfind(':') + 1), port,
                  " with store ", flags.Get("store"), " (schema v", (*store)->schema_version(), ")");
  if (absl::Status s = dispatcher.Recover(); !s.ok()) {
    dbdump::LogWarn("controller", "recovery: ", s.message());
  }

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  dbdump::LogInfo("controller", "stopping on signal ", sig);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  dispatcher.Shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return Run(argc, argv);
}
