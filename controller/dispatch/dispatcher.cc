#include "controller/dispatch/dispatcher.h"

#include <algorithm>
#include <optional>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/base/job_state.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace {

JobFollowerOptions FollowerOptionsOf(const DispatcherOptions& o) {
  JobFollowerOptions f;
  f.reattach_for = o.reattach_for;
  f.progress_store_interval = o.progress_store_interval;
  return f;
}

FollowerParts FollowerPartsOf(const DispatcherParts& d, Clock* clock, FollowerHost* host) {
  FollowerParts f;
  f.store = d.store;
  f.agents = d.agents;
  f.updates = d.updates;
  f.outcome = d.outcome;
  f.clock = clock;
  f.host = host;
  return f;
}

}  // namespace

Dispatcher::Dispatcher(DispatcherParts parts, DispatcherOptions options)
    : store_(parts.store),
      agents_(parts.agents),
      updates_(parts.updates),
      outcome_(parts.outcome),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : DefaultClock()),
      factory_(store_, clock_),
      follower_(FollowerPartsOf(parts, clock_, this), FollowerOptionsOf(options_)),
      started_(clock_->Now()) {}

Dispatcher::~Dispatcher() { Shutdown(); }

bool Dispatcher::IsOnline(const v1::Agent& agent, absl::Time now) const {
  // A revoked agent can no longer be called: no job goes to it.
  if (agent.revoked()) return false;
  absl::Time last = TimeFromString(agent.last_heartbeat());
  return now - last <= options_.heartbeat_interval * 3;
}

bool Dispatcher::SilentSinceStart(const v1::Agent& agent, absl::Time now) const {
  // Agents cannot heartbeat a controller that is down: silence counts only
  // from when this controller started.
  absl::Time last = std::max(TimeFromString(agent.last_heartbeat()), started_);
  return now - last > options_.heartbeat_interval * 3;
}

absl::StatusOr<v1::Agent> Dispatcher::OnlineAgent(const std::string& name, absl::Time deadline) {
  // Right after a controller (re)start its agents are reconnecting: one
  // heartbeats every heartbeat_interval (5 s by default), and could not
  // while the controller was down. So for the first 3 intervals after this
  // dispatcher started (the grace SilentSinceStart gives running jobs) a
  // silent agent is waited for, polling the store, rather than refused:
  // a restore issued just after a restart is accepted once its agent is
  // back. After the grace, or past the caller's deadline, it is refused.
  const absl::Time grace_end = std::min(started_ + options_.heartbeat_interval * 3, deadline);
  while (true) {
    ASSIGN_OR_RETURN(v1::Agent agent, store_->GetAgent(name));
    if (IsOnline(agent, Now())) return agent;
    if (agent.revoked() || Now() >= grace_end || shutdown_.HasBeenNotified()) {
      return absl::UnavailableError(absl::StrCat(
          "agent \"", name, "\" is offline (last heartbeat ",
          agent.last_heartbeat().empty() ? "never" : agent.last_heartbeat(),
          "): start dbdump-agent on its host"));
    }
    // On the wall clock; the bounds above are on the dispatcher's clock.
    shutdown_.WaitForNotificationWithTimeout(absl::Milliseconds(100));
  }
}

absl::StatusOr<StoredJob> Dispatcher::PrepareBackup(const BackupSettings& s) {
  return factory_.PrepareBackup(s);
}

absl::StatusOr<v1::Job> Dispatcher::StartBackup(const v1::StartBackupRequest& req,
                                                absl::Time deadline) {
  RETURN_IF_ERROR(ValidateResourceName("database name", req.database()));
  ASSIGN_OR_RETURN(v1::Database db, store_->GetDatabase(req.database()));
  RETURN_IF_ERROR(OnlineAgent(db.target().agent(), deadline).status());
  BackupSettings settings;
  settings.database = req.database();
  settings.compression = req.compression();
  settings.compression_level = req.compression_level();
  ASSIGN_OR_RETURN(StoredJob job, PrepareBackup(settings));
  RETURN_IF_ERROR(store_->CreateJob(job.job, job.request));
  LogInfo("controller", "backup job ", job.job.id(), " of ", job.job.database(), " queued for ",
          job.job.agent());
  v1::Job out = job.job;
  Enqueue(std::move(job));
  return out;
}

