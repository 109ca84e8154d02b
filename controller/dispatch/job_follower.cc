#include "controller/dispatch/job_follower.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/base/job_state.h"
#include "common/base/log.h"
#include "common/base/names.h"

namespace dbdump {
namespace {

// Status codes with which an agent refuses a job outright.
bool IsRefusal(absl::StatusCode c) {
  return c == absl::StatusCode::kInvalidArgument || c == absl::StatusCode::kFailedPrecondition ||
         c == absl::StatusCode::kPermissionDenied || c == absl::StatusCode::kUnimplemented;
}

}  // namespace

struct JobFollower::Following {
  // The job's record as last published.
  v1::Job job;
  absl::Time progress_stored_at = absl::InfinitePast();
  // The agent numbers a job's events across all its streams, so an event
  // this follower applied already (sent again after a re-attach) is not
  // applied twice.
  uint64_t last_sequence = 0;
  // The agent has reported the job running (now or before this follower).
  bool ran = false;
};

JobFollower::JobFollower(FollowerParts parts, JobFollowerOptions options)
    : parts_(parts), options_(options) {}

bool JobFollower::Apply(Following* f, const v1::JobEvent& e) {
  const std::string& id = f->job.id();
  if (e.sequence() != 0) {
    if (e.sequence() <= f->last_sequence) return false;
    f->last_sequence = e.sequence();
  }
  if (e.state() == v1::JOB_STATE_RUNNING) {
    f->ran = true;
    absl::Time now = Now();
    if (f->job.state() != v1::JOB_STATE_RUNNING) {
      absl::Status st = parts_.store->TransitionJob(id, v1::JOB_STATE_RUNNING, "", now);
      if (!st.ok()) LogWarn("controller", "job ", id, ": cannot record it running: ", st.message());
      absl::StatusOr<v1::Job> running = parts_.store->GetJob(id);
      if (running.ok()) f->job = *running;
      f->job.set_state(v1::JOB_STATE_RUNNING);
    }
    *f->job.mutable_progress() = e.progress();
    // Followers hear of every event at once; the store keeps up once a
    // second (it is the record, not the message bus).
    parts_.updates->Publish(f->job);
    if (now - f->progress_stored_at >= options_.progress_store_interval) {
      absl::Status st = parts_.store->UpdateProgress(id, e.progress());
      if (!st.ok()) LogWarn("controller", "job ", id, ": cannot record progress: ", st.message());
      f->progress_stored_at = now;
    }
    return false;
  }
  if (!IsTerminalJobState(e.state())) return false;
  parts_.outcome->Record(f->job, e);
  return true;
}

std::unique_ptr<JobEventStream> JobFollower::Call(AgentClient* agent, const v1::Job& job,
                                                 const std::string& request, bool watch,
                                                 absl::Time deadline) {
  if (watch) return agent->WatchJob(job.id(), deadline);
  if (job.kind() == v1::JOB_KIND_BACKUP) {
    v1::BackupJob bj;
    bj.ParseFromString(request);
    return agent->RunBackup(bj, deadline);
  }
  if (job.kind() == v1::JOB_KIND_COPY) {
    v1::CopyJob cj;
    cj.ParseFromString(request);
    return agent->RunCopy(cj, deadline);
  }
  v1::RestoreJob rj;
  rj.ParseFromString(request);
  return agent->RunRestore(rj, deadline);
}

void JobFollower::Follow(const v1::Job& job, const std::string& request, bool reattach) {
  absl::StatusOr<v1::Agent> agent = parts_.store->GetAgent(job.agent());
  if (!agent.ok()) {
    parts_.outcome->RecordLost(
        job, absl::StrCat("agent \"", job.agent(), "\" is no longer registered"),
        /*outcome_pending=*/false);
    return;
  }
  if (!reattach && job.state() == v1::JOB_STATE_QUEUED && parts_.host->SilentSinceStart(*agent, Now())) {
    parts_.outcome->RecordEnd(
        job, v1::JOB_STATE_FAILED,
        absl::StrCat("agent offline: \"", job.agent(), "\" sent no heartbeat since ",
                     agent->last_heartbeat().empty() ? "it registered" : agent->last_heartbeat(),
                     "; start dbdump-agent on its host"));
    return;
  }
  std::shared_ptr<AgentClient> client = parts_.agents->For(*agent);
  Following f{job};
  f.ran = !job.started_at().empty();
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
  bool cancel_sent = false;
  while (true) {
    std::unique_ptr<JobEventStream> stream = Call(client.get(), job, request, use_watch, deadline);
    if (!parts_.host->SetCall(job.id(), stream.get())) {
      stream->Cancel();
      break;
    }
    v1::JobEvent e;
    while (stream->Next(&e)) {
      any_event = true;
      give_up_at = Now() + options_.reattach_for;
      backoff = absl::Milliseconds(250);
      if (Apply(&f, e)) {
        parts_.host->SetCall(job.id(), nullptr);
        stream->Cancel();
        return;
      }
      // A cancel that found the job not yet at its agent (or the agent
      // unreachable) is sent again now that the agent has it; events come
      // at least once a second while a job runs.
      if (!cancel_sent && parts_.host->CancelRequested(job.id())) {
        absl::Status cancelled = client->CancelJob(job.id());
        cancel_sent = cancelled.ok() || absl::IsFailedPrecondition(cancelled);
        if (!cancel_sent && !absl::IsNotFound(cancelled)) {
          LogWarn("controller", "job ", job.id(), ": cannot cancel it at agent ", job.agent(),
                  " yet: ", cancelled.message());
        }
      }
    }
    parts_.host->SetCall(job.id(), nullptr);
    absl::Status st = stream->Finish();
    if (parts_.host->ShuttingDown()) return;  // the next controller re-attaches
    if (std::string offline = parts_.host->OfflineReason(job.id()); !offline.empty()) {
      parts_.outcome->RecordLost(job, offline, /*outcome_pending=*/true,
                                 f.ran);
      return;
    }
    if (Now() >= deadline || absl::IsDeadlineExceeded(st)) {
      absl::Status cancelled = client->CancelJob(job.id());
      parts_.outcome->RecordEnd(
          job, v1::JOB_STATE_FAILED,
          absl::StrCat("timed out after ", job.timeout_s(), "s; ",
                       cancelled.ok() ? "cancelled at the agent"
                                      : absl::StrCat("cancelling at the agent failed: ",
                                                     cancelled.message())));
      return;
    }
    last_error = std::string(st.message());
    if (!use_watch && !any_event && IsRefusal(st.code())) {
      parts_.outcome->RecordEnd(job, v1::JOB_STATE_FAILED, last_error);
      return;
    }
    if (use_watch && absl::IsNotFound(st)) {
      // The agent journals every job's end for days (and, after a crash, the
      // end of every job it had begun): one it has no record of never ran
      // there, or its work directory is gone. That is final.
      if (!any_event && !job.lost_at().empty() && job.started_at().empty()) {
        // Contact was lost before the agent reported the job running.
        parts_.outcome->RecordEnd(
            job, v1::JOB_STATE_FAILED,
            absl::StrCat("agent \"", job.agent(), "\" stopped answering before the job reached "
                         "it, and has no record of it: the job never ran; run it again"));
      } else if (any_event || reattach) {
        parts_.outcome->RecordLost(
            job,
            absl::StrCat("agent \"", job.agent(), "\" has no record of the job (it never got "
                         "it, or lost its work directory); run the job again"),
            /*outcome_pending=*/false);
      } else {
        parts_.outcome->RecordEnd(job, v1::JOB_STATE_FAILED,
                                  absl::StrCat("agent \"", job.agent(), "\" at ", agent->address(),
                                               " did not accept the job: ", last_error));
      }
      return;
    }
    if (Now() > give_up_at) {
      if (!any_event && !reattach) {
        parts_.outcome->RecordEnd(job, v1::JOB_STATE_FAILED,
                                  absl::StrCat("agent \"", job.agent(), "\" at ", agent->address(),
                                               " is unreachable: ", last_error));
      } else {
        // UNAVAILABLE included (an agent still working out the outcome of
        // a job it was running when it restarted): asked again later.
        parts_.outcome->RecordLost(
            job,
            absl::StrCat("agent \"", job.agent(), "\" at ", agent->address(),
                         " stopped answering: ", last_error, kAskedAgain),
            /*outcome_pending=*/true, f.ran);
      }
      return;
    }
    parts_.host->Sleep(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(5));
    // Once the agent has the job, follow it with WatchJob. Until then send
    // Run* again: the agent runs a job id at most once, and a channel still
    // backing off from an agent restart fails the first call at once.
    use_watch = use_watch || any_event;
  }
  // Stopped before the job ended: shutdown (the next controller re-attaches)
  // or the agent went offline.
  if (std::string offline = parts_.host->OfflineReason(job.id()); !offline.empty() && !parts_.host->ShuttingDown()) {
    parts_.outcome->RecordLost(job, offline, /*outcome_pending=*/true,
                               f.ran);
  }
}

}  // namespace dbdump
