// follow_latency: how long a job's progress takes to reach a FollowJob client.
//
// This program plays both ends around a real dbdump-controller (given by
// --controller): it serves AgentService as an agent that registers and
// heartbeats, and it is the admin client that starts a backup and follows
// it. The agent streams --events RUNNING events, one every --interval_ms,
// progress.bytes_in counting 1, 2, 3…; the follower notes when it first sees
// a progress of at least n. Both ends share this process's steady clock, so
// an event's latency is (first seen at the follower) - (sent by the agent).
// Prints one line: events, then min / p50 / p99 / max latency in ms.
//
// Benchmark only: no dbdump code is linked, just the wire protocol.

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dbdump/v1/agent_service.grpc.pb.h"
#include "dbdump/v1/controller_service.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace v1 = dbdump::v1;

struct Options {
  std::string controller;
  std::string work_dir = "/tmp";
  int events = 1000;
  int interval_ms = 5;
};

// What both ends record, indexed by progress value (1..events).
struct Timeline {
  std::vector<Clock::time_point> sent;
  std::vector<Clock::time_point> seen;
  std::mutex mu;
  uint64_t highest_seen = 0;
  std::atomic<bool> follower_attached{false};
};

class BenchAgent final : public v1::AgentService::Service {
 public:
  BenchAgent(const Options& o, Timeline* t) : o_(o), t_(t) {}

