// dbdump-agent: runs dump tools next to the databases and streams the
// backups into storage.

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <iostream>
#include <thread>

#include "agent/agent_service_impl.h"
#include "common/engines/mongodb/mongo_engine.h"
#include "common/engines/mysql/mysql_engine.h"
#include "common/engines/postgres/postgres_engine.h"
#include "agent/registrar.h"
#include "common/engines/sqlite/sqlite_engine.h"
#include "common/base/flags.h"
#include "common/base/log.h"
#include "common/process/termination_signals.h"
#include "common/base/names.h"
#include "common/process/subprocess_runner.h"

namespace {

int Run(int argc, char** argv) {
  dbdump::Flags flags;
  flags.Define("name", "agent-1", "name of this agent, unique per controller");
  flags.Define("listen", "127.0.0.1:7301", "host:port to serve AgentService on");
  flags.Define("advertise", "", "host:port the controller uses to reach this agent (default: --listen)");
  flags.Define("controller", "127.0.0.1:7300", "host:port of the controller");
  flags.Define("work_dir", "/var/lib/dbdump-agent", "private scratch and job journal directory");
  flags.Define("buffer_bytes", "1048576", "size of each pipeline buffer");
  flags.Define("buffers", "4", "number of pipeline buffers");
  flags.Define("compression_workers", "auto",
               "zstd worker threads per job; auto = 2 on hosts with 4 or more cores, else 0 "
               "(compress on the pipeline's own thread: same speed on 2 cores, ~20 MiB less memory)");
  absl::Status parsed = flags.Parse(argc, argv);
  if (absl::IsNotFound(parsed)) {
    std::cout << flags.Usage("dbdump-agent");
    return 0;
  }
  if (!parsed.ok()) {
    std::cerr << "dbdump-agent: error: " << parsed.message() << "\n";
    return 2;
  }
  absl::Status name_ok = dbdump::ValidateResourceName("agent name", flags.Get("name"));
  auto buffer_bytes = flags.GetInt("buffer_bytes");
  auto buffers = flags.GetInt("buffers");
  absl::StatusOr<int> workers =
      flags.Get("compression_workers") == "auto"
          ? absl::StatusOr<int>(std::thread::hardware_concurrency() >= 4 ? 2 : 0)
          : flags.GetInt("compression_workers");
  for (const absl::Status& s : {name_ok, buffer_bytes.status(), buffers.status(), workers.status()}) {
    if (!s.ok()) {
      std::cerr << "dbdump-agent: error: " << s.message() << "\n";
      return 2;
    }
  }

  dbdump::JobRegistry registry(flags.Get("work_dir"));
  if (absl::Status s = registry.Init(absl::Hours(24 * 7)); !s.ok()) {
    std::cerr << "dbdump-agent: error: " << s.message() << "\n";
    return 1;
  }
  dbdump::JobRunnerOptions runner_options;
  runner_options.agent_name = flags.Get("name");
  runner_options.work_dir = flags.Get("work_dir");
  runner_options.buffer_bytes = static_cast<size_t>(*buffer_bytes);
  runner_options.buffers = static_cast<size_t>(*buffers);
  runner_options.compression_workers = static_cast<int>(*workers);
  dbdump::JobRunner runner(runner_options);
  dbdump::SubprocessRunner processes;
  std::map<dbdump::v1::Engine, std::unique_ptr<dbdump::Engine>> engines;
  engines[dbdump::v1::ENGINE_POSTGRES] =
      std::make_unique<dbdump::PostgresEngine>(dbdump::PostgresEngineOptions{&processes});
  engines[dbdump::v1::ENGINE_SQLITE] = std::make_unique<dbdump::SqliteEngine>();
  // Both put the short-lived password files of their connection checks in
  // the agent's private work directory.
  dbdump::MysqlEngineOptions mysql_options;
  mysql_options.runner = &processes;
  mysql_options.private_dir = flags.Get("work_dir");
  engines[dbdump::v1::ENGINE_MYSQL] = std::make_unique<dbdump::MysqlEngine>(mysql_options);
  dbdump::MongoEngineOptions mongo_options;
  mongo_options.runner = &processes;
  mongo_options.work_dir = flags.Get("work_dir");
  engines[dbdump::v1::ENGINE_MONGODB] = std::make_unique<dbdump::MongoEngine>(mongo_options);
  // Scratch databases of test restores a killed agent did not finish.
  runner.SweepScratch(engines);
  dbdump::AgentServiceImpl service(flags.Get("name"), std::move(engines), &registry, &runner);

  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(flags.Get("listen"), grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::cerr << "dbdump-agent: error: cannot listen on " << flags.Get("listen")
              << ": address in use or invalid\n";
    return 1;
  }
  std::string listen = flags.Get("listen");
  std::string advertise = flags.Get("advertise").empty()
                              ? listen.substr(0, listen.rfind(':') + 1) + std::to_string(port)
                              : flags.Get("advertise");
  dbdump::LogInfo("agent", "serving on ", listen.substr(0, listen.rfind(':') + 1), port);

  dbdump::Registrar registrar(
      {flags.Get("controller"), flags.Get("name"), advertise, service.engines()});
  registrar.Start();

  // Wait for SIGINT/SIGTERM on this thread, then shut down in order.
  int sig = dbdump::WaitForTerminationSignal();
  dbdump::LogInfo("agent", "stopping on signal ", sig);
  registrar.Stop();
  // Running jobs end CANCELLED (uploads aborted, journal written) before
  // what they use is torn down.
  if (!registry.CancelAllAndWait(absl::Seconds(30))) {
    dbdump::LogWarn("agent", "jobs still running after 30 s; exiting anyway");
    std::_Exit(1);
  }
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  dbdump::BlockTerminationSignals();
  return Run(argc, argv);
}
