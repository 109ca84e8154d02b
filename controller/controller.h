// Controller: dbdump-controller's parts wired together, from the store to
// the served APIs. main.cc parses flags and hands over to it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controller/pki/controller_pki.h"

namespace dbdump {

class AsyncNotifier;

struct ControllerOptions {
  // host:port of the admin and registry APIs (port 0: any free port).
  std::string listen = "127.0.0.1:7300";
  std::string store_path = "/var/lib/dbdump/controller.db";
  absl::Duration heartbeat_interval = absl::Seconds(5);
  absl::Duration reattach_timeout = absl::Seconds(60);
  int max_running_jobs = 32;
  int max_running_jobs_per_agent = 4;
  absl::Duration schedule_tick = absl::Seconds(1);
  absl::Duration stale_check = absl::Seconds(60);
  // Every storage is reconciled this often (not a dry run); zero: never.
  absl::Duration reconcile_interval = absl::Hours(24);
  // Leftovers younger than this are kept by the scheduled pass.
  absl::Duration reconcile_min_age = absl::Hours(24);
  // A pending copy of a backup is tried again by a copy job this long after
  // its failed write, doubled per further failure (at most 6 h).
  absl::Duration copy_retry_backoff = absl::Minutes(5);
  // Null: no notifications. Started and stopped by the controller.
  std::unique_ptr<AsyncNotifier> notifier;
  // Holds the PKI (unless given), the first admin token and the audit log's
  // JSON-lines mirror; made 0700. Empty: the store's directory.
  std::string state_dir;
  // Serve without TLS and without authentication (loudly logged). Off:
  // mutual TLS for agents, TLS and API tokens for admin clients.
  bool insecure_plaintext = false;
  // `dir` empty: <state_dir>/pki. `clock` is the controller's.
  ControllerPkiOptions pki;
  // host:port of a plain-HTTP Prometheus endpoint (/metrics, no
  // authentication); empty: not served. The HTTP gateway serves /metrics
  // too, to viewer tokens.
  std::string metrics_listen;
  // How often the store is probed for readiness (grpc.health.v1).
  absl::Duration store_check = absl::Seconds(2);
  // The HTTP/JSON gateway and the dashboard (HTTPS with the controller's
  // certificate, or HTTP when insecure_plaintext).
  struct Http {
    // host:port; empty: not served.
    std::string listen;
    std::vector<std::string> cors_origins;
    // Empty: the installed dashboard, if any.
    std::string dashboard_dir;
    absl::Duration sse_heartbeat = absl::Seconds(15);
    // The certificate chain and key served to HTTP clients, e.g. for the
    // names browsers use, from a CA they trust; empty: the controller's own
    // certificate. Read again when the files change.
    std::string tls_cert_file;
    std::string tls_key_file;
  } http;
};

// Not thread-safe: one thread starts and stops it.
class Controller {
 public:
  // Opens the store, serves the APIs, re-attaches to running jobs and
  // starts the scheduler. FailedPrecondition when the store cannot be
  // opened or the address cannot be served.
  static absl::StatusOr<std::unique_ptr<Controller>> Start(ControllerOptions options);
  ~Controller();

  // The port actually served (useful with port 0).
  int port() const;
  // The HTTP gateway's port; 0 when not served.
  int http_port() const;
  // The metrics endpoint's port; 0 when not served.
  int metrics_port() const;
  // Where the first admin token was written on first start (empty when the
  // store already had tokens).
  const std::string& bootstrap_token_path() const;
  // Notifications go through `next` from now on (null: none); what the
  // previous notifier queued is sent first, for up to 5 s. Thread-safe.
  void ReplaceNotifier(std::unique_ptr<AsyncNotifier> next);
  // Stops the scheduler, the server (in-flight calls get up to 5 s), the
  // followers (jobs go on at the agents) and flushes notifications.
  void Stop();

 private:
  struct Parts;
  explicit Controller(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace dbdump
