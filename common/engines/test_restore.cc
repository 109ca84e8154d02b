// JobRunner's test restore: a restore into a scratch database the engine
// names, checked against the tables recorded at backup time and dropped
// again; and the sweep of scratch databases a killed agent left.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"
#include "common/engines/job_runner.h"

namespace dbdump {
namespace {

// Records a scratch target before it is created (0600, fsynced).
absl::Status WriteLedger(const std::string& path, const v1::DatabaseTarget& scratch) {
  int fd = -1;
  // Twice: another job may remove the emptied directory in between.
  for (int attempt = 0; attempt < 2 && fd < 0; ++attempt) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  }
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot create ", path, ": ", strerror(errno)));
  std::string bytes = scratch.SerializeAsString();
  bool ok = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()) &&
            ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok) return absl::InternalError(absl::StrCat("cannot write ", path, ": ", strerror(err)));
  return absl::OkStatus();
}

}  // namespace

absl::Status JobRunner::TestRestore(const v1::RestoreJob& job, const v1::Manifest& m,
                                    const std::shared_ptr<const AgeDecryptKeys>& keys,
                                    Storage* storage, Engine* engine, JobControl* tracker,
                                    v1::RestoreReport* report) {
  if (m.dump_options().data_only()) {
    return absl::FailedPreconditionError(
        "a data-only backup has no tables to restore into: test-restore a full or schema "
        "backup of the database instead");
  }
  ASSIGN_OR_RETURN(v1::DatabaseTarget scratch,
                   engine->ScratchTarget(job.target(), job.job_id(), options_.work_dir));
  report->set_scratch_database(scratch.database().empty() ? scratch.path() : scratch.database());
  // Written down before it exists, so an agent killed meanwhile drops it
  // when it starts again (SweepScratch).
  std::string ledger = absl::StrCat(options_.work_dir, "/scratch/", job.job_id());
  RETURN_IF_ERROR_PREPEND(WriteLedger(ledger, scratch), "cannot record the scratch database: ");
  // A scratch target left by an earlier attempt of this job goes first.
  RETURN_IF_ERROR_PREPEND(engine->DropScratch(scratch), "cannot clear the scratch database: ");
  absl::Status st = [&]() -> absl::Status {
    v1::RestoreOptions options;  // a fresh database: nothing to clean
    options.set_jobs(job.options().jobs());
    RETURN_IF_ERROR(Apply(job, m, keys, storage, scratch, options, engine, tracker, report));
    ASSIGN_OR_RETURN(std::vector<v1::TableInfo> restored, engine->InspectTables(scratch));
    std::vector<std::string> problems;
    for (const v1::TableInfo& want : m.tables()) {
      v1::TableCheck* c = report->add_tables();
      c->set_name(want.name());
      c->set_expected_rows(want.rows());
      c->set_restored_rows(-1);
      for (const v1::TableInfo& got : restored) {
        if (got.name() == want.name()) c->set_restored_rows(got.rows());
      }
      bool present = c->restored_rows() >= 0;
      c->set_ok(present && (want.rows() < 0 || want.rows() == c->restored_rows()));
      if (!present) {
        problems.push_back(absl::StrCat("table ", want.name(), " is missing"));
      } else if (!c->ok()) {
        problems.push_back(absl::StrCat("table ", want.name(), " has ", c->restored_rows(),
                                        " rows, ", want.rows(), " at backup time"));
      }
    }
    int64_t rows = 0;
    for (const v1::TableInfo& got : restored) rows += std::max<int64_t>(got.rows(), 0);
    if (m.tables().empty()) {
      // Nothing recorded at backup time: report what the restore holds.
      for (const v1::TableInfo& got : restored) {
        v1::TableCheck* c = report->add_tables();
        c->set_name(got.name());
        c->set_expected_rows(-1);
        c->set_restored_rows(got.rows());
        c->set_ok(true);
      }
    }
    report->set_summary(absl::StrCat(restored.size(), " tables with ", rows, " rows restored into ",
                                     report->scratch_database(), problems.empty() ? "; checks passed" : ""));
    if (!problems.empty()) {
      return absl::DataLossError(absl::StrCat("test restore of backup ", job.backup_id(),
                                              " found ", problems.size(), " problem",
                                              problems.size() == 1 ? "" : "s", ": ",
                                              absl::StrJoin(problems, "; ")));
    }
    return absl::OkStatus();
  }();
  // Whatever happened, the scratch database goes.
  absl::Status dropped = engine->DropScratch(scratch);
  report->set_scratch_dropped(dropped.ok());
  if (dropped.ok()) {
    ::unlink(ledger.c_str());
    ::rmdir(absl::StrCat(options_.work_dir, "/scratch").c_str());  // only when empty
  }
  RETURN_IF_ERROR(st);
  RETURN_IF_ERROR_PREPEND(dropped,
                          "test restore passed but the scratch database could not be dropped: ");
  return absl::OkStatus();
}

int JobRunner::SweepScratch(const std::map<v1::Engine, std::unique_ptr<Engine>>& engines) {
  std::string dir = absl::StrCat(options_.work_dir, "/scratch");
  std::error_code ec;
  int dropped = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::ifstream in(entry.path(), std::ios::binary);
    v1::DatabaseTarget scratch;
    if (!scratch.ParseFromIstream(&in)) continue;
    auto engine = engines.find(scratch.engine());
    if (engine == engines.end()) continue;
    absl::Status st = engine->second->DropScratch(scratch);
    std::string what = scratch.database().empty() ? scratch.path() : scratch.database();
    if (!st.ok()) {
      LogWarn("agent", "cannot drop scratch database ", what, " of an unfinished test restore: ",
              st.message(), "; will try again at the next start");
      continue;
    }
    LogInfo("agent", "dropped scratch database ", what, " of an unfinished test restore");
    std::filesystem::remove(entry.path(), ec);
    ++dropped;
  }
  return dropped;
}

}  // namespace dbdump
