#include "controller/controller.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include <grpcpp/support/server_interceptor.h>

#include "absl/strings/str_cat.h"
#include "common/base/clock.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"
#include "common/base/version.h"
#include "common/security/identity.h"
#include "common/security/private_files.h"
#include "common/security/tls_credentials.h"
#include "controller/agents/grpc_agent_client.h"
#include "controller/api/agent_admin_service_impl.h"
#include "controller/api/audit_service_impl.h"
#include "controller/api/enrollment_service_impl.h"
#include "controller/api/token_service_impl.h"
#include "controller/audit/audit_interceptor.h"
#include "controller/audit/audit_log.h"
#include "controller/audit/refusal_recorder.h"
#include "controller/auth/auth_processor.h"
#include "controller/api/backup_service_impl.h"
#include "controller/api/database_service_impl.h"
#include "controller/api/health_service_impl.h"
#include "controller/api/job_service_impl.h"
#include "controller/api/registry_service_impl.h"
#include "controller/api/retention_service_impl.h"
#include "controller/api/schedule_service_impl.h"
#include "controller/api/storage_service_impl.h"
#include "controller/api/verification_service_impl.h"
#include "controller/dispatch/copy_retrier.h"
#include "controller/dispatch/dispatcher.h"
#include "controller/dispatch/job_outcome.h"
#include "controller/dispatch/job_updates.h"
#include "controller/gateway/dashboard_assets.h"
#include "controller/gateway/http_gateway.h"
#include "controller/metrics/controller_metrics.h"
#include "common/metrics/metrics_endpoint.h"
#include "controller/notify/async_notifier.h"
#include "controller/notify/swappable_notifier.h"
#include "controller/notify/stale_watcher.h"
#include "controller/reconcile/catalogue_reconciler.h"
#include "controller/retention/backup_maintainer.h"
#include "controller/schedule/scheduler.h"
#include "controller/store/store.h"
#include "controller/store/store_probe.h"

namespace dbdump {
namespace {

// Fails when something already listens on `listen` (another controller),
// before anything is opened or written; gRPC's own bind comes later and
// catches the rest.
absl::Status CheckAddressFree(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return absl::OkStatus();
  std::string host = listen.substr(0, colon);
  std::string port = listen.substr(colon + 1);
  if (port == "0") return absl::OkStatus();
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found) != 0) {
    return absl::OkStatus();  // gRPC reports what is wrong with the address
  }
  absl::Status status = absl::OkStatus();
  for (addrinfo* a = found; a != nullptr && status.ok(); a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, a->ai_addr, a->ai_addrlen) != 0 && errno == EADDRINUSE) {
      status = absl::FailedPreconditionError(absl::StrCat(
          "cannot listen on ", listen, ": address in use (another dbdump-controller?)"));
    }
    close(fd);
  }
  freeaddrinfo(found);
  return status;
}

}  // namespace

// Everything the controller runs, in the order it is built; destroyed in
// reverse.
struct Controller::Parts {
  RealClock clock;
  absl::Time started;
  std::unique_ptr<SwappableNotifier> notifier;
  std::unique_ptr<Store> store;
  std::unique_ptr<AuditLog> audit;
  CallerDirectory callers;
  std::unique_ptr<RefusalRecorder> refusals;
  std::unique_ptr<ControllerPki> pki;
  std::string bootstrap_token_path;
  std::unique_ptr<GrpcAgentClients> agents;
  JobUpdates updates;
  std::unique_ptr<BackupMaintainer> maintainer;
  std::unique_ptr<CatalogueReconciler> reconciler;
  std::unique_ptr<JobOutcome> outcome;
  std::unique_ptr<Dispatcher> dispatcher;
  std::unique_ptr<HealthServiceImpl> health;
  std::unique_ptr<ControllerMetrics> metrics;
  std::unique_ptr<prometheus::Exposer> metrics_server;
  std::unique_ptr<StoreProbe> store_probe;
  std::unique_ptr<StaleWatcher> stale_watcher;
  std::unique_ptr<CopyRetrier> copy_retrier;
  std::unique_ptr<Scheduler> scheduler;
  std::vector<std::unique_ptr<grpc::Service>> services;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<HttpGateway> gateway;
  int port = 0;
  bool stopped = false;
};

