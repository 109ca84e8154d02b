#include "controller/controller.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/base/clock.h"
#include "common/base/log.h"
#include "controller/agents/grpc_agent_client.h"
#include "controller/api/agent_admin_service_impl.h"
#include "controller/api/backup_service_impl.h"
#include "controller/api/database_service_impl.h"
#include "controller/api/health_service_impl.h"
#include "controller/api/job_service_impl.h"
#include "controller/api/registry_service_impl.h"
#include "controller/api/retention_service_impl.h"
#include "controller/api/schedule_service_impl.h"
#include "controller/api/storage_service_impl.h"
#include "controller/api/verification_service_impl.h"
#include "controller/dispatch/dispatcher.h"
#include "controller/dispatch/job_outcome.h"
#include "controller/dispatch/job_updates.h"
#include "controller/notify/async_notifier.h"
#include "controller/notify/stale_watcher.h"
#include "controller/retention/backup_maintainer.h"
#include "controller/schedule/scheduler.h"
#include "controller/store/store.h"

namespace dbdump {

// Everything the controller runs, in the order it is built; destroyed in
// reverse.
struct Controller::Parts {
  RealClock clock;
  absl::Time started;
  std::unique_ptr<AsyncNotifier> notifier;
  std::unique_ptr<Store> store;
  GrpcAgentClients agents;
  JobUpdates updates;
  std::unique_ptr<BackupMaintainer> maintainer;
  std::unique_ptr<JobOutcome> outcome;
  std::unique_ptr<Dispatcher> dispatcher;
  std::unique_ptr<HealthServiceImpl> health;
  std::unique_ptr<StaleWatcher> stale_watcher;
  std::unique_ptr<Scheduler> scheduler;
  std::vector<std::unique_ptr<grpc::Service>> services;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  bool stopped = false;
};

absl::StatusOr<std::unique_ptr<Controller>> Controller::Start(ControllerOptions o) {
  auto p = std::make_unique<Parts>();
  p->started = p->clock.Now();
  p->notifier = std::move(o.notifier);
  std::error_code ec;
  std::filesystem::path store_path(o.store_path);
  if (store_path.has_parent_path()) std::filesystem::create_directories(store_path.parent_path(), ec);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(o.store_path, &p->clock);
  if (!store.ok()) return absl::FailedPreconditionError(store.status().message());
  p->store = *std::move(store);
  if (p->notifier) p->notifier->Start();
  Notifier* notifier = p->notifier.get();

  p->maintainer = std::make_unique<BackupMaintainer>(p->store.get(), &p->agents, &p->clock, notifier);
  JobOutcomeOptions outcome;
  outcome.store = p->store.get();
  outcome.clock = &p->clock;
  outcome.updates = &p->updates;
  outcome.maintainer = p->maintainer.get();
  outcome.notifier = notifier;
  p->outcome = std::make_unique<JobOutcome>(std::move(outcome));
  DispatcherOptions dispatch;
  dispatch.heartbeat_interval = o.heartbeat_interval;
  dispatch.reattach_for = o.reattach_timeout;
  dispatch.max_running_jobs = o.max_running_jobs;
  dispatch.max_running_jobs_per_agent = o.max_running_jobs_per_agent;
  dispatch.clock = &p->clock;
  DispatcherParts parts;
  parts.store = p->store.get();
  parts.agents = &p->agents;
  parts.updates = &p->updates;
  parts.outcome = p->outcome.get();
  p->dispatcher = std::make_unique<Dispatcher>(parts, dispatch);
  p->health = std::make_unique<HealthServiceImpl>(p->store.get(), p->dispatcher.get(), &p->clock,
                                                  p->started);
  HealthServiceImpl* health = p->health.get();
  p->stale_watcher = std::make_unique<StaleWatcher>([health] { return health->Stats(); }, notifier,
                                                    o.stale_check);
  StaleWatcher* stale = p->stale_watcher.get();
  SchedulerOptions sched;
  sched.tick = o.schedule_tick;
  sched.clock = &p->clock;
  sched.maintainer = p->maintainer.get();
  sched.on_tick = [stale](absl::Time now) { stale->Check(now); };
  p->scheduler = std::make_unique<Scheduler>(p->store.get(), p->dispatcher.get(), sched);

  AdminContext admin;
  admin.store = p->store.get();
  admin.dispatcher = p->dispatcher.get();
  admin.agents = &p->agents;
  admin.updates = &p->updates;
  admin.clock = &p->clock;
  p->services.push_back(
      std::make_unique<RegistryServiceImpl>(p->store.get(), o.heartbeat_interval, &p->clock));
  p->services.push_back(std::make_unique<AgentAdminServiceImpl>(admin));
  p->services.push_back(std::make_unique<DatabaseServiceImpl>(admin));
  p->services.push_back(std::make_unique<StorageServiceImpl>(admin));
  p->services.push_back(std::make_unique<BackupServiceImpl>(admin));
  p->services.push_back(std::make_unique<JobServiceImpl>(admin));
  p->services.push_back(
      std::make_unique<ScheduleServiceImpl>(p->store.get(), p->dispatcher.get(), &p->clock));
  p->services.push_back(std::make_unique<RetentionServiceImpl>(p->maintainer.get()));
  p->services.push_back(std::make_unique<VerificationServiceImpl>(p->maintainer.get()));

  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(o.listen, grpc::InsecureServerCredentials(), &p->port);
  for (auto& s : p->services) builder.RegisterService(s.get());
  builder.RegisterService(p->health.get());
  p->server = builder.BuildAndStart();
  if (!p->server || p->port == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot listen on ", o.listen, ": address in use or invalid"));
  }
  LogInfo("controller", "serving on ", o.listen.substr(0, o.listen.rfind(':') + 1), p->port,
          " with store ", o.store_path, " (schema v", p->store->schema_version(), ")");
  if (absl::Status s = p->dispatcher->Recover(); !s.ok()) {
    LogWarn("controller", "recovery: ", s.message());
  }
  p->scheduler->Start();
  return std::unique_ptr<Controller>(new Controller(std::move(p)));
}

Controller::Controller(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Controller::~Controller() { Stop(); }

int Controller::port() const { return parts_->port; }

void Controller::Stop() {
  Parts& p = *parts_;
  if (p.stopped) return;
  p.stopped = true;
  p.scheduler->Stop();
  // Followers of jobs are told first, so none keeps the server waiting.
  p.updates.Close();
  p.server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  p.dispatcher->Shutdown();
  p.maintainer->Stop();
  if (p.notifier) {
    p.notifier->Flush(absl::Seconds(5));
    p.notifier->Stop();
  }
}

}  // namespace dbdump