absl::StatusOr<v1::Job> Dispatcher::StartRestore(const v1::StartRestoreRequest& req,
                                                 absl::Time deadline) {
  ASSIGN_OR_RETURN(StoredJob sj, factory_.PrepareRestore(req));
  RETURN_IF_ERROR(OnlineAgent(sj.job.agent(), deadline).status());
  RETURN_IF_ERROR(store_->CreateJob(sj.job, sj.request));
  LogInfo("controller", "restore job ", sj.job.id(), " of backup ", sj.job.backup_id(),
          " queued for ", sj.job.agent());
  v1::Job out = sj.job;
  Enqueue(std::move(sj));
  return out;
}

absl::StatusOr<v1::Job> Dispatcher::StartCopy(const v1::CopyBackupRequest& req,
                                              absl::Time deadline) {
  ASSIGN_OR_RETURN(StoredJob sj, factory_.PrepareRequestedCopy(req));
  RETURN_IF_ERROR(OnlineAgent(sj.job.agent(), deadline).status());
  RETURN_IF_ERROR(store_->CreateJob(sj.job, sj.request));
  LogInfo("controller", "copy job ", sj.job.id(), " of backup ", sj.job.backup_id(), " to ",
          sj.job.copy_storage(), " queued for ", sj.job.agent(), " on request");
  v1::Job out = sj.job;
  Enqueue(std::move(sj));
  return out;
}

void Dispatcher::Enqueue(StoredJob job, bool launch) {
  {
    absl::MutexLock l(&mu_);
    queue_.push_back(std::move(job));
  }
  if (launch) Launch();
}

void Dispatcher::Launch() {
  std::vector<StoredJob> start;
  absl::Time now = Now();
  {
    absl::MutexLock l(&mu_);
    if (shutdown_.HasBeenNotified()) return;
    for (auto it = queue_.begin(); it != queue_.end();) {
      if (options_.max_running_jobs > 0 &&
          static_cast<int>(followed_.size()) >= options_.max_running_jobs) {
        break;
      }
      if (!it->job.not_before().empty() && TimeFromString(it->job.not_before()) > now) {
        ++it;
        continue;
      }
      int& on_agent = running_per_agent_[it->job.agent()];
      if (options_.max_running_jobs_per_agent > 0 &&
          on_agent >= options_.max_running_jobs_per_agent) {
        ++it;
        continue;
      }
      ++on_agent;
      followed_[it->job.id()] = Follower{it->job.agent(), nullptr, ""};
      stats_.peak_running = std::max(stats_.peak_running, static_cast<int>(followed_.size()));
      stats_.peak_running_per_agent = std::max(stats_.peak_running_per_agent, on_agent);
      ++stats_.started_total;
      start.push_back(std::move(*it));
      it = queue_.erase(it);
    }
  }
  for (StoredJob& j : start) {
    // A job recovered as QUEUED may already have reached its agent; Run* is
    // idempotent per job id there, so sending it again is safe.
    bool recovered;
    {
      absl::MutexLock l(&mu_);
      recovered = recovered_.erase(j.job.id()) > 0;
    }
    Spawn(std::move(j.job), std::move(j.request), recovered);
  }
}

absl::Status Dispatcher::Recover() {
  ASSIGN_OR_RETURN(std::vector<StoredJob> active, store_->ActiveJobs());
  std::vector<StoredJob> running;
  {
    absl::MutexLock l(&mu_);
    for (StoredJob& j : active) {
      if (j.job.state() == v1::JOB_STATE_RUNNING) {
        LogInfo("controller", "re-attaching to job ", j.job.id(), " (JOB_STATE_RUNNING)");
        // Already running at the agent: follow it whatever the limits say.
        ++running_per_agent_[j.job.agent()];
        followed_[j.job.id()] = Follower{j.job.agent(), nullptr, ""};
        running.push_back(std::move(j));
      } else {
        LogInfo("controller", "re-queueing job ", j.job.id(),
                " (JOB_STATE_QUEUED; it is sent again, the agent runs a job id once)");
        recovered_.insert(j.job.id());
        queue_.push_back(std::move(j));
      }
    }
  }
  for (StoredJob& j : running) Spawn(std::move(j.job), std::move(j.request), /*reattach=*/true);
  Launch();
  return absl::OkStatus();
}

