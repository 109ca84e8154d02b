// dbdump-agent: runs dump tools next to the databases and streams the
// backups into storage.

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "agent/agent_metrics.h"
#include "agent/agent_service_impl.h"
#include "agent/certificate_renewer.h"
#include "agent/controller_only_processor.h"
#include "agent/enrollment.h"
#include "common/security/identity.h"
#include "common/security/tls_credentials.h"
#include "common/engines/mongodb/mongo_engine.h"
#include "common/engines/mysql/mysql_engine.h"
#include "common/engines/postgres/postgres_engine.h"
#include "agent/registrar.h"
#include "common/engines/sqlite/sqlite_engine.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "common/base/daemon_logging.h"
#include "common/base/flags.h"
#include "common/base/version.h"
#include "common/base/log.h"
#include "common/process/service_notify.h"
#include "common/process/termination_signals.h"
#include "common/base/names.h"
#include "common/metrics/metrics_endpoint.h"
#include "common/process/subprocess_runner.h"

namespace {

// SIGHUP: the config file is read again and logging follows it; the rest
// is named for a restart. TLS files need no signal: they are read again
// when they change.
void Reload(dbdump::Flags& flags) {
  if (flags.config_file().empty()) {
    dbdump::LogInfo("agent", "SIGHUP: started without --config, nothing to read again");
    return;
  }
  absl::StatusOr<std::vector<std::string>> changed = flags.Reload();
  if (!changed.ok()) {
    dbdump::LogWarn("agent", "SIGHUP: ", changed.status().message(), "; the running settings stay");
    return;
  }
  bool logging = false;
  std::vector<std::string> at_restart;
  for (const std::string& name : *changed) {
    if (absl::StartsWith(name, "log_")) {
      logging = true;
    } else {
      std::string flag = name;
      std::replace(flag.begin(), flag.end(), '_', '-');
      at_restart.push_back("--" + flag);
    }
  }
  std::string applied = "nothing";
  if (logging) {
    absl::Status st = dbdump::ApplyLoggingFlags(flags);
    if (st.ok()) {
      applied = absl::StrCat("logging (", flags.Get("log_level"), ", ", flags.Get("log_format"), ")");
    } else {
      dbdump::LogWarn("agent", "SIGHUP: ", st.message(), "; logging stays as it was");
    }
  }
  dbdump::LogInfo("agent", "SIGHUP: read ", flags.config_file(), " again; reloaded: ", applied,
                  at_restart.empty() ? ""
                                     : absl::StrCat("; changed, applied at the next restart: ",
                                                    absl::StrJoin(at_restart, ", ")));
}

int Run(int argc, char** argv) {
  dbdump::Flags flags;
  dbdump::DefineLoggingFlags(&flags);
  flags.Define("name", "",
               "name of this agent, unique per controller (default: the name in its "
               "certificate; agent-1 with --insecure-plaintext)");
  flags.Define("join", "",
               "first start: reference to a join token from `dbdumpctl agent enroll NAME`, "
               "env:VAR or file:/path (0600), never the token itself");
  flags.Define("ca_fingerprint", "", "with --join: the controller CA's sha256 fingerprint");
  flags.Define("tls_dir", "", "the agent's key and certificates (default: <work_dir>/tls)");
  flags.Define("tls_ca_file", "", "bring-your-own PKI: the CA certificate (PEM)");
  flags.Define("tls_cert_file", "",
               "bring-your-own PKI: this agent's certificate, with the URI SAN "
               "spiffe://dbdump/agent/NAME");
  flags.Define("tls_key_file", "", "bring-your-own PKI: this agent's key (0600)");
  flags.Define("renew_check_s", "60",
               "how often the certificate's age is checked (renewed after two thirds of its life)");
  flags.DefineBool("insecure_plaintext", false,
                   "serve and call the controller without TLS (never on a shared network)");
  flags.Define("listen", "127.0.0.1:7301", "host:port to serve AgentService on");
  flags.Define("advertise", "", "host:port the controller uses to reach this agent (default: --listen)");
  flags.Define("controller", "127.0.0.1:7300", "host:port of the controller");
  flags.Define("work_dir", "/var/lib/dbdump-agent", "private scratch and job journal directory");
  flags.Define("cleanup_interval_s", "300",
               "how often the agent looks again for what its jobs left behind (unfinished "
               "uploads, partial files, failed backups' objects) that it could not remove at "
               "once, e.g. because the storage was unreachable");
  flags.Define("buffer_bytes", "1048576", "size of each pipeline buffer");
  flags.Define("copy_stall_timeout_s", "300",
               "a copy destination that takes no bytes for this long while a backup waits for "
               "it is dropped from the backup's pass (the copy is retried later by a copy job)");
  flags.Define("buffers", "4", "number of pipeline buffers");
  flags.Define("compression_workers", "auto",
               "zstd worker threads per job; auto = 2 on hosts with 4 or more cores, else 0 "
               "(compress on the pipeline's own thread: same speed on 2 cores, ~20 MiB less memory)");
  flags.Define("metrics_listen", "",
               "host:port to serve Prometheus metrics on at /metrics (plain HTTP, no "
               "authentication: loopback or a monitoring network); empty: off");
  absl::Status parsed = flags.Parse(argc, argv);
  if (flags.HelpRequested()) {
    std::cout << flags.Usage("dbdump-agent");
    return 0;
  }
  if (flags.VersionRequested()) {
    std::cout << "dbdump-agent " << dbdump::kVersion << "\n";
    return 0;
  }
  if (parsed.ok()) parsed = dbdump::ApplyLoggingFlags(flags);
  if (!parsed.ok()) {
    std::cerr << "dbdump-agent: error: " << parsed.message() << "\n";
    return 2;
  }
  const bool plaintext = flags.GetBool("insecure_plaintext");
  const std::string work_dir = flags.Get("work_dir");
  std::string name = flags.Get("name");
  dbdump::TlsFiles tls;
  if (!plaintext) {
    std::string tls_dir = flags.Get("tls_dir").empty() ? work_dir + "/tls" : flags.Get("tls_dir");
    bool bring_own = !flags.Get("tls_cert_file").empty() || !flags.Get("tls_key_file").empty() ||
                     !flags.Get("tls_ca_file").empty();
    if (bring_own) {
      tls.ca_path = flags.Get("tls_ca_file");
      tls.cert_path = flags.Get("tls_cert_file");
      tls.key_path = flags.Get("tls_key_file");
      tls.reload_seconds = 10;
      if (tls.ca_path.empty() || tls.cert_path.empty() || tls.key_path.empty()) {
        std::cerr << "dbdump-agent: error: --tls-ca-file, --tls-cert-file and --tls-key-file "
                     "go together\n";
        return 2;
      }
    } else {
      tls = dbdump::AgentTlsFiles(tls_dir);
      if (!dbdump::IsEnrolled(tls_dir)) {
        if (flags.Get("join").empty()) {
          std::cerr << "dbdump-agent: error: this agent is not enrolled: run `dbdumpctl agent "
                       "enroll NAME` and start it once with --join=env:VAR (or file:PATH) and "
                       "--ca-fingerprint=sha256:... as printed\n";
          return 2;
        }
        dbdump::EnrollOptions enroll;
        enroll.controller_address = flags.Get("controller");
        enroll.join_ref = flags.Get("join");
        enroll.ca_fingerprint = flags.Get("ca_fingerprint");
        enroll.dir = tls_dir;
        absl::StatusOr<std::string> enrolled = dbdump::EnrollAgent(enroll);
        if (!enrolled.ok()) {
          std::cerr << "dbdump-agent: error: " << enrolled.status().message() << "\n";
          return 1;
        }
      } else if (!flags.Get("join").empty()) {
        dbdump::LogInfo("agent", "already enrolled (", tls_dir, "); --join ignored");
      }
    }
    absl::StatusOr<std::string> cert_name = dbdump::AgentNameFromCertificate(tls.cert_path);
    if (!cert_name.ok()) {
      std::cerr << "dbdump-agent: error: " << cert_name.status().message() << "\n";
      return 1;
    }
    if (!name.empty() && name != *cert_name) {
      std::cerr << "dbdump-agent: error: --name=" << name << " but this agent's certificate is "
                << "for \"" << *cert_name << "\"\n";
      return 2;
    }
    name = *cert_name;
  } else if (name.empty()) {
    name = "agent-1";
  }
  absl::Status name_ok = dbdump::ValidateResourceName("agent name", name);
  auto cleanup_interval_s = flags.GetInt("cleanup_interval_s");
  auto buffer_bytes = flags.GetInt("buffer_bytes");
  auto buffers = flags.GetInt("buffers");
  absl::StatusOr<int> workers =
      flags.Get("compression_workers") == "auto"
          ? absl::StatusOr<int>(std::thread::hardware_concurrency() >= 4 ? 2 : 0)
          : flags.GetInt("compression_workers");
  absl::Status cleanup_ok = cleanup_interval_s.status();
  if (cleanup_ok.ok() && *cleanup_interval_s < 1) {
    cleanup_ok = absl::InvalidArgumentError("--cleanup-interval-s must be at least 1");
  }
  auto copy_stall_s = flags.GetInt("copy_stall_timeout_s");
  if (copy_stall_s.ok() && *copy_stall_s < 1) {
    copy_stall_s = absl::InvalidArgumentError("--copy-stall-timeout-s must be at least 1");
  }
  for (const absl::Status& s : {name_ok, cleanup_ok, buffer_bytes.status(), buffers.status(),
                                workers.status(), copy_stall_s.status()}) {
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
  // What each job is about to write, so that what a killed job left behind
  // is found and removed when the agent starts again.
  dbdump::WriteJournal write_journal(flags.Get("work_dir") + "/writes");
  if (absl::Status s = write_journal.Init(); !s.ok()) {
    std::cerr << "dbdump-agent: error: " << s.message() << "\n";
    return 1;
  }
  dbdump::LeftoverSweeper sweeper(&write_journal, &registry);
  // Metrics: S3 calls report through the default hook, as storages are
  // opened per job from their configuration.
  dbdump::AgentMetrics metrics([&registry] { return registry.running(); });
  dbdump::SetDefaultS3Metrics(&metrics);
  std::unique_ptr<prometheus::Exposer> metrics_server;
  if (!flags.Get("metrics_listen").empty()) {
    auto served = dbdump::ServeMetrics(flags.Get("metrics_listen"), metrics.collectables());
    if (!served.ok()) {
      std::cerr << "dbdump-agent: error: " << served.status().message() << "\n";
      return 1;
    }
    metrics_server = *std::move(served);
    dbdump::LogInfo("agent", "metrics on http://", flags.Get("metrics_listen"), "/metrics");
  }
  registry.SetEndHook([&sweeper, &metrics](const dbdump::v1::JobEvent& e) {
    sweeper.JobEnded(e);
    metrics.JobEnded(e);
  });
  dbdump::JobRunnerOptions runner_options;
  runner_options.journal = &write_journal;
  runner_options.agent_name = name;
  runner_options.work_dir = flags.Get("work_dir");
  runner_options.buffer_bytes = static_cast<size_t>(*buffer_bytes);
  runner_options.buffers = static_cast<size_t>(*buffers);
  runner_options.compression_workers = static_cast<int>(*workers);
  runner_options.copy_stall_timeout = absl::Seconds(*copy_stall_s);
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
  // What each engine can run with the tools installed on this host; only
  // those with their tools are offered to the controller.
  for (const auto& [kind, engine] : engines) {
    std::string tool_version = engine->ToolVersion();
    if (tool_version.empty()) {
      dbdump::LogWarn("agent", "engine ", dbdump::v1::Engine_Name(kind),
                      " unavailable: its dump and restore tools are not installed on this host");
    } else {
      dbdump::LogInfo("agent", "engine ", dbdump::v1::Engine_Name(kind), " available (tool ",
                      tool_version, ")");
    }
  }
  // Scratch databases of test restores a killed agent did not finish.
  runner.SweepScratch(engines);
  dbdump::AgentServiceImpl service(name, std::move(engines), &registry, &runner, &sweeper);
  // Jobs an earlier process was running when it died get their outcome and
  // cleanup at once; the controller is told to ask again meanwhile.
  sweeper.Start(absl::Seconds(*cleanup_interval_s));

  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::shared_ptr<grpc::ServerCredentials> server_credentials;
  if (plaintext) {
    server_credentials = grpc::InsecureServerCredentials();
    dbdump::LogWarn("agent", "SECURITY: --insecure-plaintext: serving ", flags.Get("listen"),
                    " without TLS; anyone who can reach this port can back up, restore over "
                    "and delete this host's databases");
  } else {
    server_credentials = dbdump::TlsServerCredentials(tls, dbdump::ClientCertificates::kRequired);
    server_credentials->SetAuthMetadataProcessor(
        std::make_shared<dbdump::ControllerOnlyProcessor>());
  }
  // grpc.health.v1: NOT_SERVING until the controller has this agent
  // registered (set below, then by the registrar).
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  // A second agent must not share the port (gRPC sets SO_REUSEPORT by default).
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  int port = 0;
  builder.AddListeningPort(flags.Get("listen"), server_credentials, &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::cerr << "dbdump-agent: error: cannot listen on " << flags.Get("listen")
              << ": address in use or invalid\n";
    return 1;
  }
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  health->SetServingStatus(false);
  std::string listen = flags.Get("listen");
  std::string advertise = flags.Get("advertise").empty()
                              ? listen.substr(0, listen.rfind(':') + 1) + std::to_string(port)
                              : flags.Get("advertise");
  dbdump::LogInfo("agent", "serving on ", listen.substr(0, listen.rfind(':') + 1), port);

  dbdump::RegistrarOptions registrar_options;
  registrar_options.controller_address = flags.Get("controller");
  registrar_options.agent_name = name;
  registrar_options.advertise_address = advertise;
  registrar_options.engines = service.engines();
  registrar_options.tool_versions = service.tool_versions();
  registrar_options.on_connection = [health, &metrics](bool connected) {
    health->SetServingStatus(connected);
    metrics.ConnectionChanged(connected);
  };
  if (!plaintext) {
    registrar_options.credentials =
        dbdump::MutualTlsChannelCredentials(tls, dbdump::ControllerIdentity());
  }
  dbdump::Registrar registrar(std::move(registrar_options));
  registrar.Start();
  std::unique_ptr<dbdump::CertificateRenewer> renewer;
  if (!plaintext && flags.Get("tls_cert_file").empty()) {
    dbdump::CertificateRenewerOptions renew;
    renew.controller_address = flags.Get("controller");
    renew.files = tls;
    absl::StatusOr<int> check_s = flags.GetInt("renew_check_s");
    renew.check_every = absl::Seconds(check_s.ok() && *check_s > 0 ? *check_s : 60);
    renewer = std::make_unique<dbdump::CertificateRenewer>(renew);
    renewer->Start();
  }

  // Wait for SIGINT/SIGTERM on this thread, then shut down in order.
  dbdump::NotifyReady();
  int sig = 0;
  while ((sig = dbdump::WaitForSignal()) == SIGHUP) {
    dbdump::NotifyReloading();
    Reload(flags);
    dbdump::NotifyReady();
  }
  dbdump::NotifyStopping();
  dbdump::LogInfo("agent", "stopping on signal ", sig);
  registrar.Stop();
  if (renewer) renewer->Stop();
  // Running jobs end CANCELLED (uploads aborted, journal written) before
  // what they use is torn down.
  if (!registry.CancelAllAndWait(absl::Seconds(30))) {
    dbdump::LogWarn("agent", "jobs still running after 30 s; exiting anyway");
    std::_Exit(1);
  }
  sweeper.Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  dbdump::BlockTerminationSignals();
  return Run(argc, argv);
}
