// FakeAgentClient: an agent in this process, behind the AgentClient
// interface, scripted by tests; no gRPC. Each job runs on a thread of its
// own, "at the agent", so it goes on when the controller's stream is
// cancelled, as a real agent's job does. It counts how often each job was
// run, how many run at once (on this agent and, through a shared Tally,
// over all agents), and whether two backups of one database ever overlapped.
// FakeAgentClients hands the controller these by agent name.
#pragma once

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/base/clock.h"
#include "controller/agents/agent_client.h"

namespace dbdump {

// Counters shared by several fake agents. Thread-safe.
struct FakeAgentTally {
  absl::Mutex mu;
  int running ABSL_GUARDED_BY(mu) = 0;
  int peak ABSL_GUARDED_BY(mu) = 0;
  int finished ABSL_GUARDED_BY(mu) = 0;
  bool overlap ABSL_GUARDED_BY(mu) = false;
  std::set<std::string> active_databases ABSL_GUARDED_BY(mu);
  std::map<std::string, int> runs_per_job ABSL_GUARDED_BY(mu);

  // Wait (on the condition, not a fixed sleep) until `n` jobs run at once,
  // or until `n` jobs finished.
  bool WaitRunning(int n, absl::Duration timeout) {
    return WaitFor(&FakeAgentTally::running, n, timeout);
  }
  bool WaitFinished(int n, absl::Duration timeout) {
    return WaitFor(&FakeAgentTally::finished, n, timeout);
  }

 private:
  bool WaitFor(int FakeAgentTally::*counter, int n, absl::Duration timeout) {
    struct Arg {
      FakeAgentTally* t;
      int FakeAgentTally::*counter;
      int n;
    } arg{this, counter, n};
    absl::MutexLock l(&mu);
    return mu.AwaitWithTimeout(absl::Condition(
                                   +[](Arg* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                     return a->t->*a->counter >= a->n;
                                   },
                                   &arg),
                               timeout);
  }
};

// Thread-safe.
class FakeAgentClient final : public AgentClient {
 public:
  // kRefuse: the job is refused before it starts (FailedPrecondition), as
  // an agent refuses a job it cannot run. kHoldThenFail: held as kHold,
  // then it fails. kHoldSilently: held as kHold without reporting it
  // running first (a job the controller sent but never heard of again).
  enum class Outcome { kSucceed, kFail, kHold, kRefuse, kHoldThenFail, kHoldSilently };

  // `clock` decides when a call's deadline has passed (the controller's
  // clock: a fake one in most tests). Not owned; null = the wall clock.
  FakeAgentClient(std::string name, FakeAgentTally* tally, Clock* clock = nullptr)
      : name_(std::move(name)), tally_(tally), clock_(clock ? clock : DefaultClock()) {}
  ~FakeAgentClient() override { Stop(); }

  // Ends held jobs (as cancelled) and waits for every job thread.
  void Stop() {
    {
      absl::MutexLock l(&mu_);
      stopping_ = true;
      ++version_;
    }
    std::vector<std::thread> threads;
    {
      absl::MutexLock l(&mu_);
      threads.swap(threads_);
    }
    for (std::thread& t : threads) t.join();
  }
  const std::string& name() const { return name_; }

  // What the n-th run (1-based) of a backup of `database` does; default: succeed.
  void Script(const std::string& database, std::function<Outcome(int run)> f) {
    absl::MutexLock l(&mu_);
    script_[database] = std::move(f);
  }
  // Backups of `database` report `events` progress events (bytes_in 1, 2,
  // …) after their first RUNNING event, before they hold or end.
  void Progress(const std::string& database, int events) {
    absl::MutexLock l(&mu_);
    progress_[database] = events;
  }
  // Breaks every open stream (Unavailable), as a network blip would; the
  // jobs go on.
  void BreakStreams() {
    absl::MutexLock l(&mu_);
    for (Stream* st : streams_) st->broken_ = true;
    ++version_;
  }
  // While `st` is not OK, WatchJob answers it at once (UNAVAILABLE: an
  // agent still working out an outcome after a restart; NOT_FOUND: one
  // that has no record of the job).
  void AnswerWatch(absl::Status st) {
    absl::MutexLock l(&mu_);
    watch_answer_ = std::move(st);
  }
  // Lets held jobs end (as their script says).
  void ReleaseAll() {
    absl::MutexLock l(&mu_);
    released_ = true;
  }
  int peak() {
    absl::MutexLock l(&mu_);
    return peak_;
  }
  int runs_of_database(const std::string& db) {
    absl::MutexLock l(&mu_);
    return runs_per_db_[db];
  }
  int cancels() {
    absl::MutexLock l(&mu_);
    return static_cast<int>(cancelled_.size());
  }
  // While held, VerifyBackup calls wait (as a long read of a big backup
  // does) until released.
  void HoldVerifications(bool hold) {
    absl::MutexLock l(&mu_);
    hold_verifications_ = hold;
  }
  // Waits until a VerifyBackup call is held; false on timeout.
  bool WaitVerifying(absl::Duration timeout) {
    absl::MutexLock l(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(+[](int* n) { return *n > 0; }, &verifying_),
                                timeout);
  }
  // Backups DeleteBackup was called for, in order.
  std::vector<std::string> deleted() {
    absl::MutexLock l(&mu_);
    return deleted_;
  }
  // The same as "<storage>:<backup id>", for deletions of copies.
  std::vector<std::string> deleted_from() {
    absl::MutexLock l(&mu_);
    return deleted_from_;
  }
  std::vector<std::string> verified() {
    absl::MutexLock l(&mu_);
    return verified_;
  }