  grpc::Status GetAgentInfo(grpc::ServerContext*, const v1::GetAgentInfoRequest*,
                            v1::GetAgentInfoResponse* r) override {
    r->set_name("bench-agent");
    return grpc::Status::OK;
  }
  grpc::Status TestConnection(grpc::ServerContext*, const v1::TestConnectionRequest*,
                              v1::TestConnectionResponse* r) override {
    r->set_server_version("bench");
    return grpc::Status::OK;
  }
  grpc::Status ProbeStorage(grpc::ServerContext*, const v1::ProbeStorageRequest*,
                            v1::ProbeStorageResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status RunBackup(grpc::ServerContext* ctx, const v1::RunBackupRequest* req,
                         grpc::ServerWriter<v1::JobEvent>* w) override {
    // Start streaming only once the follower is attached, so every event
    // has someone waiting for it.
    for (int i = 0; i < 1000 && !t_->follower_attached; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    uint64_t seq = 0;
    auto next = Clock::now();
    for (int n = 1; n <= o_.events && !ctx->IsCancelled(); ++n) {
      std::this_thread::sleep_until(next);
      next += std::chrono::milliseconds(o_.interval_ms);
      v1::JobEvent e;
      e.set_job_id(req->job().job_id());
      e.set_state(v1::JOB_STATE_RUNNING);
      e.set_sequence(++seq);
      e.mutable_progress()->set_bytes_in(n);
      e.mutable_progress()->set_bytes_out(n);
      t_->sent[n] = Clock::now();
      if (!w->Write(e)) return grpc::Status::CANCELLED;
    }
    v1::JobEvent done;
    done.set_job_id(req->job().job_id());
    done.set_state(v1::JOB_STATE_SUCCEEDED);
    done.set_sequence(++seq);
    done.mutable_progress()->set_bytes_in(o_.events);
    done.mutable_progress()->set_bytes_out(o_.events);
    v1::Manifest* m = done.mutable_manifest();
    m->set_format_version(1);
    m->set_backup_id(req->job().backup_id());
    m->set_database(req->job().target().name());
    m->set_engine(req->job().target().engine());
    m->set_job_id(req->job().job_id());
    m->set_agent("bench-agent");
    m->set_dump_object("dump.db");
    m->set_raw_size_bytes(o_.events);
    m->set_stored_size_bytes(o_.events);
    m->set_started_at("2026-01-01T00:00:00Z");
    m->set_finished_at("2026-01-01T00:00:01Z");
    w->Write(done);
    return grpc::Status::OK;
  }

 private:
  const Options& o_;
  Timeline* t_;
};

bool Check(const grpc::Status& s, const char* what) {
  if (s.ok()) return true;
  std::fprintf(stderr, "follow_latency: %s: %s\n", what, s.error_message().c_str());
  return false;
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

int Run(const Options& o) {
  Timeline t;
  t.sent.resize(o.events + 1);
  t.seen.resize(o.events + 1);
  BenchAgent agent(o, &t);
  int port = 0;
  grpc::ServerBuilder sb;
  sb.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  sb.RegisterService(&agent);
  std::unique_ptr<grpc::Server> server = sb.BuildAndStart();
  if (!server || port == 0) {
    std::fprintf(stderr, "follow_latency: cannot serve the agent\n");
    return 1;
  }
  auto channel = grpc::CreateChannel(o.controller, grpc::InsecureChannelCredentials());
  auto registry = v1::RegistryService::NewStub(channel);
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx.set_wait_for_ready(true);
    v1::RegisterAgentRequest req;
    req.set_name("bench-agent");
    req.set_address("127.0.0.1:" + std::to_string(port));
    req.set_version("bench");
    req.mutable_capabilities()->add_engines(v1::ENGINE_SQLITE);
    v1::RegisterAgentResponse resp;
    if (!Check(registry->RegisterAgent(&ctx, req, &resp), "register")) return 1;
  }
  std::atomic<bool> stop{false};
  std::thread heartbeat([&] {
    while (!stop) {
      grpc::ClientContext ctx;
      v1::HeartbeatRequest req;
      req.set_name("bench-agent");
      v1::HeartbeatResponse resp;
      registry->Heartbeat(&ctx, req, &resp);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  });
  auto storages = v1::StorageService::NewStub(channel);
  auto databases = v1::DatabaseService::NewStub(channel);
  auto backups = v1::BackupService::NewStub(channel);
  auto jobs = v1::JobService::NewStub(channel);
  int rc = 1;
  do {
    {
      grpc::ClientContext ctx;
      v1::AddStorageRequest req;
      req.mutable_storage()->set_name("bench");
      req.mutable_storage()->set_kind(v1::STORAGE_KIND_LOCAL);
      req.mutable_storage()->set_path(o.work_dir + "/store");
      req.set_skip_probe(true);
      v1::AddStorageResponse resp;
      if (!Check(storages->AddStorage(&ctx, req, &resp), "add storage")) break;
    }
    {
      grpc::ClientContext ctx;
      v1::AddDatabaseRequest req;
      v1::DatabaseTarget* d = req.mutable_database();
      d->set_name("bench");
      d->set_engine(v1::ENGINE_SQLITE);
      d->set_path(o.work_dir + "/bench.db");
      d->set_agent("bench-agent");
      req.set_storage("bench");
      req.set_skip_connection_test(true);
      v1::AddDatabaseResponse resp;
      if (!Check(databases->AddDatabase(&ctx, req, &resp), "add database")) break;
    }
    std::string job_id;
    {
      grpc::ClientContext ctx;
      v1::StartBackupRequest req;
      req.set_database("bench");
      v1::StartBackupResponse resp;
      if (!Check(backups->StartBackup(&ctx, req, &resp), "start backup")) break;
      job_id = resp.job().id();
    }
    grpc::ClientContext ctx;
    v1::FollowJobRequest req;
    req.set_id(job_id);
    auto reader = jobs->FollowJob(&ctx, req);
    v1::FollowJobResponse r;
    v1::JobState last_state = v1::JOB_STATE_UNSPECIFIED;
    while (reader->Read(&r)) {
      auto now = Clock::now();
      t.follower_attached = true;
      uint64_t got = std::min<uint64_t>(r.job().progress().bytes_in(), o.events);
      for (uint64_t n = t.highest_seen + 1; n <= got; ++n) t.seen[n] = now;
      t.highest_seen = std::max(t.highest_seen, got);
      last_state = r.job().state();
    }
    if (!Check(reader->Finish(), "follow job")) break;
    if (last_state != v1::JOB_STATE_SUCCEEDED || t.highest_seen < static_cast<uint64_t>(o.events)) {
      std::fprintf(stderr, "follow_latency: job ended %s having seen %llu of %d events\n",
                   v1::JobState_Name(last_state).c_str(),
                   static_cast<unsigned long long>(t.highest_seen), o.events);
      break;
    }
    std::vector<double> lat;
    for (int n = 1; n <= o.events; ++n) lat.push_back(Ms(t.seen[n] - t.sent[n]));
    std::sort(lat.begin(), lat.end());
    auto pct = [&](double p) { return lat[std::min(lat.size() - 1, size_t(p * lat.size()))]; };
    std::printf("events %d min_ms %.2f p50_ms %.2f p99_ms %.2f max_ms %.2f\n", o.events, lat.front(),
                pct(0.50), pct(0.99), lat.back());
    rc = 0;
  } while (false);
  stop = true;
  heartbeat.join();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* flag) -> const char* {
      size_t n = std::strlen(flag);
      return a.compare(0, n, flag) == 0 ? argv[i] + n : nullptr;
    };
    if (const char* v = value("--controller=")) o.controller = v;
    else if (const char* v = value("--work_dir=")) o.work_dir = v;
    else if (const char* v = value("--events=")) o.events = std::atoi(v);
    else if (const char* v = value("--interval_ms=")) o.interval_ms = std::atoi(v);
    else {
      std::fprintf(stderr, "usage: follow_latency --controller=HOST:PORT [--work_dir=DIR] "
                           "[--events=1000] [--interval_ms=5]\n");
      return 2;
    }
  }
  if (o.controller.empty() || o.events < 1 || o.interval_ms < 0) {
    std::fprintf(stderr, "follow_latency: --controller is required; --events >= 1\n");
    return 2;
  }
  return Run(o);
}