void Dispatcher::Spawn(v1::Job job, std::string request, bool reattach) {
  {
    absl::MutexLock l(&mu_);
    ++followers_;
  }
  std::thread([this, job = std::move(job), request = std::move(request), reattach] {
    if (!shutdown_.HasBeenNotified()) follower_.Follow(job, request, reattach);
    bool ended = !shutdown_.HasBeenNotified();
    {
      absl::MutexLock l(&mu_);
      followed_.erase(job.id());
      --running_per_agent_[job.agent()];
      ending_.insert(job.id());
    }
    if (ended) {
      outcome_->Settle(job, [this](StoredJob retry) {
        absl::MutexLock l(&mu_);
        queue_.push_back(std::move(retry));
      });
      Launch();
    }
    absl::MutexLock l(&mu_);
    ending_.erase(job.id());
    --followers_;
  }).detach();
}

bool Dispatcher::SetCall(const std::string& job_id, JobEventStream* stream) {
  absl::MutexLock l(&mu_);
  auto it = followed_.find(job_id);
  if (it == followed_.end()) return false;
  if (stream != nullptr && (shutdown_.HasBeenNotified() || !it->second.offline_reason.empty())) {
    return false;
  }
  it->second.stream = stream;
  return true;
}

bool Dispatcher::ShuttingDown() { return shutdown_.HasBeenNotified(); }

void Dispatcher::Sleep(absl::Duration d) { shutdown_.WaitForNotificationWithTimeout(d); }

std::string Dispatcher::OfflineReason(const std::string& job_id) {
  absl::MutexLock l(&mu_);
  auto it = followed_.find(job_id);
  return it == followed_.end() ? "" : it->second.offline_reason;
}

bool Dispatcher::CancelRequested(const std::string& job_id) {
  absl::MutexLock l(&mu_);
  auto it = followed_.find(job_id);
  return it != followed_.end() && it->second.cancel;
}

absl::StatusOr<v1::Job> Dispatcher::Cancel(const std::string& job_id) {
  RETURN_IF_ERROR(ValidateId("job id", job_id));
  ASSIGN_OR_RETURN(v1::Job job, store_->GetJob(job_id));
  auto ended = [&](const v1::Job& j) {
    std::string state =
        absl::AsciiStrToLower(absl::StripPrefix(v1::JobState_Name(j.state()), "JOB_STATE_"));
    return absl::FailedPreconditionError(absl::StrCat(
        "job ", job_id, " already ended ", state,
        ": only queued or running jobs can be cancelled"));
  };
  if (IsTerminalJobState(job.state())) return ended(job);
  std::optional<StoredJob> queued;
  bool followed = false;
  {
    absl::MutexLock l(&mu_);
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
      if (it->job.id() != job_id) continue;
      queued = std::move(*it);
      queue_.erase(it);
      recovered_.erase(job_id);
      break;
    }
    if (!queued) {
      auto it = followed_.find(job_id);
      if (it != followed_.end()) {
        it->second.cancel = true;
        followed = true;
      }
    }
  }
  if (queued) {
    // Out of the queue, so never sent: it ends here.
    outcome_->CancelRequested(job_id);
    outcome_->RecordEnd(queued->job, v1::JOB_STATE_CANCELLED, "cancelled on request");
    outcome_->Settle(queued->job, [this](StoredJob retry) {
      absl::MutexLock l(&mu_);
      queue_.push_back(std::move(retry));
    });
    LogInfo("controller", "job ", job_id, " cancelled before it started");
    return store_->GetJob(job_id);
  }
  if (!followed) {
    // Stored but not yet queued (a backup or a schedule's slot being
    // started), or just ended.
    ASSIGN_OR_RETURN(job, store_->GetJob(job_id));
    if (IsTerminalJobState(job.state())) return ended(job);
    return absl::UnavailableError(absl::StrCat(
        "job ", job_id, " is being handed to its agent: cancel it again in a moment"));
  }
  outcome_->CancelRequested(job_id);
  LogInfo("controller", "cancelling job ", job_id, " at agent ", job.agent());
  ASSIGN_OR_RETURN(v1::Agent agent, store_->GetAgent(job.agent()));
  absl::Status st = agents_->For(agent)->CancelJob(job_id);
  // NotFound: the job has not reached the agent yet; its follower asks
  // again with the job's first event.
  if (!st.ok() && !absl::IsNotFound(st)) {
    if (absl::IsFailedPrecondition(st)) {  // at the agent; the follower records it soon
      return absl::FailedPreconditionError(absl::StrCat(
          "job ", job_id, " already ended at its agent: see `dbdumpctl job show ", job_id, "`"));
    }
    return absl::Status(st.code(), absl::StrCat("cannot reach agent \"", job.agent(),
                                                "\" to cancel job ", job_id, " (",
                                                st.message(),
                                                "): it is cancelled when the agent answers again"));
  }
  return store_->GetJob(job_id);
}