  // --- AgentClient
  absl::StatusOr<std::string> TestConnection(const v1::DatabaseTarget&) override {
    return std::string("fake 1.0");
  }
  absl::Status ProbeStorage(const v1::StorageDestination&) override { return absl::OkStatus(); }
  absl::StatusOr<v1::AgentDeleteBackupResponse> DeleteBackup(
      const v1::StoredBackupRef& ref) override {
    {
      absl::MutexLock l(&mu_);
      deleted_.push_back(ref.backup_id());
      deleted_from_.push_back(absl::StrCat(ref.storage().name(), ":", ref.backup_id()));
    }
    v1::AgentDeleteBackupResponse resp;
    resp.add_removed_keys(absl::StrCat(ref.database(), "/", ref.backup_id(), "/manifest.json"));
    return resp;
  }
  // Every backup verifies; the call is counted.
  absl::StatusOr<v1::VerifyBackupResponse> VerifyBackup(const v1::StoredBackupRef& ref) override {
    absl::MutexLock l(&mu_);
    ++verifying_;
    mu_.Await(absl::Condition(+[](bool* hold) { return !*hold; }, &hold_verifications_));
    --verifying_;
    verified_.push_back(ref.backup_id());
    v1::VerifyBackupResponse resp;
    resp.set_ok(true);
    return resp;
  }
  // What ReconcileStorage answers; the requests it got are kept.
  void ScriptReconcile(absl::StatusOr<v1::AgentReconcileStorageResponse> response) {
    absl::MutexLock l(&mu_);
    reconcile_response_ = std::move(response);
  }
  std::vector<v1::AgentReconcileStorageRequest> reconcile_requests() {
    absl::MutexLock l(&mu_);
    return reconcile_requests_;
  }
  absl::StatusOr<v1::AgentReconcileStorageResponse> ReconcileStorage(
      const v1::AgentReconcileStorageRequest& req) override {
    absl::MutexLock l(&mu_);
    reconcile_requests_.push_back(req);
    return reconcile_response_;
  }
  absl::Status CancelJob(const std::string& job_id) override {
    absl::MutexLock l(&mu_);
    cancelled_.insert(job_id);
    return absl::OkStatus();
  }
  // What ReadBackupObject of `object` streams: these messages, then `end`.
  // An object not scripted is NotFound.
  void ScriptObject(const std::string& object, std::vector<v1::ReadBackupObjectResponse> messages,
                    absl::Status end = absl::OkStatus()) {
    absl::MutexLock l(&mu_);
    objects_[object] = {std::move(messages), std::move(end)};
  }
  // The requests ReadBackupObject was called with.
  std::vector<v1::ReadBackupObjectRequest> object_reads() {
    absl::MutexLock l(&mu_);
    return object_reads_;
  }
  std::unique_ptr<BackupObjectStream> ReadBackupObject(
      const v1::ReadBackupObjectRequest& request) override {
    absl::MutexLock l(&mu_);
    object_reads_.push_back(request);
    auto it = objects_.find(request.object());
    if (it == objects_.end()) {
      return std::make_unique<ScriptedObject>(
          std::vector<v1::ReadBackupObjectResponse>{},
          absl::NotFoundError(absl::StrCat("no object \"", request.object(), "\"")));
    }
    return std::make_unique<ScriptedObject>(it->second.first, it->second.second);
  }

