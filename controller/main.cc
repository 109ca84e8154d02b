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
#include "controller/backup_maintainer.h"
#include "controller/health_service_impl.h"
#include "controller/registry_service_impl.h"
#include "controller/retention_service_impl.h"
#include "controller/schedule_service_impl.h"
#include "controller/scheduler.h"
#include "controller/verification_service_impl.h"

namespace {

int Run(int argc, char** argv) {
  dbdump::Flags flags;
  flags.Define("listen", "127.0.0.1:7300", "host:port to serve the admin and registry APIs on");
  flags.Define("store", "/var/lib/dbdump/controller.db", "path of the SQLite metadata store");
  flags.Define("heartbeat_interval_s", "5", "how often agents heartbeat; 3 missed = offline");
  flags.Define("reattach_timeout_s", "60",
               "how long a broken job stream is retried before the job is marked lost");
  flags.Define("max_running_jobs", "32",
               "jobs running at once over all agents (0 = no limit); the rest wait queued");
  flags.Define("max_running_jobs_per_agent", "4", "jobs running at once on one agent (0 = no limit)");
  flags.Define("schedule_tick_ms", "1000", "how often due schedules are looked for");
  absl::Status parsed = flags.Parse(argc, argv);
  if (absl::IsNotFound(parsed)) {
    std::cout << flags.Usage("dbdump-controller");
    return 0;
  }
  auto heartbeat = flags.GetInt("heartbeat_interval_s");
  auto reattach = flags.GetInt("reattach_timeout_s");
  auto max_jobs = flags.GetInt("max_running_jobs");
  auto max_jobs_per_agent = flags.GetInt("max_running_jobs_per_agent");
  auto tick_ms = flags.GetInt("schedule_tick_ms");
  for (const absl::Status& s : {parsed, heartbeat.status(), reattach.status(), max_jobs.status(),
                                max_jobs_per_agent.status(), tick_ms.status()}) {
    if (!s.ok()) {
      std::cerr << "dbdump-controller: error: " << s.message() << "\n";
      return 2;
    }
  }
  if (*max_jobs < 0 || *max_jobs_per_agent < 0 || *tick_ms < 10) {
    std::cerr << "dbdump-controller: error: --max_running_jobs and --max_running_jobs_per_agent "
                 "must be 0 or more and --schedule_tick_ms at least 10\n";
    return 2;
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
  dbdump::RealClock clock;
  absl::Time started = clock.Now();
  dbdump::DispatcherOptions dispatch_options;
  dispatch_options.heartbeat_interval = absl::Seconds(*heartbeat);
  dispatch_options.reattach_for = absl::Seconds(*reattach);
  dispatch_options.max_running_jobs = static_cast<int>(*max_jobs);
  dispatch_options.max_running_jobs_per_agent = static_cast<int>(*max_jobs_per_agent);
  dispatch_options.clock = &clock;
  dbdump::Notifier* notifier = nullptr;
  dbdump::BackupMaintainer maintainer(store->get(), &agents, &clock, notifier);
  dbdump::Store* store_ptr = store->get();
  // After each job: retention of a scheduled database once a backup
  // succeeded, and the notifications.
  dispatch_options.on_job_end = [store_ptr, &maintainer, notifier](const dbdump::v1::Job& job) {
    if (job.kind() != dbdump::v1::JOB_KIND_BACKUP) return;
    if (job.state() == dbdump::v1::JOB_STATE_SUCCEEDED && !job.schedule().empty()) {
      maintainer.ApplyLater(job.database());
    }
    (void)store_ptr;
    (void)notifier;
  };
  dbdump::Dispatcher dispatcher(store->get(), &agents, dispatch_options);
  dbdump::Scheduler scheduler(store->get(), &dispatcher,
                              {absl::Milliseconds(*tick_ms), &clock, &maintainer});
  dbdump::ScheduleServiceImpl schedules(store->get(), &dispatcher, &clock);
  dbdump::RetentionServiceImpl retention(&maintainer);
  dbdump::VerificationServiceImpl verification(&maintainer);
  dbdump::HealthServiceImpl health(store->get(), &dispatcher, &clock, started);
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
           &registry, &agent_admin, &databases, &storages, &backups, &jobs, &schedules,
           &retention, &verification, &health}) {
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
  scheduler.Start();

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  dbdump::LogInfo("controller", "stopping on signal ", sig);
  scheduler.Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  dispatcher.Shutdown();
  maintainer.Stop();
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
