#include "controller/dispatch/dispatcher.h"

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/base/job_state.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace {

// Status codes with which an agent refuses a job outright.
bool IsRefusal(absl::StatusCode c) {
  return c == absl::StatusCode::kInvalidArgument || c == absl::StatusCode::kFailedPrecondition ||
         c == absl::StatusCode::kPermissionDenied || c == absl::StatusCode::kUnimplemented;
}

}  // namespace

struct Dispatcher::Following {
  // The job's record as last published.
  v1::Job job;
  absl::Time progress_stored_at = absl::InfinitePast();
  // The agent numbers a job's events across all its streams, so an event
  // this follower applied already (sent again after a re-attach) is not
  // applied twice.
  uint64_t last_sequence = 0;
};

Dispatcher::Dispatcher(DispatcherParts parts, DispatcherOptions options)
    : store_(parts.store),
      agents_(parts.agents),
      updates_(parts.updates),
      outcome_(parts.outcome),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : DefaultClock()),
      factory_(store_, clock_),
      started_(clock_->Now()) {}

Dispatcher::~Dispatcher() { Shutdown(); }

bool Dispatcher::IsOnline(const v1::Agent& agent, absl::Time now) const {
  absl::Time last = TimeFromString(agent.last_heartbeat());
  return now - last <= options_.heartbeat_interval * 3;
}

bool Dispatcher::SilentSinceStart(const v1::Agent& agent, absl::Time now) const {
  // Agents cannot heartbeat a controller that is down: silence counts only
  // from when this controller started.
  absl::Time last = std::max(TimeFromString(agent.last_heartbeat()), started_);
  return now - last > options_.heartbeat_interval * 3;
}

absl::StatusOr<v1::Agent> Dispatcher::OnlineAgent(const std::string& name) {
  ASSIGN_OR_RETURN(v1::Agent agent, store_->GetAgent(name));
  if (!IsOnline(agent, Now())) {
    return absl::UnavailableError(absl::StrCat(
        "agent \"", name, "\" is offline (last heartbeat ",
        agent.last_heartbeat().empty() ? "never" : agent.last_heartbeat(),
        "): start dbdump-agent on its host"));
  }
  return agent;
}

absl::StatusOr<StoredJob> Dispatcher::PrepareBackup(const BackupSettings& s) {
  return factory_.PrepareBackup(s);
}

absl::StatusOr<v1::Job> Dispatcher::StartBackup(const v1::StartBackupRequest& req) {
  RETURN_IF_ERROR(ValidateResourceName("database name", req.database()));
  ASSIGN_OR_RETURN(v1::Database db, store_->GetDatabase(req.database()));
  RETURN_IF_ERROR(OnlineAgent(db.target().agent()).status());
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

absl::StatusOr<v1::Job> Dispatcher::StartRestore(const v1::StartRestoreRequest& req) {
  ASSIGN_OR_RETURN(StoredJob sj, factory_.PrepareRestore(req));
  RETURN_IF_ERROR(OnlineAgent(sj.job.agent()).status());
  RETURN_IF_ERROR(store_->CreateJob(sj.job, sj.request));
  LogInfo("controller", "restore job ", sj.job.id(), " of backup ", sj.job.backup_id(),
          " queued for ", sj.job.agent());
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
    if (!shutdown_.HasBeenNotified()) Follow(job, request, reattach);
    bool ended = !shutdown_.HasBeenNotified();
    {
      absl::MutexLock l(&mu_);
      followed_.erase(job.id());
      --running_per_agent_[job.agent()];
    }
    if (ended) {
      outcome_->Settle(job, [this](StoredJob retry) {
        absl::MutexLock l(&mu_);
        queue_.push_back(std::move(retry));
      });
      Launch();
    }
    absl::MutexLock l(&mu_);
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

std::string Dispatcher::OfflineReason(const std::string& job_id) {
  absl::MutexLock l(&mu_);
  auto it = followed_.find(job_id);
  return it == followed_.end() ? "" : it->second.offline_reason;
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
                                    "; the job's outcome at the agent is unknown");
    if (f.stream != nullptr) f.stream->Cancel();
  }
}

bool Dispatcher::Apply(Following* f, const v1::JobEvent& e) {
  const std::string& id = f->job.id();
  if (e.sequence() != 0) {
    if (e.sequence() <= f->last_sequence) return false;
    f->last_sequence = e.sequence();
  }
  if (e.state() == v1::JOB_STATE_RUNNING) {
    absl::Time now = Now();
    if (f->job.state() != v1::JOB_STATE_RUNNING) {
      absl::Status st = store_->TransitionJob(id, v1::JOB_STATE_RUNNING, "", now);
      if (!st.ok()) LogWarn("controller", "job ", id, ": cannot record it running: ", st.message());
      absl::StatusOr<v1::Job> running = store_->GetJob(id);
      if (running.ok()) f->job = *running;
      f->job.set_state(v1::JOB_STATE_RUNNING);
    }
    *f->job.mutable_progress() = e.progress();
    // Followers hear of every event at once; the store keeps up once a
    // second (it is the record, not the message bus).
    updates_->Publish(f->job);
    if (now - f->progress_stored_at >= options_.progress_store_interval) {
      absl::Status st = store_->UpdateProgress(id, e.progress());
      if (!st.ok()) LogWarn("controller", "job ", id, ": cannot record progress: ", st.message());
      f->progress_stored_at = now;
    }
    return false;
  }
  if (!IsTerminalJobState(e.state())) return false;
  outcome_->Record(f->job, e);
  return true;
}