void Dispatcher::CheckAgents() {
  absl::StatusOr<std::vector<v1::Agent>> agents = store_->ListAgents();
  if (!agents.ok()) {
    LogWarn("controller", "cannot check agents: ", agents.status().message());
    return;
  }
  absl::Time now = Now();
  std::map<std::string, const v1::Agent*> by_name;
  for (const v1::Agent& a : *agents) by_name[a.name()] = &a;
  absl::MutexLock l(&mu_);
  for (auto& [id, f] : followed_) {
    auto it = by_name.find(f.agent);
    if (it == by_name.end() || !SilentSinceStart(*it->second, now) || !f.offline_reason.empty()) {
      continue;
    }
    f.offline_reason = absl::StrCat("agent offline: \"", f.agent,
                                    "\" stopped answering and sent no heartbeat since ",
                                    it->second->last_heartbeat(),
                                    kAskedAgain);
    if (f.stream != nullptr) f.stream->Cancel();
  }
}

bool Dispatcher::ReserveLost(const v1::Job& job) {
  absl::MutexLock l(&mu_);
  if (shutdown_.HasBeenNotified() || followed_.count(job.id()) || ending_.count(job.id())) {
    return false;
  }
  // The limits bound the followers (threads) as for any job; a lost job
  // waits for a free slot, trying again on the next call.
  int& on_agent = running_per_agent_[job.agent()];
  if ((options_.max_running_jobs > 0 &&
       static_cast<int>(followed_.size()) >= options_.max_running_jobs) ||
      (options_.max_running_jobs_per_agent > 0 &&
       on_agent >= options_.max_running_jobs_per_agent)) {
    return false;
  }
  ++on_agent;
  followed_[job.id()] = Follower{job.agent(), nullptr, ""};
  stats_.peak_running = std::max(stats_.peak_running, static_cast<int>(followed_.size()));
  stats_.peak_running_per_agent = std::max(stats_.peak_running_per_agent, on_agent);
  return true;
}

void Dispatcher::SettleLost(const v1::Job& job, const std::string& error) {
  absl::Status st = store_->SettleLostJob(job.id(), error, job.note());
  if (!st.ok()) {
    LogWarn("controller", "job ", job.id(), ": cannot end it for good: ", st.message());
    return;
  }
  LogInfo("controller", "job ", job.id(), " stays LOST: ", error);
  absl::StatusOr<v1::Job> now = store_->GetJob(job.id());
  if (now.ok()) updates_->Publish(*now);
}