absl::StatusOr<std::unique_ptr<Controller>> Controller::Start(ControllerOptions o) {
  RETURN_IF_ERROR(CheckAddressFree(o.listen));
  auto p = std::make_unique<Parts>();
  p->started = p->clock.Now();
  p->notifier = std::make_unique<SwappableNotifier>(std::move(o.notifier));
  std::error_code ec;
  std::filesystem::path store_path(o.store_path);
  if (store_path.has_parent_path()) std::filesystem::create_directories(store_path.parent_path(), ec);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(o.store_path, &p->clock);
  if (!store.ok()) return absl::FailedPreconditionError(store.status().message());
  p->store = *std::move(store);
  p->store_probe = std::make_unique<StoreProbe>(p->store.get(), o.store_path);
  std::string state_dir = o.state_dir;
  if (state_dir.empty()) {
    state_dir = store_path.has_parent_path() ? store_path.parent_path().string() : ".";
  }
  if (absl::Status s = EnsurePrivateDirectory(state_dir); !s.ok()) {
    return absl::FailedPreconditionError(s.message());
  }
  p->audit = std::make_unique<AuditLog>(p->store.get(), state_dir + "/audit.jsonl", &p->clock);
  if (absl::Status s = p->audit->Open(); !s.ok()) return absl::FailedPreconditionError(s.message());
  if (o.insecure_plaintext) {
    p->agents = std::make_unique<GrpcAgentClients>(PlaintextAgentChannels());
  } else {
    ControllerPkiOptions pki = o.pki;
    if (pki.dir.empty()) pki.dir = state_dir + "/pki";
    pki.clock = &p->clock;
    absl::StatusOr<std::unique_ptr<ControllerPki>> opened = ControllerPki::Open(std::move(pki));
    if (!opened.ok()) return opened.status();
    p->pki = *std::move(opened);
    TlsFiles files = p->pki->files();
    p->agents = std::make_unique<GrpcAgentClients>(
        [files](const std::string& agent, const std::string& address) {
          std::string identity = AgentIdentity(agent);
          return CreateChannelTo(address, MutualTlsChannelCredentials(files, identity), identity);
        });
    absl::StatusOr<std::vector<ApiTokenRecord>> tokens = p->store->ListApiTokens();
    if (!tokens.ok()) return absl::FailedPreconditionError(tokens.status().message());
    if (tokens->empty()) {
      absl::StatusOr<std::string> secret =
          CreateApiToken(p->store.get(), "admin", v1::ROLE_ADMIN, "controller (first start)",
                         p->clock.Now(), absl::ZeroDuration());
      if (!secret.ok()) return absl::FailedPreconditionError(secret.status().message());
      p->bootstrap_token_path = state_dir + "/admin.token";
      if (absl::Status s = WriteFileAtomically(p->bootstrap_token_path, *secret + "\n", 0600);
          !s.ok()) {
        return absl::FailedPreconditionError(s.message());
      }
      AuditEntry created;
      created.actor = "controller";
      created.rpc = "first start: bootstrap admin token";
      created.target = "name=admin role=ROLE_ADMIN";
      created.outcome = "ok";
      p->audit->Record(std::move(created));
      LogInfo("controller", "first start: an admin API token is in ", p->bootstrap_token_path,
              " (mode 0600); create named tokens with `dbdumpctl token create` and revoke "
              "this one");
    }
  }
  Notifier* notifier = p->notifier.get();

  p->maintainer = std::make_unique<BackupMaintainer>(p->store.get(), p->agents.get(), &p->clock, notifier);
  JobOutcomeOptions outcome;
  outcome.store = p->store.get();
  outcome.clock = &p->clock;
  outcome.updates = &p->updates;
  outcome.maintainer = p->maintainer.get();
  outcome.notifier = notifier;
  // Metrics are made below (they read the dispatcher); ended jobs reach
  // them through Parts, which outlives the outcome.
  Parts* parts_for_metrics = p.get();
  outcome.on_end = [parts_for_metrics](const v1::Job& job) {
    if (parts_for_metrics->metrics) parts_for_metrics->metrics->JobEnded(job);
  };
  p->outcome = std::make_unique<JobOutcome>(std::move(outcome));
  DispatcherOptions dispatch;
  dispatch.heartbeat_interval = o.heartbeat_interval;
  dispatch.reattach_for = o.reattach_timeout;
  dispatch.max_running_jobs = o.max_running_jobs;
  dispatch.max_running_jobs_per_agent = o.max_running_jobs_per_agent;
  dispatch.clock = &p->clock;
  DispatcherParts parts;
  parts.store = p->store.get();
  parts.agents = p->agents.get();
  parts.updates = &p->updates;
  parts.outcome = p->outcome.get();
  p->dispatcher = std::make_unique<Dispatcher>(parts, dispatch);
  p->health = std::make_unique<HealthServiceImpl>(p->store.get(), p->dispatcher.get(), &p->clock,
                                                  p->started);
  HealthServiceImpl* health = p->health.get();
  ControllerMetricsParts metric_parts;
  metric_parts.store = p->store.get();
  metric_parts.dispatcher = p->dispatcher.get();
  metric_parts.clock = &p->clock;
  metric_parts.stats = [health] { return health->Stats(); };
  p->metrics = std::make_unique<ControllerMetrics>(std::move(metric_parts));
  {
    ControllerMetrics* metrics = p->metrics.get();
    p->notifier->SetDeliveryObserver([metrics](const std::string& channel, bool delivered) {
      metrics->NotificationDelivered(channel, delivered);
    });
    // Started once its observer is set; nothing is notified before this.
    p->notifier->Start();
  }
  p->stale_watcher = std::make_unique<StaleWatcher>([health] { return health->Stats(); }, notifier,
                                                    o.stale_check);
  StaleWatcher* stale = p->stale_watcher.get();
  CatalogueReconcilerParts reconcile;
  reconcile.store = p->store.get();
  reconcile.agents = p->agents.get();
  reconcile.clock = &p->clock;
  reconcile.notifier = notifier;
  Dispatcher* dispatcher = p->dispatcher.get();
  reconcile.is_online = [dispatcher](const v1::Agent& a, absl::Time now) {
    return dispatcher->IsOnline(a, now);
  };
  p->reconciler = std::make_unique<CatalogueReconciler>(std::move(reconcile));
  CatalogueReconciler* reconciler = p->reconciler.get();
  SchedulerOptions sched;
  sched.tick = o.schedule_tick;
  sched.clock = &p->clock;
  sched.maintainer = p->maintainer.get();
  ControllerPki* pki = p->pki.get();
  // Readiness (grpc.health.v1) follows the store, probed on the
  // scheduler's thread: SERVING once the scheduler's first tick finds the
  // store answering, NOT_SERVING whenever a probe fails. The server exists
  // before the scheduler starts.
  StoreProbe* probe = p->store_probe.get();
  Parts* parts_for_health = p.get();
  // The first scheduled reconciliation one interval after the start: agents
  // have heartbeated by then, and a restart loop does not reconcile each time.
  CopyRetrierOptions copy_retry;
  copy_retry.backoff = o.copy_retry_backoff;
  p->copy_retrier = std::make_unique<CopyRetrier>(p->store.get(), p->dispatcher.get(), &p->clock,
                                                  copy_retry);
  CopyRetrier* copy_retrier = p->copy_retrier.get();
  sched.on_tick = [stale, pki, reconciler, copy_retrier, next_renew_check = absl::InfinitePast(),
                   reconcile_every = o.reconcile_interval, reconcile_min_age = o.reconcile_min_age,
                   next_reconcile = p->started + o.reconcile_interval, probe, parts_for_health,
                   store_check = o.store_check, next_store_check = absl::InfinitePast(),
                   store_ok = false](absl::Time now) mutable {
    if (now >= next_store_check) {
      next_store_check = now + store_check;
      absl::Status s = probe->Check();
      if (s.ok() != store_ok) {
        if (s.ok()) {
          LogInfo("controller", "store available again: serving (grpc.health.v1)");
        } else {
          LogWarn("controller", s.message(), "; NOT_SERVING (grpc.health.v1)");
        }
        store_ok = s.ok();
        parts_for_health->server->GetHealthCheckService()->SetServingStatus(store_ok);
      }
    }
    stale->Check(now);
    if (absl::StatusOr<int> q = copy_retrier->QueueDue(now); !q.ok()) {
      LogWarn("controller", "cannot queue copy jobs: ", q.status().message());
    }
    if (reconcile_every > absl::ZeroDuration() && now >= next_reconcile) {
      next_reconcile = now + reconcile_every;
      reconciler->ReconcileAllLater(reconcile_min_age);
    }
    if (pki != nullptr && now >= next_renew_check) {
      next_renew_check = now + absl::Hours(1);
      if (absl::Status s = pki->RenewOwnIfDue(); !s.ok()) {
        LogWarn("pki", "cannot renew the controller's certificate: ", s.message());
      }
    }
  };
  p->scheduler = std::make_unique<Scheduler>(p->store.get(), p->dispatcher.get(), sched);

  AdminContext admin;
  admin.store = p->store.get();
  admin.dispatcher = p->dispatcher.get();
  admin.agents = p->agents.get();
  admin.updates = &p->updates;
  admin.clock = &p->clock;
  admin.pki = p->pki.get();
  admin.audit = p->audit.get();
  admin.maintainer = p->maintainer.get();
  admin.reconciler = p->reconciler.get();
  admin.callers = &p->callers;
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
  p->services.push_back(std::make_unique<EnrollmentServiceImpl>(admin));
  p->services.push_back(std::make_unique<TokenServiceImpl>(admin));
  p->services.push_back(std::make_unique<AuditServiceImpl>(admin));

  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (o.insecure_plaintext) {
    credentials = grpc::InsecureServerCredentials();
    LogWarn("controller", "SECURITY: --insecure_plaintext: serving ", o.listen,
            " without TLS and without authentication; anyone who can reach this port can "
            "register agents, read the catalogue, restore over and delete backups");
  } else {
    credentials = TlsServerCredentials(p->pki->files(), ClientCertificates::kVerifyIfPresented);
    AuthProcessorOptions auth;
    auth.store = p->store.get();
    auth.clock = &p->clock;
    auth.admit_unrecorded_agent_certificates = !p->pki->can_issue();
    auth.callers = &p->callers;
    p->refusals = std::make_unique<RefusalRecorder>(p->audit.get(), &p->clock);
    RefusalRecorder* refusals = p->refusals.get();
    auth.on_refusal = [refusals](const Refusal& r) {
      AuditEntry entry;
      entry.actor = r.actor;
      entry.rpc = r.rpc;
      entry.outcome = r.outcome;
      entry.detail = r.detail;
      refusals->Record(std::move(entry));
    };
    credentials->SetAuthMetadataProcessor(std::make_shared<ControllerAuthProcessor>(std::move(auth)));
  }
  // grpc.health.v1 for probes: NOT_SERVING until the scheduler's first
  // tick finds the store answering.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  // A second controller must not share the port (gRPC sets SO_REUSEPORT by default).
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(o.listen, credentials, &p->port);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<AuditInterceptorFactory>(p->audit.get(), &p->callers));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  for (auto& s : p->services) builder.RegisterService(s.get());
  builder.RegisterService(p->health.get());
  p->server = builder.BuildAndStart();
  if (!p->server || p->port == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot listen on ", o.listen, ": address in use or invalid"));
  }
  p->server->GetHealthCheckService()->SetServingStatus(false);
  LogInfo("controller", "serving on ", o.listen.substr(0, o.listen.rfind(':') + 1), p->port,
          o.insecure_plaintext ? " (PLAINTEXT)" : " (TLS)", " with store ", o.store_path,
          " (schema v", p->store->schema_version(), ")");
  if (p->pki) LogInfo("controller", "CA fingerprint ", p->pki->ca_fingerprint());
  if (!o.http.listen.empty()) {
    HttpGatewayOptions http;
    http.listen = o.http.listen;
    std::string host = o.listen.substr(0, o.listen.rfind(':'));
    if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
    if (host == "[::]") host = "[::1]";
    http.grpc_target = absl::StrCat(host, ":", p->port);
    http.plaintext = o.insecure_plaintext;
    if (p->pki) {
      TlsFiles files = p->pki->files();
      http.cert_path = files.cert_path;
      http.key_path = files.key_path;
      http.ca_path = files.ca_path;
    }
    if (!o.http.tls_cert_file.empty()) {
      http.cert_path = o.http.tls_cert_file;
      http.key_path = o.http.tls_key_file;
    }
    http.cors_origins = o.http.cors_origins;
    http.dashboard_dir = o.http.dashboard_dir.empty() ? DefaultDashboardDir() : o.http.dashboard_dir;
    http.sse_heartbeat = o.http.sse_heartbeat;
    http.version = kVersion;
    ControllerMetrics* metrics = p->metrics.get();
    http.metrics = [metrics] { return MetricsText(metrics->collectables()); };
    absl::StatusOr<std::unique_ptr<HttpGateway>> gateway = HttpGateway::Start(std::move(http));
    if (!gateway.ok()) {
      p->server->Shutdown();
      return absl::FailedPreconditionError(gateway.status().message());
    }
    p->gateway = *std::move(gateway);
  }
  if (!o.metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<prometheus::Exposer>> served =
        ServeMetrics(o.metrics_listen, p->metrics->collectables());
    if (!served.ok()) {
      if (p->gateway) p->gateway->Stop();
      p->server->Shutdown();
      return served.status();
    }
    p->metrics_server = *std::move(served);
    LogInfo("controller", "metrics on http://", o.metrics_listen, "/metrics (no authentication)");
  }
  if (absl::Status s = p->dispatcher->Recover(); !s.ok()) {
    LogWarn("controller", "recovery: ", s.message());
  }
  p->scheduler->Start();
  return std::unique_ptr<Controller>(new Controller(std::move(p)));
}

Controller::Controller(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Controller::~Controller() { Stop(); }

int Controller::port() const { return parts_->port; }

int Controller::http_port() const { return parts_->gateway ? parts_->gateway->port() : 0; }

int Controller::metrics_port() const {
  return parts_->metrics_server ? MetricsPort(*parts_->metrics_server) : 0;
}

const std::string& Controller::bootstrap_token_path() const { return parts_->bootstrap_token_path; }

void Controller::ReplaceNotifier(std::unique_ptr<AsyncNotifier> next) {
  parts_->notifier->Replace(std::move(next), absl::Seconds(5));
}

void Controller::Stop() {
  Parts& p = *parts_;
  if (p.stopped) return;
  p.stopped = true;
  p.scheduler->Stop();
  // Probes see the controller go before its port closes.
  p.server->GetHealthCheckService()->SetServingStatus(false);
  // Followers of jobs are told first, so none keeps the server waiting.
  p.updates.Close();
  if (p.gateway) p.gateway->Stop();
  p.server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  p.dispatcher->Shutdown();
  p.reconciler->Stop();
  p.maintainer->Stop();
  p.notifier->FlushAndStop(absl::Seconds(5));
}

}  // namespace dbdump