std::unique_ptr<JobEventStream> Dispatcher::Call(AgentClient* agent, const v1::Job& job,
                                                 const std::string& request, bool watch,
                                                 absl::Time deadline) {
  if (watch) return agent->WatchJob(job.id(), deadline);
  if (job.kind() == v1::JOB_KIND_BACKUP) {
    v1::BackupJob bj;
    bj.ParseFromString(request);
    return agent->RunBackup(bj, deadline);
  }
  v1::RestoreJob rj;
  rj.ParseFromString(request);
  return agent->RunRestore(rj, deadline);
}

void Dispatcher::Follow(const v1::Job& job, const std::string& request, bool reattach) {
  absl::StatusOr<v1::Agent> agent = store_->GetAgent(job.agent());
  if (!agent.ok()) {
    outcome_->RecordEnd(job, v1::JOB_STATE_LOST,
                        absl::StrCat("agent \"", job.agent(), "\" is no longer registered"));
    return;
  }
  if (!reattach && job.state() == v1::JOB_STATE_QUEUED && SilentSinceStart(*agent, Now())) {
    outcome_->RecordEnd(
        job, v1::JOB_STATE_FAILED,
        absl::StrCat("agent offline: \"", job.agent(), "\" sent no heartbeat since ",
                     agent->last_heartbeat().empty() ? "it registered" : agent->last_heartbeat(),
                     "; start dbdump-agent on its host"));
    return;
  }
  std::shared_ptr<AgentClient> client = agents_->For(*agent);
  Following f{job};
  bool use_watch = reattach && job.state() != v1::JOB_STATE_QUEUED;
  bool any_event = false;
  absl::Time give_up_at = Now() + options_.reattach_for;
  // The timeout counts from when the job started, also across a restart.
  absl::Time deadline = absl::InfiniteFuture();
  if (job.timeout_s() > 0) {
    absl::Time started = job.started_at().empty() ? Now() : TimeFromString(job.started_at());
    deadline = started + absl::Seconds(job.timeout_s());
  }
  absl::Duration backoff = absl::Milliseconds(250);
  std::string last_error;
  while (true) {
    std::unique_ptr<JobEventStream> stream = Call(client.get(), job, request, use_watch, deadline);
    if (!SetCall(job.id(), stream.get())) {
      stream->Cancel();
      break;
    }
    v1::JobEvent e;
    while (stream->Next(&e)) {
      any_event = true;
      give_up_at = Now() + options_.reattach_for;
      backoff = absl::Milliseconds(250);
      if (Apply(&f, e)) {
        SetCall(job.id(), nullptr);
        stream->Cancel();
        return;
      }
    }
    SetCall(job.id(), nullptr);
    absl::Status st = stream->Finish();
    if (shutdown_.HasBeenNotified()) return;  // the next controller re-attaches
    if (std::string offline = OfflineReason(job.id()); !offline.empty()) {
      outcome_->RecordEnd(job, v1::JOB_STATE_LOST, offline);
      return;
    }
    if (Now() >= deadline || absl::IsDeadlineExceeded(st)) {
      absl::Status cancelled = client->CancelJob(job.id());
      outcome_->RecordEnd(
          job, v1::JOB_STATE_FAILED,
          absl::StrCat("timed out after ", job.timeout_s(), "s; ",
                       cancelled.ok() ? "cancelled at the agent"
                                      : absl::StrCat("cancelling at the agent failed: ",
                                                     cancelled.message())));
      return;
    }
    last_error = std::string(st.message());
    if (!use_watch && !any_event && IsRefusal(st.code())) {
      outcome_->RecordEnd(job, v1::JOB_STATE_FAILED, last_error);
      return;
    }
    if (use_watch && absl::IsNotFound(st)) {
      bool known = any_event || reattach;
      outcome_->RecordEnd(
          job, known ? v1::JOB_STATE_LOST : v1::JOB_STATE_FAILED,
          known ? absl::StrCat("agent \"", job.agent(), "\" has no record of the job (it restarted "
                               "before the job ended); run the job again")
                : absl::StrCat("agent \"", job.agent(), "\" at ", agent->address(),
                               " did not accept the job: ", last_error));
      return;
    }
    if (Now() > give_up_at) {
      bool never_started = !any_event && !reattach;
      outcome_->RecordEnd(
          job, never_started ? v1::JOB_STATE_FAILED : v1::JOB_STATE_LOST,
          absl::StrCat("agent \"", job.agent(), "\" at ", agent->address(),
                       never_started ? " is unreachable: " : " stopped answering: ", last_error));
      return;
    }
    shutdown_.WaitForNotificationWithTimeout(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(5));
    // Once the agent has the job, follow it with WatchJob. Until then send
    // Run* again: the agent runs a job id at most once, and a channel still
    // backing off from an agent restart fails the first call at once.
    use_watch = use_watch || any_event;
  }
  // Stopped before the job ended: shutdown (the next controller re-attaches)
  // or the agent went offline.
  if (std::string offline = OfflineReason(job.id()); !offline.empty() && !shutdown_.HasBeenNotified()) {
    outcome_->RecordEnd(job, v1::JOB_STATE_LOST, offline);
  }
}

DispatcherStats Dispatcher::stats() {
  absl::MutexLock l(&mu_);
  DispatcherStats s = stats_;
  s.queued = static_cast<int>(queue_.size());
  s.running = static_cast<int>(followed_.size());
  return s;
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
