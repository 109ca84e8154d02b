// FakeAgent: an AgentService served over real gRPC on 127.0.0.1, scripted by
// tests. It counts how often each job was run, how many run at once (on
// this agent and, through a shared Tally, over all agents), and whether two
// backups of one database ever overlapped.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "dbdump/v1/agent_service.grpc.pb.h"

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

  // Waits (on the condition, not a fixed sleep) until `n` jobs finished.
  bool WaitFinished(int n, absl::Duration timeout) {
    struct Arg {
      FakeAgentTally* t;
      int n;
    } arg{this, n};
    absl::MutexLock l(&mu);
    return mu.AwaitWithTimeout(absl::Condition(
                                   +[](Arg* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                     return a->t->finished >= a->n;
                                   },
                                   &arg),
                               timeout);
  }
};

// Thread-safe.
class FakeAgent final : public v1::AgentService::Service {
 public:
  enum class Outcome { kSucceed, kFail, kHold };

  FakeAgent(std::string name, FakeAgentTally* tally) : name_(std::move(name)), tally_(tally) {
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    b.RegisterService(this);
    server_ = b.BuildAndStart();
  }
  ~FakeAgent() override { Stop(); }

  void Stop() {
    {
      absl::MutexLock l(&mu_);
      stopping_ = true;
    }
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server_.reset();
  }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  const std::string& name() const { return name_; }

  // What the n-th run (1-based) of a backup of `database` does; default: succeed.
  void Script(const std::string& database, std::function<Outcome(int run)> f) {
    absl::MutexLock l(&mu_);
    script_[database] = std::move(f);
  }
  // Lets held jobs end (successfully).
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

  grpc::Status RunBackup(grpc::ServerContext* ctx, const v1::RunBackupRequest* req,
                         grpc::ServerWriter<v1::JobEvent>* w) override {
    const v1::BackupJob& job = req->job();
    const std::string db = job.target().name();
    Outcome outcome = Outcome::kSucceed;
    bool known;
    {
      absl::MutexLock l(&mu_);
      known = started_.count(job.job_id()) > 0;
    }
    if (known) {
      // Idempotent per job id, as the real agent: a job sent again is
      // followed, not run twice.
      v1::WatchJobRequest watch;
      watch.set_job_id(job.job_id());
      return WatchJob(ctx, &watch, w);
    }
    {
      absl::MutexLock l(&mu_);
      int run = ++runs_per_db_[db];
      started_.insert(job.job_id());
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
    w->Write(e);
    if (outcome == Outcome::kHold) {
      // Like a real agent, the job goes on when the controller's stream
      // drops; only CancelJob (or the end of the test) stops it.
      absl::MutexLock l(&mu_);
      while (!released_ && !stopping_ && !cancelled_.count(job.job_id())) {
        mu_.AwaitWithTimeout(absl::Condition(&released_), absl::Milliseconds(20));
      }
    }
    bool cancelled = false;
    {
      absl::MutexLock l(&mu_);
      cancelled = cancelled_.count(job.job_id()) > 0;
    }
    if (cancelled) {
      e.set_state(v1::JOB_STATE_CANCELLED);
      e.set_error("job cancelled");
    } else if (outcome == Outcome::kFail) {
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
    {
      absl::MutexLock l(&mu_);
      --running_;
      finished_[job.job_id()] = e;
    }
    w->Write(e);
    return grpc::Status::OK;
  }

  // Re-attach: waits for a running job to end, as the agent's journal allows.
  grpc::Status WatchJob(grpc::ServerContext* ctx, const v1::WatchJobRequest* req,
                        grpc::ServerWriter<v1::JobEvent>* w) override {
    absl::MutexLock l(&mu_);
    if (!started_.count(req->job_id())) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown job");
    }
    struct Arg {
      FakeAgent* self;
      const std::string* id;
    } arg{this, &req->job_id()};
    while (!finished_.count(req->job_id())) {
      if (stopping_ || ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "stop");
      // Re-checks the call every 20 ms: its cancellation does not signal mu_.
      mu_.AwaitWithTimeout(absl::Condition(
                               +[](Arg* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                 return a->self->finished_.count(*a->id) > 0 || a->self->stopping_;
                               },
                               &arg),
                           absl::Milliseconds(20));
    }
    w->Write(finished_[req->job_id()]);
    return grpc::Status::OK;
  }

  // Every backup verifies; the call is counted.
  grpc::Status VerifyBackup(grpc::ServerContext*, const v1::VerifyBackupRequest* req,
                            v1::VerifyBackupResponse* resp) override {
    absl::MutexLock l(&mu_);
    verified_.push_back(req->backup().backup_id());
    resp->set_ok(true);
    return grpc::Status::OK;
  }
  std::vector<std::string> verified() {
    absl::MutexLock l(&mu_);
    return verified_;
  }

  grpc::Status CancelJob(grpc::ServerContext*, const v1::CancelJobRequest* req,
                         v1::CancelJobResponse*) override {
    absl::MutexLock l(&mu_);
    cancelled_.insert(req->job_id());
    return grpc::Status::OK;
  }

 private:
  std::string name_;
  FakeAgentTally* tally_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  absl::Mutex mu_;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  int peak_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, int> runs_per_db_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::function<Outcome(int)>> script_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> cancelled_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> started_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> verified_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, v1::JobEvent> finished_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dbdump
