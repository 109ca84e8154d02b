// Dispatcher: a persistent job queue in front of the agents. Jobs are
// stored QUEUED first; the dispatcher starts them in order as the
// concurrency limits allow, follows each to a terminal state, and retries
// failed scheduled backups with backoff.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/base/clock.h"
#include "controller/agents/agent_clients.h"
#include "controller/store/store.h"

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
  // Jobs running at once over all agents, and on one agent; the rest wait
  // QUEUED in the order they were created. 0 = no limit.
  int max_running_jobs = 32;
  int max_running_jobs_per_agent = 4;
  // Not owned; a RealClock when null.
  Clock* clock = nullptr;
  // Called once per job that ends while this dispatcher follows it, with the
  // job's final record, on the follower's thread (never under a lock).
  std::function<void(const dbdump::v1::Job&)> on_job_end;
};

// What a backup job is made of, manual or scheduled.
struct BackupSettings {
  std::string database;
  dbdump::v1::Compression compression = dbdump::v1::COMPRESSION_UNSPECIFIED;
  int32_t compression_level = 0;
  std::string schedule;
  uint32_t attempt = 1;
  uint32_t timeout_s = 0;
  // Queued but not started before then (retries).
  absl::Time not_before = absl::InfinitePast();
};

// Counters of the queue, for health and tests.
struct DispatcherStats {
  int queued = 0;
  int running = 0;
  // Highest number of jobs followed at once since start, overall and on any
  // one agent.
  int peak_running = 0;
  int peak_running_per_agent = 0;
  int64_t started_total = 0;
};

// Every started job gets a follower thread that calls the agent, records
// each state change and the progress (at most once a second) and, for a
// successful backup, the catalogue entry. A job never stays RUNNING forever:
// when the stream breaks the follower re-attaches with WatchJob; if the
// agent cannot tell, the job ends LOST with the reason; when the agent stops
// heartbeating the job ends LOST with "agent offline" (a
// queued job whose agent is offline ends FAILED: it never ran); past its timeout it
// is cancelled at the agent and ends FAILED. Thread-safe.
class Dispatcher {
 public:
  Dispatcher(Store* store, AgentClients* agents, DispatcherOptions options);
  ~Dispatcher();

  // Manual backup: refused at once when the agent is offline.
  absl::StatusOr<dbdump::v1::Job> StartBackup(const dbdump::v1::StartBackupRequest& req);
  absl::StatusOr<dbdump::v1::Job> StartRestore(const dbdump::v1::StartRestoreRequest& req);
  // Builds (validates, does not store) the job for a backup.
  absl::StatusOr<StoredJob> PrepareBackup(const BackupSettings& settings);
  // Queues a job already stored QUEUED and, unless told not to, starts what
  // the limits allow.
  void Enqueue(StoredJob job, bool launch = true);
  // Starts queued jobs as the limits allow; retries whose time has come.
  void Launch();
  // Ends the jobs of agents that stopped heartbeating.
  void CheckAgents();
  // After a restart: re-attach to every RUNNING job, queue the QUEUED ones.
  absl::Status Recover();
  // Whether an agent heartbeated recently enough.
  bool IsOnline(const dbdump::v1::Agent& agent, absl::Time now) const;
  DispatcherStats stats();
  // Stops following (the jobs go on at the agents) and joins the threads.
  void Shutdown();

 private:
  struct Follower {
    std::string agent;
    grpc::ClientContext* ctx = nullptr;
    // Set by CheckAgents: the follower ends the job as agent offline.
    std::string offline_reason;
  };

  absl::Time Now() const { return clock_->Now(); }
  // Offline as far as failing its jobs goes.
  bool SilentSinceStart(const dbdump::v1::Agent& agent, absl::Time now) const;
  // Online agent of a database target, or a clear error.
  absl::StatusOr<dbdump::v1::Agent> OnlineAgent(const std::string& name);
  void Spawn(dbdump::v1::Job job, std::string request, bool reattach);
  void Follow(const dbdump::v1::Job& job, const std::string& request, bool reattach);
  // Applies one event; true when it was terminal.
  bool Apply(const dbdump::v1::Job& job, const dbdump::v1::JobEvent& e, absl::Time* last_progress);
  void End(const dbdump::v1::Job& job, dbdump::v1::JobState state, const std::string& error);
  // After a job ended: schedule bookkeeping, a retry, the callback.
  void AfterEnd(const dbdump::v1::Job& job);
  // Sets (or clears, with null) the call a follower is blocked on; false
  // when the follower must stop (shutdown or agent offline).
  bool SetCall(const std::string& job_id, grpc::ClientContext* ctx);
  std::string OfflineReason(const std::string& job_id);

  Store* store_;
  AgentClients* agents_;
  const DispatcherOptions options_;
  RealClock real_clock_;
  Clock* clock_;
  const absl::Time started_;
  absl::Notification shutdown_;
  absl::Mutex mu_;
  int followers_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<StoredJob> queue_ ABSL_GUARDED_BY(mu_);
  // Queued jobs found at Recover: they may have reached their agent already.
  std::set<std::string> recovered_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Follower> followed_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> running_per_agent_ ABSL_GUARDED_BY(mu_);
  DispatcherStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dbdump
