// Dispatcher: sends jobs to agents and follows them to a terminal state.
#pragma once

#include <memory>
#include <string>
#include <set>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "controller/agent_clients.h"
#include "controller/store.h"

namespace grpc {
class ClientContext;
}

namespace dbdump {

struct DispatcherOptions {
  // Agents heartbeat this often; one silent for 3 intervals is offline.
  absl::Duration heartbeat_interval = absl::Seconds(5);
  // How long a broken event stream is retried with WatchJob before the job
  // is declared lost.
  absl::Duration reattach_for = absl::Seconds(60);
};

// Every job gets a follower thread that calls the agent, records each state
// change and the progress (at most once a second) and, for a successful
// backup, the catalogue entry. A job never stays RUNNING forever: when the
// stream breaks the follower re-attaches with WatchJob, and if the agent
// cannot tell, the job ends LOST with the reason. Thread-safe.
class Dispatcher {
 public:
  Dispatcher(Store* store, AgentClients* agents, DispatcherOptions options);
  ~Dispatcher();

  absl::StatusOr<dbdump::v1::Job> StartBackup(const dbdump::v1::StartBackupRequest& req);
  absl::StatusOr<dbdump::v1::Job> StartRestore(const dbdump::v1::StartRestoreRequest& req);
  // After a restart: follow every job the store still has as active.
  absl::Status Recover();
  // Whether an agent heartbeated recently enough.
  bool IsOnline(const dbdump::v1::Agent& agent, absl::Time now) const;
  // Stops following (the jobs go on at the agents) and joins the threads.
  void Shutdown();

 private:
  // Online agent of a database target, or a clear error.
  absl::StatusOr<dbdump::v1::Agent> OnlineAgent(const std::string& name);
  void Spawn(dbdump::v1::Job job, std::string request, bool reattach);
  void Follow(const dbdump::v1::Job& job, const std::string& request, bool reattach);
  // Applies one event; true when it was terminal.
  bool Apply(const dbdump::v1::Job& job, const dbdump::v1::JobEvent& e, absl::Time* last_progress);
  void End(const dbdump::v1::Job& job, dbdump::v1::JobState state, const std::string& error);

  Store* store_;
  AgentClients* agents_;
  const DispatcherOptions options_;
  absl::Notification shutdown_;
  absl::Mutex mu_;
  int followers_ ABSL_GUARDED_BY(mu_) = 0;
  // Calls in flight, cancelled on shutdown so followers end promptly.
  std::set<grpc::ClientContext*> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dbdump
