// dbdump-controller: the control plane. Holds the catalogue, dispatches jobs
// to agents and serves the admin API.

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/base/daemon_logging.h"
#include "common/base/flags.h"
#include "common/base/log.h"
#include "common/base/version.h"
#include "common/process/service_notify.h"
#include "common/process/termination_signals.h"
#include "controller/controller.h"
#include "controller/notify/async_notifier.h"
#include "controller/notify/notifier_config.h"

namespace {

dbdump::NotifierConfig NotifyConfigFrom(const dbdump::Flags& flags) {
  dbdump::NotifierConfig notify;
  notify.webhook_url_file = flags.Get("notify_webhook_url_file");
  notify.webhook_secret_file = flags.Get("notify_webhook_secret_file");
  notify.slack_url_file = flags.Get("notify_slack_url_file");
  notify.smtp_url = flags.Get("notify_smtp_url");
  notify.email_from = flags.Get("notify_email_from");
  notify.email_to = flags.Get("notify_email_to");
  notify.smtp_credentials_file = flags.Get("notify_smtp_credentials_file");
  notify.events = flags.Get("notify_events");
  return notify;
}

// SIGHUP: the config file is read again; what can change while running
// (logging, notifications) is applied, the rest is named for a restart.
// TLS files need no signal: they are read again when they change.
void Reload(dbdump::Flags& flags, dbdump::Controller* controller) {
  if (flags.config_file().empty()) {
    dbdump::LogInfo("controller", "SIGHUP: started without --config, nothing to read again");
    return;
  }
  absl::StatusOr<std::vector<std::string>> changed = flags.Reload();
  if (!changed.ok()) {
    dbdump::LogWarn("controller", "SIGHUP: ", changed.status().message(),
                    "; the running settings stay");
    return;
  }
  bool logging = false, notify = false;
  std::vector<std::string> applied, at_restart;
  for (const std::string& name : *changed) {
    if (absl::StartsWith(name, "log_")) {
      logging = true;
    } else if (absl::StartsWith(name, "notify_")) {
      notify = true;
    } else {
      std::string flag = name;
      std::replace(flag.begin(), flag.end(), '_', '-');
      at_restart.push_back("--" + flag);
    }
  }
  if (logging) {
    absl::Status st = dbdump::ApplyLoggingFlags(flags);
    if (st.ok()) {
      applied.push_back(absl::StrCat("logging (", flags.Get("log_level"), ", ",
                                     flags.Get("log_format"), ")"));
    } else {
      dbdump::LogWarn("controller", "SIGHUP: ", st.message(), "; logging stays as it was");
    }
  }
  if (notify) {
    auto notifier = dbdump::MakeNotifier(NotifyConfigFrom(flags), dbdump::AsyncNotifierOptions());
    if (notifier.ok()) {
      controller->ReplaceNotifier(*std::move(notifier));
      applied.push_back("notifications");
    } else {
      dbdump::LogWarn("controller", "SIGHUP: ", notifier.status().message(),
                      "; notifications stay as they were");
    }
  }
  dbdump::LogInfo("controller", "SIGHUP: read ", flags.config_file(), " again; reloaded: ",
                  applied.empty() ? "nothing" : absl::StrJoin(applied, ", "),
                  at_restart.empty() ? ""
                                     : absl::StrCat("; changed, applied at the next restart: ",
                                                    absl::StrJoin(at_restart, ", ")));
}

int Run(int argc, char** argv) {
  dbdump::Flags flags;
  dbdump::DefineLoggingFlags(&flags);
  flags.Define("listen", "127.0.0.1:7300", "host:port to serve the admin and registry APIs on");
  flags.Define("store", "/var/lib/dbdump/controller.db", "path of the SQLite metadata store");
  flags.Define("heartbeat_interval_s", "5", "how often agents heartbeat; 3 missed = offline");
  flags.Define("reattach_timeout_s", "60",
               "how long a broken job stream is retried before the job is marked lost");
  flags.Define("max_running_jobs", "32",
               "jobs running at once over all agents (0 = no limit); the rest wait queued");
  flags.Define("max_running_jobs_per_agent", "4", "jobs running at once on one agent (0 = no limit)");
  flags.Define("schedule_tick_ms", "1000", "how often due schedules are looked for");
  flags.Define("state_dir", "",
               "directory (0700) of the CA, the controller's key, the first admin token and the "
               "audit log's mirror (default: the store's directory)");
  flags.DefineBool("insecure_plaintext", false,
               "serve without TLS and without authentication (never on a shared network)");
  flags.Define("tls_ca_file", "", "bring-your-own PKI: the CA certificate (PEM)");
  flags.Define("tls_cert_file", "",
               "bring-your-own PKI: the controller's certificate, with the URI SAN "
               "spiffe://dbdump/controller");
  flags.Define("tls_key_file", "", "bring-your-own PKI: the controller's key (0600)");
  flags.Define("tls_ca_key_file", "",
               "bring-your-own PKI: the CA's key (0600), to enroll agents; without it agents "
               "use certificates from your CA");
  flags.Define("agent_cert_validity_s", "2592000",
               "lifetime of the certificates issued to agents (they renew after two thirds)");
  flags.Define("notify_webhook_url_file", "",
               "0600 file holding the URL of a generic webhook receiving JSON notifications");
  flags.Define("notify_webhook_secret_file", "",
               "0600 file with the HMAC-SHA256 key signing webhook bodies (X-Dbdump-Signature)");
  flags.Define("notify_slack_url_file", "", "0600 file holding a Slack incoming webhook URL");
  flags.Define("notify_smtp_url", "", "smtp://host:port (or smtps://) for e-mail notifications");
  flags.Define("notify_email_from", "", "sender address of notification e-mails");
  flags.Define("notify_email_to", "", "comma-separated recipients of notification e-mails");
  flags.Define("notify_smtp_credentials_file", "", "0600 file with one line user:password");
  flags.Define("notify_events", "failure,verify_failure,stale,missing",
               "events to notify: failure, success, verify_failure, stale, missing");
  flags.Define("stale_check_s", "60", "how often databases are checked for stale backups");
  flags.Define("reconcile_interval", "24h",
               "how often every storage is reconciled with the catalogue (a duration such as "
               "24h or 90m; 0 = never)");
  flags.Define("reconcile_min_age", "24h",
               "leftovers younger than this are kept by the scheduled reconciliation");
  flags.Define("copy_retry_backoff", "5m",
               "wait before a failed copy of a backup to a copy destination is tried again by a "
               "copy job (doubled per failed attempt, at most 6h); a duration such as 5m or 30s");
  flags.Define("http_listen", "",
               "host:port to serve the HTTP/JSON gateway and the dashboard on (HTTPS with the "
               "controller's certificate; plain HTTP with --insecure-plaintext); empty: off");
  flags.Define("http_cors_origins", "",
               "comma-separated origins (https://host[:port]) whose pages may call the gateway; "
               "none by default");
  flags.Define("http_tls_cert_file", "",
               "the gateway's certificate chain (PEM), e.g. for the name browsers use, from a CA "
               "they trust (default: the controller's own certificate)");
  flags.Define("http_tls_key_file", "", "the key (0600) of --http-tls-cert-file");
  flags.Define("dashboard_dir", "",
               "directory of the dashboard's files (default: the installed dashboard)");
  flags.Define("http_sse_heartbeat_ms", "15000",
               "how often an idle event stream gets a keep-alive line");
  flags.Define("metrics_listen", "",
               "host:port to serve Prometheus metrics on at /metrics (plain HTTP, no "
               "authentication: loopback or a monitoring network; the HTTP gateway also serves "
               "/metrics to viewer tokens); empty: off");
  absl::Status parsed = flags.Parse(argc, argv);
  if (flags.HelpRequested()) {
    std::cout << flags.Usage("dbdump-controller");
    return 0;
  }
  if (flags.VersionRequested()) {
    std::cout << "dbdump-controller " << dbdump::kVersion << "\n";
    return 0;
  }
  if (parsed.ok()) parsed = dbdump::ApplyLoggingFlags(flags);
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
    std::cerr << "dbdump-controller: error: --max-running-jobs and --max-running-jobs-per-agent "
                 "must be 0 or more and --schedule-tick-ms at least 10\n";
    return 2;
  }
  if (*heartbeat < 1) {
    std::cerr << "dbdump-controller: error: --heartbeat-interval-s must be at least 1\n";
    return 2;
  }
  auto stale_check_s = flags.GetInt("stale_check_s");
  auto agent_validity = flags.GetInt("agent_cert_validity_s");
  for (const absl::Status& s : {stale_check_s.status(), agent_validity.status()}) {
    if (!s.ok()) {
      std::cerr << "dbdump-controller: error: " << s.message() << "\n";
      return 2;
    }
  }
  absl::Duration reconcile_interval, reconcile_min_age;
  if (!absl::ParseDuration(flags.Get("reconcile_interval"), &reconcile_interval) ||
      reconcile_interval < absl::ZeroDuration() ||
      !absl::ParseDuration(flags.Get("reconcile_min_age"), &reconcile_min_age) ||
      reconcile_min_age < absl::Seconds(1)) {
    std::cerr << "dbdump-controller: error: --reconcile-interval (0 = off) and "
                 "--reconcile-min-age (at least 1s) take durations such as 24h or 90m\n";
    return 2;
  }
  absl::Duration copy_retry_backoff;
  if (!absl::ParseDuration(flags.Get("copy_retry_backoff"), &copy_retry_backoff) ||
      copy_retry_backoff < absl::Seconds(1)) {
    std::cerr << "dbdump-controller: error: --copy-retry-backoff takes a duration of at least "
                 "1s, such as 5m or 30s\n";
    return 2;
  }
  if (*agent_validity < 60) {
    std::cerr << "dbdump-controller: error: --agent-cert-validity-s must be at least 60\n";
    return 2;
  }

