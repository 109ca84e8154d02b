#include "controller/cli/bucket/stored_backups.h"

#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "common/base/clock.h"
#include "common/engines/job_runner.h"
#include "common/engines/job_control.h"
#include "common/engines/postgres/postgres_engine.h"
#include "common/engines/restore_target.h"
#include "common/engines/sqlite/sqlite_engine.h"
#include "common/storage/backup_layout.h"
#include "common/io/compression.h"
#include "common/base/names.h"
#include "common/process/subprocess_runner.h"
#include "common/base/status_macros.h"
#include "controller/cli/args/cli_error.h"
#include "controller/cli/output/formatting.h"
#include "controller/cli/output/progress_bar.h"
#include "controller/cli/output/table_printer.h"
#include "google/protobuf/struct.pb.h"

namespace dbdump {
namespace {

// Digits of the stored checksum shown in tables; enough to tell backups apart
// and to compare with `sha256sum` by eye.
constexpr size_t kShortSha = 12;

// `text` as one JSON string literal, escaped by protobuf's printer.
absl::StatusOr<std::string> JsonString(const std::string& text) {
  google::protobuf::Value value;
  value.set_string_value(text);
  ASSIGN_OR_RETURN(std::string json, ToJson(value));
  while (!json.empty() && (json.back() == '\n' || json.back() == ' ')) json.pop_back();
  return json;
}

// Re-indents a JSON document printed by protobuf (one space per level) to two
// spaces per level, every line after the first shifted right by `indent`.
std::string Nest(std::string json, const std::string& indent) {
  while (!json.empty() && json.back() == '\n') json.pop_back();
  std::string out;
  bool line_start = false;
  for (char c : json) {
    if (line_start && c == ' ') {
      out += "  ";
      continue;
    }
    line_start = false;
    out += c;
    if (c == '\n') {
      out += indent;
      line_start = true;
    }
  }
  return out;
}

// Appends `"name": [items...]` with each item on its own line.
void AppendArray(std::string* json, const std::string& name,
                 const std::vector<std::string>& items) {
  absl::StrAppend(json, "  \"", name, "\": [");
  for (size_t i = 0; i < items.size(); ++i) {
    absl::StrAppend(json, i == 0 ? "" : ",", "\n    ", Nest(items[i], "    "));
  }
  absl::StrAppend(json, items.empty() ? "]" : "\n  ]");
}

v1::Job LocalJob(const std::string& id, v1::JobState state, const v1::Progress& progress,
                 const StoredBackupRestore& restore) {
  v1::Job job;
  job.set_id(id);
  job.set_kind(v1::JOB_KIND_RESTORE);
  job.set_state(state);
  job.set_database(restore.database);
  job.set_backup_id(restore.backup_id);
  job.set_restore_target(restore.target);
  job.set_agent("dbdumpctl");
  *job.mutable_progress() = progress;
  return job;
}

// Checks the target against the engine the manifest names and completes it.
absl::Status FillTarget(const StoredBackupRestore& restore, v1::Engine engine,
                        v1::DatabaseTarget* target) {
  *target = restore.connection;
  target->set_engine(engine);
  target->set_name(restore.database);
  if (engine == v1::ENGINE_SQLITE) {
    const v1::DatabaseTarget& c = restore.connection;
    std::pair<const char*, bool> postgres_only[] = {{"host", !c.host().empty()},
                                                    {"port", c.port() != 0},
                                                    {"user", !c.user().empty()},
                                                    {"password-ref", !c.password_ref().empty()}};
    for (const auto& [flag, given] : postgres_only) {
      if (given) {
        return UsageError(absl::StrCat("--", flag, " does not apply: backup ", restore.backup_id,
                                       " is a sqlite backup, restored to --target=/abs/file.db"));
      }
    }
    // The rule's own message, in the words of the flag.
    if (!SetRestoreTarget(restore.target, target).ok()) {
      return UsageError(absl::StrCat("--target must be an absolute file path without \".\" or "
                                     "\"..\" segments for sqlite backup ",
                                     restore.backup_id, ", not \"", restore.target, "\""));
    }
    return absl::OkStatus();
  }
  if (engine == v1::ENGINE_POSTGRES) {
    absl::Status name = SetRestoreTarget(restore.target, target);
    if (!name.ok()) return UsageError(absl::StrCat("--target: ", name.message()));
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat("backup ", restore.backup_id, " has engine ", EngineName(engine),
                   ", which this dbdumpctl cannot restore: use a newer dbdumpctl"));
}

// A private (0700) scratch directory, removed with everything in it on scope
// exit: it may hold a pgpass file.
class ScratchDir {
 public:
  static absl::StatusOr<std::unique_ptr<ScratchDir>> Create(std::string parent) {
    if (parent.empty()) {
      const char* tmp = getenv("TMPDIR");
      parent = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    }
    std::string pattern = absl::StrCat(parent, "/dbdumpctl-restore-XXXXXX");
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (mkdtemp(buffer.data()) == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create a private work directory in ", parent, ": ",
                       std::strerror(errno), ": point TMPDIR at a writable directory"));
    }
    return std::unique_ptr<ScratchDir>(new ScratchDir(buffer.data()));
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Blocks SIGINT and SIGTERM for this thread and the threads it starts, so
// they can be taken with Poll() instead of killing the process mid-restore.
// Child processes get a clean mask from SubprocessRunner. Restores the old
// mask on scope exit, after discarding signals still pending.
class InterruptCatcher {
 public:
  explicit InterruptCatcher(bool enabled) : enabled_(enabled) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    if (enabled_) pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  ~InterruptCatcher() {
    if (!enabled_) return;
    while (Poll()) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  // True when an interrupt arrived since the last call; never blocks.
  bool Poll() {
    if (!enabled_) return false;
    struct timespec zero = {0, 0};
    return sigtimedwait(&set_, nullptr, &zero) > 0;
  }

 private:
  const bool enabled_;
  sigset_t set_;
  sigset_t old_;
};

}  // namespace

absl::Status ListStoredBackups(Storage* storage, const StoredBackupsListing& listing) {
  std::vector<std::string> problems;
  ASSIGN_OR_RETURN(std::vector<v1::Manifest> manifests,
                   ListManifests(storage, listing.prefix, listing.database, &problems));
  // Parser messages span lines; each problem is reported on one.
  for (std::string& problem : problems) {
    problem = absl::StrJoin(
        absl::StrSplit(problem, absl::ByAnyChar("\r\n"), absl::SkipWhitespace()), " ");
  }
  std::ostream& out = *listing.out;

  if (listing.format == OutputFormat::kJson) {
    std::vector<std::string> backups, problem_texts;
    for (const v1::Manifest& m : manifests) {
      ASSIGN_OR_RETURN(std::string json, ToJson(m));
      backups.push_back(std::move(json));
    }
    for (const std::string& problem : problems) {
      ASSIGN_OR_RETURN(std::string json, JsonString(problem));
      problem_texts.push_back(std::move(json));
    }
    std::string json = "{\n";
    AppendArray(&json, "backups", backups);
    json += ",\n";
    AppendArray(&json, "problems", problem_texts);
    json += "\n}\n";
    out << json;
    return absl::OkStatus();
  }

  for (const std::string& problem : problems) {
    *listing.err << "dbdumpctl: warning: skipped an unreadable manifest: " << problem << "\n";
  }
  TablePrinter table({"DATABASE", "BACKUP ID", "ENGINE", "STORED", "RAW", "RATIO", "COMPRESSION",
                      "FINISHED", "STORED SHA256"});
  for (const v1::Manifest& m : manifests) {
    table.AddRow({m.database(), m.backup_id(), EngineName(m.engine()),
                  HumanBytes(m.stored_size_bytes()), HumanBytes(m.raw_size_bytes()),
                  RatioText(m.raw_size_bytes(), m.stored_size_bytes()),
                  CompressionName(m.compression()), m.finished_at(),
                  m.stored_sha256().substr(0, kShortSha)});
  }
  table.Print(out);
  return absl::OkStatus();
}

absl::Status RestoreStoredBackup(Storage* storage, const StoredBackupRestore& restore) {
  ASSIGN_OR_RETURN(v1::Manifest manifest, ReadManifest(storage, restore.destination.prefix(),
                                                       restore.database, restore.backup_id));
  std::function<absl::Time()> now =
      restore.now ? restore.now : [] { return DefaultClock()->Now(); };
  v1::RestoreJob job;
  job.set_job_id(NewJobId(now()));
  job.set_backup_id(restore.backup_id);
  job.set_source_database(restore.database);
  *job.mutable_storage() = restore.destination;
  job.mutable_options()->set_identity_ref(restore.identity_ref);
  RETURN_IF_ERROR(FillTarget(restore, manifest.engine(), job.mutable_target()));

  SubprocessRunner processes;
  std::unique_ptr<Engine> engine;
  if (manifest.engine() == v1::ENGINE_POSTGRES) {
    PostgresEngineOptions options;
    options.runner = &processes;
    engine = std::make_unique<PostgresEngine>(options);
  } else {
    engine = std::make_unique<SqliteEngine>();
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ScratchDir> scratch, ScratchDir::Create(restore.temp_dir));

  bool table = restore.format == OutputFormat::kTable;
  std::ostream& out = *restore.out;
  if (table) {
    out << "restoring backup " << restore.backup_id << " of " << restore.database << " ("
        << EngineName(manifest.engine()) << ", " << HumanBytes(manifest.stored_size_bytes())
        << " stored) from " << restore.source << " into " << restore.target << "\n"
        << std::flush;
  }

  JobRunnerOptions runner_options;
  runner_options.agent_name = "dbdumpctl";
  runner_options.work_dir = scratch->path();
  JobRunner runner(runner_options);
  JobControl tracker;
  ProgressBar::Options bar_options;
  bar_options.out = restore.err != nullptr ? restore.err : &out;
  bar_options.terminal = restore.stderr_is_tty;
  bar_options.columns = restore.terminal_columns;
  bar_options.now = now;
  ProgressBar progress(bar_options);
  // The dump is read once from storage: its stored size is the total.
  auto reading = [&](v1::JobState state) {
    ProgressBar::Progress p;
    p.state = JobStateName(state);
    p.done_bytes = tracker.Progress().bytes_in();
    p.total_bytes = manifest.stored_size_bytes();
    return p;
  };

  // Blocked before the poller starts, so no thread of ours takes the default
  // action of SIGINT while the restore runs.
  InterruptCatcher interrupts(restore.handle_interrupts);
  std::atomic<bool> interrupted{false};
  absl::Notification done;
  // The poller paces itself against real waits below, so it reads the real
  // clock, not the injected `now` (a fake one would stall or race it).
  std::thread poller([&] {
    absl::Time next = DefaultClock()->Now() + restore.poll_interval;
    while (!done.HasBeenNotified()) {
      if (interrupts.Poll() && !interrupted.exchange(true)) tracker.Cancel();
      if (DefaultClock()->Now() >= next) {
        if (table) {
          progress.Update(reading(v1::JOB_STATE_RUNNING));
        }
        next = DefaultClock()->Now() + restore.poll_interval;
      }
      done.WaitForNotificationWithTimeout(std::min(restore.poll_interval, absl::Milliseconds(100)));
    }
  });
  absl::Time started = now();
  absl::Status status = runner.Restore(job, engine.get(), &tracker);
  done.Notify();
  poller.join();

  v1::Job final_job = LocalJob(job.job_id(),
                               status.ok()                 ? v1::JOB_STATE_SUCCEEDED
                               : absl::IsCancelled(status) ? v1::JOB_STATE_CANCELLED
                                                           : v1::JOB_STATE_FAILED,
                               tracker.Progress(), restore);
  final_job.set_error(std::string(status.message()));
  final_job.set_started_at(TimeToString(started));
  final_job.set_finished_at(TimeToString(now()));
  if (table) {
    progress.Update(reading(final_job.state()));
    progress.Finish();
  } else {
    ASSIGN_OR_RETURN(std::string json, ToJson(final_job));
    out << json;
  }
  if (!status.ok() && interrupted) {
    return absl::CancelledError(
        absl::StrCat("restore of backup ", restore.backup_id, " interrupted: ", status.message()));
  }
  RETURN_IF_ERROR(status);
  if (table) out << "restore completed into " << restore.target << "\n";
  return absl::OkStatus();
}

}  // namespace dbdump
