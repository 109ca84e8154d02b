#include "agent/job_registry.h"

#include <google/protobuf/util/json_util.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/security/private_files.h"

namespace dbdump {
namespace fs = std::filesystem;

JobRegistry::JobRegistry(std::string work_dir) : work_dir_(std::move(work_dir)) {}

absl::Status JobRegistry::Init(absl::Duration keep) {
  std::error_code ec;
  fs::create_directories(absl::StrCat(work_dir_, "/journal"), ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create the agent work directory ", work_dir_, ": ", ec.message()));
  }
  fs::permissions(work_dir_, fs::perms::owner_all, ec);
  auto cutoff = fs::file_time_type::clock::now() -
                std::chrono::seconds(static_cast<int64_t>(absl::ToDoubleSeconds(keep)));
  for (const auto& e : fs::directory_iterator(absl::StrCat(work_dir_, "/journal"), ec)) {
    if (e.last_write_time(ec) < cutoff) fs::remove(e.path(), ec);
  }
  // Leftovers of a crashed agent: pgpass files and snapshots are private and
  // useless now.
  for (const auto& e : fs::directory_iterator(work_dir_, ec)) {
    if (e.is_regular_file(ec)) fs::remove(e.path(), ec);
  }
  return absl::OkStatus();
}

std::string JobRegistry::JournalPath(const std::string& job_id) const {
  return absl::StrCat(work_dir_, "/journal/", job_id, ".json");
}

void JobRegistry::WriteJournal(const v1::JobEvent& event) {
  std::string json;
  auto printed = google::protobuf::util::MessageToJsonString(event, &json);
  if (!printed.ok()) {
    // An empty journal would read back as no outcome at all: keep the
    // previous one and say why.
    LogWarn("agent", "cannot journal the outcome of job ", event.job_id(),
            ": cannot encode the event as JSON: ", std::string(printed.message()));
    return;
  }
  std::string path = JournalPath(event.job_id());
  // Durable before watchers see the outcome: a lost journal would let a
  // retried dispatch run a finished job again.
  absl::Status written = WriteFileAtomically(path, json, 0600);
  if (!written.ok()) {
    LogWarn("agent", "cannot journal the outcome of job ", event.job_id(), ": ",
            written.message());
  }
}

std::shared_ptr<JobTracker> JobRegistry::Start(const std::string& job_id,
                                               std::function<void(JobTracker*)> run) {
  std::shared_ptr<JobTracker> tracker;
  {
    absl::MutexLock l(&mu_);
    auto it = jobs_.find(job_id);
    if (it != jobs_.end()) return it->second;
    tracker = std::make_shared<JobTracker>(job_id);
    jobs_[job_id] = tracker;
  }
  std::thread([this, tracker, run = std::move(run)] {
    run(tracker.get());
    // Journal first, then forget the live tracker: a watcher always finds
    // the outcome in one place or the other.
    v1::JobEvent outcome = tracker->Snapshot();
    WriteJournal(outcome);
    // Leftovers are cleaned up while the job still counts as running: a
    // shutdown waits for that too.
    if (end_hook_) end_hook_(outcome);
    absl::MutexLock l(&mu_);
    jobs_.erase(tracker->job_id());
  }).detach();
  return tracker;
}

std::shared_ptr<JobTracker> JobRegistry::Find(const std::string& job_id) {
  absl::MutexLock l(&mu_);
  auto it = jobs_.find(job_id);
  return it == jobs_.end() ? nullptr : it->second;
}

std::optional<v1::JobEvent> JobRegistry::Journaled(const std::string& job_id) {
  if (!ValidateId("job id", job_id).ok()) return std::nullopt;
  std::ifstream in(JournalPath(job_id));
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  v1::JobEvent e;
  if (!google::protobuf::util::JsonStringToMessage(ss.str(), &e).ok()) return std::nullopt;
  return e;
}

bool JobRegistry::CancelAllAndWait(absl::Duration timeout) {
  std::vector<std::shared_ptr<JobTracker>> live;
  {
    absl::MutexLock l(&mu_);
    for (auto& [id, t] : jobs_) live.push_back(t);
  }
  for (auto& t : live) {
    LogInfo("agent", "cancelling job ", t->job_id(), " for shutdown");
    t->Cancel();
  }
  absl::MutexLock l(&mu_);
  return mu_.AwaitWithTimeout(
      absl::Condition(+[](std::map<std::string, std::shared_ptr<JobTracker>>* jobs) {
        return jobs->empty();
      }, &jobs_),
      timeout);
}

int JobRegistry::running() {
  absl::MutexLock l(&mu_);
  return static_cast<int>(jobs_.size());
}

}  // namespace dbdump
