// Dispatcher: a persistent job queue in front of the agents. Jobs are
// stored QUEUED first; the dispatcher starts them in order as the
// concurrency limits allow and follows each to a terminal state, which
// JobOutcome applies.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/base/clock.h"
#include "controller/agents/agent_client.h"
#include "controller/dispatch/job_factory.h"
#include "controller/dispatch/job_follower.h"
#include "controller/dispatch/job_outcome.h"
#include "controller/dispatch/job_updates.h"
#include "controller/store/store.h"

namespace dbdump {

// How long agents keep a job's outcome in their journal
// (agent/job_registry.cc): a job lost longer ago can no longer be learned.
inline constexpr absl::Duration kLostOutcomeKeep = absl::Hours(24 * 7);

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
  // The progress of a running job is written to the store at most this
  // often; every event is published to JobUpdates at once.
  absl::Duration progress_store_interval = absl::Seconds(1);
  // Not owned; the wall clock when null.
  Clock* clock = nullptr;
};

// What the dispatcher works with. Not owned; all required.
struct DispatcherParts {
  Store* store = nullptr;
  AgentClients* agents = nullptr;
  JobUpdates* updates = nullptr;
  JobOutcome* outcome = nullptr;
};

// Counters of the queue, for health and tests.
struct DispatcherStats {
  int queued = 0;
  int running = 0;
  // Jobs whose follower returned, their end still being settled.
  int settling = 0;
  // Highest number of jobs followed at once since start, overall and on any
  // one agent.
  int peak_running = 0;
  int peak_running_per_agent = 0;
  int64_t started_total = 0;
};

// Every started job gets a thread that follows it (JobFollower); the
// dispatcher keeps the calls they are blocked on, so CheckAgents can end
// the jobs of an agent that stopped heartbeating (LOST, "agent offline"; a
// queued job whose agent is offline ends FAILED: it never ran) and
// Shutdown can stop them all. Thread-safe.
class Dispatcher final : private FollowerHost {
 public:
  Dispatcher(DispatcherParts parts, DispatcherOptions options);
  ~Dispatcher() override;

  // Manual backup and restore: refused when the agent is offline. Right
  // after this dispatcher started the agent may only be reconnecting: then
  // they wait for its heartbeat (see OnlineAgent), until `deadline` at most
  // (the caller's, on this dispatcher's clock).
  absl::StatusOr<dbdump::v1::Job> StartBackup(const dbdump::v1::StartBackupRequest& req,
                                              absl::Time deadline = absl::InfiniteFuture());
  absl::StatusOr<dbdump::v1::Job> StartRestore(const dbdump::v1::StartRestoreRequest& req,
                                               absl::Time deadline = absl::InfiniteFuture());
  absl::StatusOr<dbdump::v1::Job> StartCopy(const dbdump::v1::CopyBackupRequest& req,
                                            absl::Time deadline = absl::InfiniteFuture());
  // Builds (validates, does not store) the job for a backup.
  absl::StatusOr<StoredJob> PrepareBackup(const BackupSettings& settings);
  // Queues a job already stored QUEUED and, unless told not to, starts what
  // the limits allow.
  void Enqueue(StoredJob job, bool launch = true);
  // Starts queued jobs as the limits allow; retries whose time has come.
  void Launch();
  // Cancels a job. A queued one ends CANCELLED at once, without reaching
  // its agent; a running one is cancelled at its agent, which stops it,
  // removes what it wrote and ends it CANCELLED (the follower records
  // that). Returns the job as it is now. FailedPrecondition for a job that
  // already ended.
  absl::StatusOr<dbdump::v1::Job> Cancel(const std::string& job_id);
  // Ends the jobs of agents that stopped heartbeating.
  void CheckAgents();
  // Learns the outcomes of LOST jobs whose outcome is pending: once the
  // job's agent is online again the job is reopened (RUNNING) and followed
  // with WatchJob to its end, as the concurrency limits allow; one that
  // cannot be reopened yet (another backup of its database is queued or
  // running) is tried again on a later call. Jobs lost longer than the
  // agents keep outcomes (kLostOutcomeKeep), or whose agent is no longer
  // registered or was revoked, become final. Called with CheckAgents, every tick.
  void ResolveLostJobs();
  // After a restart: re-attach to every RUNNING job, queue the QUEUED ones.
  absl::Status Recover();
  // Whether an agent heartbeated recently enough.
  bool IsOnline(const dbdump::v1::Agent& agent, absl::Time now) const;
  DispatcherStats stats();
  // Jobs followed now on each agent that runs any (metrics).
  std::map<std::string, int> RunningPerAgent();
  // Jobs waiting in the queue, by the agent they will run on.
  std::map<std::string, int> QueuedPerAgent();
  // Stops following (the jobs go on at the agents) and joins the threads.
  void Shutdown();

 private:
  struct Follower {
    std::string agent;
    // The call the follower is blocked on; null between calls.
    JobEventStream* stream = nullptr;
    // Set by CheckAgents: the follower ends the job as agent offline.
    std::string offline_reason;
    // Set by Cancel: the follower asks the agent to cancel until it has.
    bool cancel = false;
  };
  absl::Time Now() const { return clock_->Now(); }
  // FollowerHost. Offline as far as failing its jobs goes: silence counts
  // from when this dispatcher started.
  bool SilentSinceStart(const dbdump::v1::Agent& agent, absl::Time now) const override;
  bool SetCall(const std::string& job_id, JobEventStream* stream) override;
  std::string OfflineReason(const std::string& job_id) override;
  bool CancelRequested(const std::string& job_id) override;
  bool ShuttingDown() override;
  void Sleep(absl::Duration d) override;

  // Online agent of a database target, or a clear error; waits within the
  // grace after start (see the definition).
  absl::StatusOr<dbdump::v1::Agent> OnlineAgent(const std::string& name, absl::Time deadline);
  // Takes a running slot for a lost job being followed again; false when
  // the limits (or a follower of it still ending) say not now.
  bool ReserveLost(const dbdump::v1::Job& job);
  // Ends a pending LOST job for good and publishes it.
  void SettleLost(const dbdump::v1::Job& job, const std::string& error);
  void Spawn(dbdump::v1::Job job, std::string request, bool reattach);

  Store* store_;
  AgentClients* agents_;
  JobUpdates* updates_;
  JobOutcome* outcome_;
  const DispatcherOptions options_;
  Clock* clock_;
  JobFactory factory_;
  JobFollower follower_;
  const absl::Time started_;
  absl::Notification shutdown_;
  absl::Mutex mu_;
  int followers_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<StoredJob> queue_ ABSL_GUARDED_BY(mu_);
  // Queued jobs found at Recover: they may have reached their agent already.
  std::set<std::string> recovered_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Follower> followed_ ABSL_GUARDED_BY(mu_);
  // Jobs whose follower returned and whose end is being settled: not
  // reopened until that is done.
  std::set<std::string> ending_ ABSL_GUARDED_BY(mu_);
  // Lost jobs whose reopening was refused, so it is logged once.
  std::set<std::string> reopen_blocked_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> running_per_agent_ ABSL_GUARDED_BY(mu_);
  DispatcherStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dbdump
