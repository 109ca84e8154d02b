// Engine: what the agent needs from each database engine.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/io/sink.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump {

// A dump in progress: its bytes come out of source(); Finish() says whether
// the tool succeeded. Not thread-safe, except Cancel().
class DumpSession {
 public:
  virtual ~DumpSession() = default;
  virtual Source* source() = 0;
  // Waits for the dump to end; an error if the tool failed.
  virtual absl::Status Finish() = 0;
  // Stops the dump; safe to call from any thread, makes source() hit EOF.
  virtual void Cancel() = 0;
  virtual std::string server_version() const = 0;
  virtual std::string tool_version() const = 0;
  // File name extension of the raw dump ("pgdump", "sql", "sqlite").
  virtual std::string extension() const = 0;
  // Human-readable dump format for the manifest ("pg_dump custom").
  virtual std::string dump_format() const = 0;
  // Tables the dump holds, with row counts where the engine records them
  // cheaply (-1 otherwise). Valid once Finish() succeeded.
  virtual std::vector<dbdump::v1::TableInfo> tables() const { return {}; }
};

// A restore in progress: the raw dump is written into sink(); Finish() waits
// for the engine to apply it (or, for a dry run, to list it). Not
// thread-safe, except Cancel().
class RestoreSession {
 public:
  virtual ~RestoreSession() = default;
  virtual Sink* sink() = 0;
  virtual absl::Status Finish() = 0;
  virtual void Cancel() = 0;
  // Dry run: how many entries the engine's own listing showed, and a line
  // saying what it found. Valid once Finish() succeeded.
  virtual uint32_t listed_entries() const { return 0; }
  virtual std::string summary() const { return ""; }
  // Undoes what the session prepared (a database it created), also after
  // Finish() succeeded: for a tool that ended before the whole stream was
  // verified. Idempotent.
  virtual void Undo() {}
};

// A further object of a backup that a restore applies (see
// Engine::RestoreExtras).
struct RestoreExtra {
  enum class Stage { kBeforeDump, kAfterDump };
  // StoredObject.role, e.g. "globals".
  std::string role;
  Stage stage = Stage::kAfterDump;
  // A backup without it cannot be restored as asked ("--globals on a backup
  // taken without --globals"); otherwise a missing one is skipped (backups
  // older than the object).
  bool required = false;
  // For a required extra the backup lacks: what to do instead.
  std::string missing_hint;
};

// One database engine (PostgresEngine, MysqlEngine, MongoEngine,
// SqliteEngine). Thread-safe.
//
// User-supplied names (databases, tables, schemas, namespaces) reach the
// tools only as data: in quoted values, config files or the environment,
// never as something that can be parsed as an option or connection string.
class Engine {
 public:
  virtual ~Engine() = default;
  virtual dbdump::v1::Engine kind() const = 0;
  // Version of the dump tool, empty if it is not installed.
  virtual std::string ToolVersion() = 0;
  // Formats, selective options and restore options the engine honours.
  virtual dbdump::v1::EngineCapabilities Capabilities() const = 0;
  // Checks that the options are ones this engine can honour, with a clear
  // error naming the option otherwise.
  virtual absl::Status ValidateDumpOptions(const dbdump::v1::DumpOptions& options) const = 0;
  // Connects to the target and returns the server version.
  virtual absl::StatusOr<std::string> TestConnection(const dbdump::v1::DatabaseTarget& target) = 0;
  // Starts dumping `target` as its dump_options say. `work_dir` holds
  // short-lived private files.
  virtual absl::StatusOr<std::unique_ptr<DumpSession>> StartDump(
      const dbdump::v1::DatabaseTarget& target, const std::string& work_dir) = 0;
  // Roles of the further objects a backup of `target` holds ("globals").
  virtual std::vector<std::string> ExtraDumps(const dbdump::v1::DatabaseTarget&) const {
    return {};
  }
  virtual absl::StatusOr<std::unique_ptr<DumpSession>> StartExtraDump(
      const dbdump::v1::DatabaseTarget&, const std::string& role, const std::string&) {
    return absl::UnimplementedError("no extra dump " + role);
  }
  // Starts restoring into `target` (database name or file path as the
  // engine defines), creating it if missing unless options.no_create. With
  // options.dry_run the session only lists the dump and touches no database.
  virtual absl::StatusOr<std::unique_ptr<RestoreSession>> StartRestore(
      const dbdump::v1::DatabaseTarget& target, const dbdump::v1::Manifest& manifest,
      const dbdump::v1::RestoreOptions& options, const std::string& work_dir) = 0;
  // Files outside the agent's work directory that StartRestore may create
  // and a finished restore renames or removes (a temporary copy beside the
  // target). The agent journals them before the restore starts, so that
  // what a killed restore left is removed when the agent starts again.
  virtual std::vector<std::string> RestoreTempFiles(const dbdump::v1::DatabaseTarget&,
                                                    const dbdump::v1::Manifest&,
                                                    const dbdump::v1::RestoreOptions&) const {
    return {};
  }

  // Further objects of the backup a restore with `options` applies besides
  // the dump, in order (PostgreSQL: "globals" before the dump when
  // options.globals is set, "settings" after it unless
  // options.no_database_settings). The runner reads each one whole through
  // both checksums, calls CheckExtra for all of them before anything is
  // changed, ApplyExtra for the kBeforeDump ones, restores the dump, then
  // ApplyExtra for the kAfterDump ones. A required extra the backup lacks
  // fails the restore before anything is changed.
  virtual std::vector<RestoreExtra> RestoreExtras(const dbdump::v1::Manifest&,
                                                  const dbdump::v1::RestoreOptions&) const {
    return {};
  }
  // Checks that `raw` can be applied to `target` as `options` say (e.g. that
  // the roles it names exist there), without changing anything. Called
  // after the kBeforeDump extras were applied.
  virtual absl::Status CheckExtra(const dbdump::v1::DatabaseTarget&, const RestoreExtra& extra,
                                  const std::string& raw, const dbdump::v1::RestoreOptions&) {
    return absl::UnimplementedError("no restore step for " + extra.role);
  }
  // Applies it; appends what it did to `notes`, one line each, never a
  // secret.
  virtual absl::Status ApplyExtra(const dbdump::v1::DatabaseTarget&, const RestoreExtra& extra,
                                  const std::string& raw, const dbdump::v1::RestoreOptions&,
                                  std::vector<std::string>* notes) {
    return absl::UnimplementedError("no restore step for " + extra.role);
  }

  // Test restores: a scratch target derived from `target` that no user
  // object has (`id` is the job id), the tables of a restored target with
  // exact row counts, and dropping the scratch target again.
  virtual absl::StatusOr<dbdump::v1::DatabaseTarget> ScratchTarget(
      const dbdump::v1::DatabaseTarget& target, const std::string& id,
      const std::string& work_dir) = 0;
  virtual absl::StatusOr<std::vector<dbdump::v1::TableInfo>> InspectTables(
      const dbdump::v1::DatabaseTarget& target) = 0;
  virtual absl::Status DropScratch(const dbdump::v1::DatabaseTarget& target) = 0;
};

}  // namespace dbdump