  std::unique_ptr<JobEventStream> RunBackup(const v1::BackupJob& job, absl::Time deadline) override {
    bool known;
    {
      absl::MutexLock l(&mu_);
      known = jobs_.count(job.job_id()) > 0;
      auto script = script_.find(job.target().name());
      if (!known && script != script_.end() &&
          script->second(runs_per_db_[job.target().name()] + 1) == Outcome::kRefuse) {
        ++runs_per_db_[job.target().name()];
        return std::make_unique<Refused>(absl::FailedPreconditionError(
            absl::StrCat("sqlite database ", job.target().path(), " does not exist")));
      }
      if (!known) jobs_[job.job_id()];
    }
    // Idempotent per job id, as the real agent: a job sent again is
    // followed, not run twice.
    if (!known) {
      absl::MutexLock l(&mu_);
      threads_.emplace_back([this, job] { RunJob(job); });
    }
    return std::make_unique<Stream>(this, job.job_id(), deadline);
  }
  std::unique_ptr<JobEventStream> RunRestore(const v1::RestoreJob& job, absl::Time) override {
    return std::make_unique<Refused>(absl::UnimplementedError(
        absl::StrCat("fake agent \"", name_, "\" runs no restores (job ", job.job_id(), ")")));
  }
  std::unique_ptr<JobEventStream> RunCopy(const v1::CopyJob& job, absl::Time) override {
    return std::make_unique<Refused>(absl::UnimplementedError(
        absl::StrCat("fake agent \"", name_, "\" runs no copies (job ", job.job_id(), ")")));
  }
  // Re-attach: every event of the job again, from its first (the worst a
  // controller must cope with: a journal replayed).
  std::unique_ptr<JobEventStream> WatchJob(const std::string& job_id, absl::Time deadline) override {
    {
      absl::MutexLock l(&mu_);
      if (!watch_answer_.ok()) return std::make_unique<Refused>(watch_answer_);
      if (!jobs_.count(job_id)) {
        return std::make_unique<Refused>(absl::NotFoundError("unknown job"));
      }
    }
    return std::make_unique<Stream>(this, job_id, deadline);
  }

 private:
  struct JobLog {
    std::vector<v1::JobEvent> events;
    bool finished = false;
  };

  // A ReadBackupObject answer played back.
  class ScriptedObject final : public BackupObjectStream {
   public:
    ScriptedObject(std::vector<v1::ReadBackupObjectResponse> messages, absl::Status end)
        : messages_(std::move(messages)), end_(std::move(end)) {}
    bool Next(v1::ReadBackupObjectResponse* m) override {
      if (cancelled_ || next_ >= messages_.size()) return false;
      *m = messages_[next_++];
      return true;
    }
    absl::Status Finish() override {
      return cancelled_ ? absl::CancelledError("call cancelled") : end_;
    }
    void Cancel() override { cancelled_ = true; }

   private:
    std::vector<v1::ReadBackupObjectResponse> messages_;
    absl::Status end_;
    size_t next_ = 0;
    std::atomic<bool> cancelled_{false};
  };

  // A call refused before any event.
  class Refused final : public JobEventStream {
   public:
    explicit Refused(absl::Status st) : st_(std::move(st)) {}
    bool Next(v1::JobEvent*) override { return false; }
    absl::Status Finish() override { return st_; }
    void Cancel() override {}

   private:
    absl::Status st_;
  };