void Dispatcher::ResolveLostJobs() {
  absl::StatusOr<std::vector<StoredJob>> lost = store_->PendingLostJobs();
  if (!lost.ok()) {
    LogWarn("controller", "cannot list lost jobs: ", lost.status().message());
    return;
  }
  if (lost->empty()) return;
  absl::StatusOr<std::vector<v1::Agent>> agents = store_->ListAgents();
  if (!agents.ok()) {
    LogWarn("controller", "cannot check agents of lost jobs: ", agents.status().message());
    return;
  }
  std::map<std::string, const v1::Agent*> by_name;
  for (const v1::Agent& a : *agents) by_name[a.name()] = &a;
  absl::Time now = Now();
  for (StoredJob& j : *lost) {
    const v1::Job& job = j.job;
    // Why contact was lost, without the promise to ask again.
    const absl::string_view why = absl::StripSuffix(job.error(), kAskedAgain);
    if (now - TimeFromString(job.lost_at()) > kLostOutcomeKeep) {
      SettleLost(job, absl::StrCat(why, "; agent \"", job.agent(),
                                   "\" did not answer within 7 days (how long agents keep job "
                                   "outcomes): the outcome stays unknown"));
      continue;
    }
    auto agent = by_name.find(job.agent());
    if (agent == by_name.end() || agent->second->revoked()) {
      SettleLost(job, absl::StrCat(why, "; agent \"", job.agent(), "\" ",
                                   agent == by_name.end() ? "is no longer registered"
                                                          : "was revoked",
                                   ": the outcome stays unknown"));
      continue;
    }
    if (!IsOnline(*agent->second, now) || !ReserveLost(job)) continue;
    std::string note = absl::StrCat("contact with agent \"", job.agent(), "\" was lost at ",
                                    job.lost_at(), "; following the job again since ",
                                    TimeToString(now));
    absl::Status st = store_->ReopenLostJob(job.id(), note);
    if (!st.ok()) {
      bool first;
      {
        absl::MutexLock l(&mu_);
        followed_.erase(job.id());
        --running_per_agent_[job.agent()];
        first = reopen_blocked_.insert(job.id()).second;
      }
      // AlreadyExists: another backup of the database (e.g. the retry of
      // a scheduled one) is queued or running; the store allows one. The
      // outcome stays pending and is asked for once that one ended.
      if (first) {
        LogInfo("controller", "job ", job.id(), ": outcome still pending, not followed again yet: ",
                st.message());
      }
      continue;
    }
    {
      absl::MutexLock l(&mu_);
      reopen_blocked_.erase(job.id());
    }
    LogInfo("controller", "job ", job.id(), ": agent ", job.agent(),
            " is back; asking it for the outcome of the job lost at ", job.lost_at());
    // The record as ReopenLostJob left it.
    v1::Job reopened = job;
    reopened.set_state(v1::JOB_STATE_RUNNING);
    reopened.set_outcome_pending(false);
    reopened.clear_error();
    reopened.clear_finished_at();
    reopened.set_note(note);
    updates_->Publish(reopened);
    Spawn(std::move(reopened), std::move(j.request), /*reattach=*/true);
  }
}

DispatcherStats Dispatcher::stats() {
  absl::MutexLock l(&mu_);
  DispatcherStats s = stats_;
  s.queued = static_cast<int>(queue_.size());
  s.running = static_cast<int>(followed_.size());
  s.settling = static_cast<int>(ending_.size());
  return s;
}

std::map<std::string, int> Dispatcher::RunningPerAgent() {
  absl::MutexLock l(&mu_);
  return running_per_agent_;
}

std::map<std::string, int> Dispatcher::QueuedPerAgent() {
  absl::MutexLock l(&mu_);
  std::map<std::string, int> out;
  for (const StoredJob& j : queue_) ++out[j.job.agent()];
  return out;
}

void Dispatcher::Shutdown() {
  absl::MutexLock l(&mu_);
  if (!shutdown_.HasBeenNotified()) shutdown_.Notify();
  for (auto& [id, f] : followed_) {
    if (f.stream != nullptr) f.stream->Cancel();
  }
  // Jobs go on at the agents; a restarted controller re-attaches to them.
  mu_.Await(absl::Condition(+[](int* n) { return *n == 0; }, &followers_));
}

}  // namespace dbdump
