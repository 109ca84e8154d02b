// JobFollower: follows one job at its agent to its end.
#pragma once

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/base/clock.h"
#include "controller/agents/agent_client.h"
#include "controller/dispatch/job_outcome.h"
#include "controller/dispatch/job_updates.h"
#include "controller/store/store.h"

namespace dbdump {

// Ends the error of a job LOST with its outcome pending.
inline constexpr absl::string_view kAskedAgain =
    "; the outcome is asked again when the agent answers";

// What a follower needs from whoever runs it (the Dispatcher): where to
// register the call it is blocked on, so it can be cancelled, and when to
// stop. Thread-safe.
class FollowerHost {
 public:
  virtual ~FollowerHost() = default;
  // Registers (or clears, with null) the call the follower of `job_id` is
  // blocked on; false when the follower must stop instead (shutdown, or
  // its agent went offline).
  virtual bool SetCall(const std::string& job_id, JobEventStream* stream) = 0;
  // Why the job's agent counts as offline; empty while it does not.
  virtual std::string OfflineReason(const std::string& job_id) = 0;
  virtual bool ShuttingDown() = 0;
  // Whether the job was asked to cancel (Dispatcher::Cancel).
  virtual bool CancelRequested(const std::string& job_id) = 0;
  // Waits `d`, less when shutting down.
  virtual void Sleep(absl::Duration d) = 0;
  // Whether the agent has been silent too long to be sent a job.
  virtual bool SilentSinceStart(const dbdump::v1::Agent& agent, absl::Time now) const = 0;
};

struct JobFollowerOptions {
  // How long a broken event stream is retried before the job is LOST (or
  // FAILED, when it never started).
  absl::Duration reattach_for = absl::Seconds(60);
  // The progress of a running job is written to the store at most this
  // often; every event is published to JobUpdates at once.
  absl::Duration progress_store_interval = absl::Seconds(1);
};

// What a follower works with. Not owned; all required.
struct FollowerParts {
  Store* store = nullptr;
  AgentClients* agents = nullptr;
  JobUpdates* updates = nullptr;
  JobOutcome* outcome = nullptr;
  Clock* clock = nullptr;
  FollowerHost* host = nullptr;
};

// Sends the job to its agent (or, once the agent has it, re-attaches with
// WatchJob), applies each event once (by its sequence number), publishes
// every change and hands the end to JobOutcome. A job never stays RUNNING
// for ever: a broken stream is retried within `reattach_for`; an agent
// that forgot the job, stopped answering or went offline ends it LOST (or
// FAILED, when it never started); past its timeout it is cancelled at the
// agent and ends FAILED. A job LOST because contact was lost keeps its
// outcome pending (the Dispatcher follows it again, reattaching, when its
// agent is back); one its agent has no record of is LOST for good. Thread-safe: Follow runs once per job, each on a
// thread of its own; the state of one job lives in that call.
class JobFollower {
 public:
  JobFollower(FollowerParts parts, JobFollowerOptions options);

  // Returns when the job ended (its end recorded) or the host said stop.
  void Follow(const dbdump::v1::Job& job, const std::string& request, bool reattach);

 private:
  struct Following;

  absl::Time Now() const { return parts_.clock->Now(); }
  // One call to the agent: the job sent (again) or watched.
  std::unique_ptr<JobEventStream> Call(AgentClient* agent, const dbdump::v1::Job& job,
                                       const std::string& request, bool watch,
                                       absl::Time deadline);
  // Applies one event; true when it was terminal.
  bool Apply(Following* f, const dbdump::v1::JobEvent& e);

  const FollowerParts parts_;
  const JobFollowerOptions options_;
};

}  // namespace dbdump