  // Reads all of a job's events, from its first, as they come.
  class Stream final : public JobEventStream {
   public:
    Stream(FakeAgentClient* agent, std::string job_id, absl::Time deadline)
        : agent_(agent), job_id_(std::move(job_id)), deadline_(deadline) {
      absl::MutexLock l(&agent_->mu_);
      agent_->streams_.insert(this);
    }
    ~Stream() override {
      absl::MutexLock l(&agent_->mu_);
      agent_->streams_.erase(this);
    }
    bool Next(v1::JobEvent* e) override {
      FakeAgentClient* a = agent_;
      absl::MutexLock l(&a->mu_);
      while (true) {
        if (cancelled_) {
          status_ = absl::CancelledError("call cancelled");
          return false;
        }
        if (a->stopping_ || broken_) {
          status_ = absl::UnavailableError("connection to the fake agent broke");
          return false;
        }
        const JobLog& log = a->jobs_[job_id_];
        if (done_) return false;
        if (next_ < log.events.size()) {
          *e = log.events[next_++];
          done_ = log.finished && next_ == log.events.size();
          return true;
        }
        if (a->clock_->Now() >= deadline_) {
          status_ = absl::DeadlineExceededError("deadline exceeded");
          return false;
        }
        // Wakes on any change at the agent; re-checks the deadline every
        // 20 ms all the same: a fake clock moving on signals nothing.
        struct Arg {
          FakeAgentClient* a;
          uint64_t seen;
        } arg{a, a->version_};
        a->mu_.AwaitWithTimeout(absl::Condition(
                                    +[](Arg* x) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                      return x->a->version_ != x->seen;
                                    },
                                    &arg),
                                absl::Milliseconds(20));
      }
    }
    absl::Status Finish() override {
      absl::MutexLock l(&agent_->mu_);
      return status_;
    }
    void Cancel() override {
      absl::MutexLock l(&agent_->mu_);
      cancelled_ = true;
      ++agent_->version_;
    }

   private:
    FakeAgentClient* agent_;
    const std::string job_id_;
    const absl::Time deadline_;
    // Guarded by the agent's mu_.
    size_t next_ = 0;
    bool done_ = false;
    bool cancelled_ = false;
    bool broken_ = false;
    friend class FakeAgentClient;
    absl::Status status_;
  };

  void Emit(const std::string& job_id, const v1::JobEvent& e, bool last)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    JobLog& log = jobs_[job_id];
    log.events.push_back(e);
    log.finished = last;
    ++version_;
  }

  void RunJob(const v1::BackupJob& job) {
    const std::string db = job.target().name();
    Outcome outcome = Outcome::kSucceed;
    {
      absl::MutexLock l(&mu_);
      int run = ++runs_per_db_[db];
      if (script_.count(db)) outcome = script_[db](run);
      peak_ = std::max(peak_, ++running_);
    }
    {
      absl::MutexLock l(&tally_->mu);
      ++tally_->runs_per_job[job.job_id()];
      if (!tally_->active_databases.insert(db).second) tally_->overlap = true;
      tally_->peak = std::max(tally_->peak, ++tally_->running);
    }
    v1::JobEvent e;
    e.set_job_id(job.job_id());
    e.set_state(v1::JOB_STATE_RUNNING);
    e.set_sequence(1);
    if (outcome != Outcome::kHoldSilently) {
      absl::MutexLock l(&mu_);
      Emit(job.job_id(), e, false);
      for (int i = 1; i <= progress_[db]; ++i) {
        e.set_sequence(e.sequence() + 1);
        e.mutable_progress()->set_bytes_in(i);
        e.mutable_progress()->set_bytes_out(i);
        Emit(job.job_id(), e, false);
      }
    }
    bool cancelled = false;
    {
      absl::MutexLock l(&mu_);
      if (outcome == Outcome::kHold || outcome == Outcome::kHoldThenFail ||
          outcome == Outcome::kHoldSilently) {
        // Only a release, CancelJob or the end of the test stops it.
        while (!released_ && !stopping_ && !cancelled_.count(job.job_id())) {
          mu_.AwaitWithTimeout(absl::Condition(&released_), absl::Milliseconds(20));
        }
      }
      cancelled = cancelled_.count(job.job_id()) > 0;
    }
    e.set_sequence(e.sequence() + 1);
    if (cancelled) {
      e.set_state(v1::JOB_STATE_CANCELLED);
      e.set_error("job cancelled");
    } else if (outcome == Outcome::kFail || outcome == Outcome::kHoldThenFail) {
      e.set_state(v1::JOB_STATE_FAILED);
      e.set_error("pg_dump: connection refused");
    } else {
      e.set_state(v1::JOB_STATE_SUCCEEDED);
      v1::Manifest* m = e.mutable_manifest();
      m->set_backup_id(job.backup_id());
      m->set_database(db);
      m->set_raw_size_bytes(3000);
      m->set_stored_size_bytes(1000);
      m->set_finished_at(job.backup_id().substr(0, 4) + "-" + job.backup_id().substr(4, 2) + "-" +
                         job.backup_id().substr(6, 5) + ":" + job.backup_id().substr(11, 2) +
                         ":" + job.backup_id().substr(13, 3));
      e.mutable_progress()->set_elapsed_s(2.0);
    }
    {
      absl::MutexLock l(&tally_->mu);
      tally_->active_databases.erase(db);
      --tally_->running;
      ++tally_->finished;
    }
    absl::MutexLock l(&mu_);
    --running_;
    Emit(job.job_id(), e, true);
  }

  const std::string name_;
  FakeAgentTally* tally_;
  Clock* clock_;
  absl::Mutex mu_;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status watch_answer_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Moves on with every event and cancel: what waiting streams wake on.
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  int peak_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, int> runs_per_db_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::function<Outcome(int)>> script_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> progress_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> cancelled_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> verified_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> deleted_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> deleted_from_ ABSL_GUARDED_BY(mu_);
  bool hold_verifications_ ABSL_GUARDED_BY(mu_) = false;
  int verifying_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, std::pair<std::vector<v1::ReadBackupObjectResponse>, absl::Status>>
      objects_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::ReadBackupObjectRequest> object_reads_ ABSL_GUARDED_BY(mu_);
  absl::StatusOr<v1::AgentReconcileStorageResponse> reconcile_response_ ABSL_GUARDED_BY(mu_) =
      v1::AgentReconcileStorageResponse();
  std::vector<v1::AgentReconcileStorageRequest> reconcile_requests_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, JobLog> jobs_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
  std::set<Stream*> streams_ ABSL_GUARDED_BY(mu_);
};

