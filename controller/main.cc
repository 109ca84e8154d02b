// dbdump-controller: the control plane. Holds the catalogue, dispatches jobs
// to agents and serves the admin API.

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "common/base/flags.h"
#include "common/base/log.h"
#include "common/process/termination_signals.h"
#include "controller/api/admin_services.h"
#include "controller/retention/backup_maintainer.h"
#include "controller/api/health_service_impl.h"
#include "controller/notify/notifier_config.h"
#include "controller/notify/stale_watcher.h"
#include "controller/api/registry_service_impl.h"
#include "controller/api/retention_service_impl.h"
#include "controller/api/schedule_service_impl.h"
#include "controller/schedule/scheduler.h"
#include "controller/api/verification_service_impl.h"

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
  flags.Define("notify_webhook_url", "", "generic webhook receiving JSON notifications");
  flags.Define("notify_webhook_secret_file", "",
               "0600 file with the HMAC-SHA256 key signing webhook bodies (X-Dbdump-Signature)");
  flags.Define("notify_slack_url_file", "", "0600 file holding a Slack incoming webhook URL");
  flags.Define("notify_smtp_url", "", "smtp://host:port (or smtps://) for e-mail notifications");
  flags.Define("notify_email_from", "", "sender address of notification e-mails");
  flags.Define("notify_email_to", "", "comma-separated recipients of notification e-mails");
  flags.Define("notify_smtp_credentials_file", "", "0600 file with one line user:password");
  flags.Define("notify_events", "failure,verify_failure,stale",
               "events to notify: failure, success, verify_failure, stale");
  flags.Define("stale_check_s", "60", "how often databases are checked for stale backups");
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
  dbdump::NotifierConfig notify_config{
      flags.Get("notify_webhook_url"),   flags.Get("notify_webhook_secret_file"),
      flags.Get("notify_slack_url_file"), flags.Get("notify_smtp_url"),
      flags.Get("notify_email_from"),    flags.Get("notify_email_to"),
      flags.Get("notify_smtp_credentials_file"), flags.Get("notify_events")};
  auto made_notifier = dbdump::MakeNotifier(notify_config, dbdump::AsyncNotifierOptions());
  auto stale_check_s = flags.GetInt("stale_check_s");
  if (!made_notifier.ok() || !stale_check_s.ok()) {
    std::cerr << "dbdump-controller: error: "
              << (made_notifier.ok() ? stale_check_s.status() : made_notifier.status()).message()
              << "\n";
    return 2;
  }
  std::unique_ptr<dbdump::AsyncNotifier> async_notifier = std::move(*made_notifier);
  dbdump::Notifier* notifier = async_notifier.get();
  if (async_notifier) async_notifier->Start();
  dbdump::BackupMaintainer maintainer(store->get(), &agents, &clock, notifier);
  dbdump::Store* store_ptr = store->get();
  // After each job: retention of a scheduled database once a backup
  // succeeded, and the notifications.
  dispatch_options.on_job_end = [store_ptr, &maintainer, notifier,
                                 &clock](const dbdump::v1::Job& job) {
    if (job.kind() != dbdump::v1::JOB_KIND_BACKUP) return;
    bool ok = job.state() == dbdump::v1::JOB_STATE_SUCCEEDED;
    // Retention after every good backup (a no-op for databases without rules).
    if (ok) maintainer.ApplyLater(job.database());
    if (notifier == nullptr) return;
    dbdump::Notification n;
    n.event = ok ? dbdump::NotificationEvent::kBackupSucceeded
                 : dbdump::NotificationEvent::kBackupFailed;
    n.database = job.database();
    n.summary = absl::StrCat("backup of ", job.database(), ok ? " succeeded" : " failed");
    n.fields = {{"job", job.id()},
                {"state", dbdump::v1::JobState_Name(job.state())},
                {"agent", job.agent()},
                {"attempt", absl::StrCat(job.attempt())}};
    if (!job.schedule().empty()) n.fields["schedule"] = job.schedule();
    if (ok) n.fields["backup"] = job.backup_id();
    if (!job.error().empty()) n.fields["error"] = job.error();
    n.time = clock.Now();
    notifier->Notify(n);
    (void)store_ptr;
  };
  dbdump::Dispatcher dispatcher(store->get(), &agents, dispatch_options);
  dbdump::HealthServiceImpl health(store->get(), &dispatcher, &clock, started);
  dbdump::StaleWatcher stale_watcher([&health] { return health.Stats(); }, notifier, absl::Seconds(*stale_check_s));
  dbdump::Scheduler scheduler(
      store->get(), &dispatcher,
      {absl::Milliseconds(*tick_ms), &clock, &maintainer,
       [&stale_watcher](absl::Time now) { stale_watcher.Check(now); }});
  dbdump::ScheduleServiceImpl schedules(store->get(), &dispatcher, &clock);
  dbdump::RetentionServiceImpl retention(&maintainer);
  dbdump::VerificationServiceImpl verification(&maintainer);
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

  int sig = dbdump::WaitForTerminationSignal();
  dbdump::LogInfo("controller", "stopping on signal ", sig);
  scheduler.Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  dispatcher.Shutdown();
  maintainer.Stop();
  if (async_notifier) {
    async_notifier->Flush(absl::Seconds(5));
    async_notifier->Stop();
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  dbdump::BlockTerminationSignals();
  return Run(argc, argv);
}