  auto notifier = dbdump::MakeNotifier(NotifyConfigFrom(flags), dbdump::AsyncNotifierOptions());
  if (!notifier.ok()) {
    std::cerr << "dbdump-controller: error: " << notifier.status().message() << "\n";
    return 2;
  }
  dbdump::ControllerOptions options;
  options.listen = flags.Get("listen");
  options.store_path = flags.Get("store");
  options.heartbeat_interval = absl::Seconds(*heartbeat);
  options.reattach_timeout = absl::Seconds(*reattach);
  options.max_running_jobs = static_cast<int>(*max_jobs);
  options.max_running_jobs_per_agent = static_cast<int>(*max_jobs_per_agent);
  options.schedule_tick = absl::Milliseconds(*tick_ms);
  options.stale_check = absl::Seconds(*stale_check_s);
  options.reconcile_interval = reconcile_interval;
  options.reconcile_min_age = reconcile_min_age;
  options.copy_retry_backoff = copy_retry_backoff;
  options.notifier = *std::move(notifier);
  options.state_dir = flags.Get("state_dir");
  options.insecure_plaintext = flags.GetBool("insecure_plaintext");
  options.pki.ca_cert_file = flags.Get("tls_ca_file");
  options.pki.cert_file = flags.Get("tls_cert_file");
  options.pki.key_file = flags.Get("tls_key_file");
  options.pki.ca_key_file = flags.Get("tls_ca_key_file");
  options.pki.agent_validity = absl::Seconds(*agent_validity);
  auto heartbeat_ms = flags.GetInt("http_sse_heartbeat_ms");
  if (!heartbeat_ms.ok() || *heartbeat_ms < 100) {
    std::cerr << "dbdump-controller: error: --http-sse-heartbeat-ms must be a number, at least 100\n";
    return 2;
  }
  options.http.listen = flags.Get("http_listen");
  for (absl::string_view origin : absl::StrSplit(flags.Get("http_cors_origins"), ',', absl::SkipWhitespace())) {
    std::string o(absl::StripAsciiWhitespace(origin));
    if (!absl::StartsWith(o, "https://") && !absl::StartsWith(o, "http://")) {
      std::cerr << "dbdump-controller: error: --http-cors-origins: '" << o
                << "' is not an origin; give scheme://host[:port], e.g. https://ops.example.com\n";
      return 2;
    }
    options.http.cors_origins.push_back(o);
  }
  options.http.dashboard_dir = flags.Get("dashboard_dir");
  options.http.tls_cert_file = flags.Get("http_tls_cert_file");
  options.http.tls_key_file = flags.Get("http_tls_key_file");
  if (options.http.tls_cert_file.empty() != options.http.tls_key_file.empty()) {
    std::cerr << "dbdump-controller: error: --http-tls-cert-file and --http-tls-key-file go "
                 "together: give both, or neither to serve the controller's own certificate\n";
    return 2;
  }
  options.http.sse_heartbeat = absl::Milliseconds(*heartbeat_ms);
  options.metrics_listen = flags.Get("metrics_listen");
  auto controller = dbdump::Controller::Start(std::move(options));
  if (!controller.ok()) {
    std::cerr << "dbdump-controller: error: " << controller.status().message() << "\n";
    return 1;
  }
  dbdump::NotifyReady();
  int sig = 0;
  while ((sig = dbdump::WaitForSignal()) == SIGHUP) {
    dbdump::NotifyReloading();
    Reload(flags, controller->get());
    dbdump::NotifyReady();
  }
  dbdump::NotifyStopping();
  dbdump::LogInfo("controller", "stopping on signal ", sig);
  (*controller)->Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Everything the controller writes (store, keys, tokens, audit log) is
  // its own: files 0600, directories 0700.
  umask(077);
  dbdump::BlockTerminationSignals();
  return Run(argc, argv);
}