// The fake agents by name. Thread-safe once filled.
class FakeAgentClients final : public AgentClients {
 public:
  void Add(std::shared_ptr<FakeAgentClient> agent) {
    absl::MutexLock l(&mu_);
    agents_[agent->name()] = std::move(agent);
  }
  void Clear() {
    absl::MutexLock l(&mu_);
    agents_.clear();
  }
  std::shared_ptr<AgentClient> For(const v1::Agent& agent) override {
    absl::MutexLock l(&mu_);
    auto it = agents_.find(agent.name());
    if (it != agents_.end()) return it->second;
    return std::make_shared<Unreachable>(agent.name());
  }

 private:
  // An agent no test created: every call fails as unreachable.
  class Unreachable final : public AgentClient {
   public:
    explicit Unreachable(std::string name) : st_(absl::UnavailableError(
                                                 absl::StrCat("agent \"", name, "\" unreachable"))) {}
    absl::StatusOr<std::string> TestConnection(const v1::DatabaseTarget&) override { return st_; }
    absl::Status ProbeStorage(const v1::StorageDestination&) override { return st_; }
    absl::StatusOr<v1::AgentDeleteBackupResponse> DeleteBackup(
        const v1::StoredBackupRef&) override {
      return st_;
    }
    absl::StatusOr<v1::VerifyBackupResponse> VerifyBackup(const v1::StoredBackupRef&) override {
      return st_;
    }
    absl::Status CancelJob(const std::string&) override { return st_; }
    absl::StatusOr<v1::AgentReconcileStorageResponse> ReconcileStorage(
        const v1::AgentReconcileStorageRequest&) override {
      return st_;
    }
    std::unique_ptr<BackupObjectStream> ReadBackupObject(
        const v1::ReadBackupObjectRequest&) override {
      return std::make_unique<DownObject>(st_);
    }
    std::unique_ptr<JobEventStream> RunBackup(const v1::BackupJob&, absl::Time) override {
      return Down();
    }
    std::unique_ptr<JobEventStream> RunRestore(const v1::RestoreJob&, absl::Time) override {
      return Down();
    }
    std::unique_ptr<JobEventStream> RunCopy(const v1::CopyJob&, absl::Time) override {
      return Down();
    }
    std::unique_ptr<JobEventStream> WatchJob(const std::string&, absl::Time) override {
      return Down();
    }

   private:
    class DownStream final : public JobEventStream {
     public:
      explicit DownStream(absl::Status st) : st_(std::move(st)) {}
      bool Next(v1::JobEvent*) override { return false; }
      absl::Status Finish() override { return st_; }
      void Cancel() override {}

     private:
      absl::Status st_;
    };
    class DownObject final : public BackupObjectStream {
     public:
      explicit DownObject(absl::Status st) : st_(std::move(st)) {}
      bool Next(v1::ReadBackupObjectResponse*) override { return false; }
      absl::Status Finish() override { return st_; }
      void Cancel() override {}

     private:
      absl::Status st_;
    };
    std::unique_ptr<JobEventStream> Down() { return std::make_unique<DownStream>(st_); }
    absl::Status st_;
  };

  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<FakeAgentClient>> agents_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dbdump
