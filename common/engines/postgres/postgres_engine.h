// PostgresEngine: pg_dump custom format out, pg_restore in. Its pieces:
// postgres_dump.cc and postgres_restore.cc (its two directions),
// postgres_connection (libpq, tool environment, errors), postgres_selection
// (format and tables of a dump), pg_parallel_restore_session.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/engines/engine.h"
#include "common/engines/tool_session.h"
#include "common/process/process_runner.h"

namespace dbdump {

// An installed pg_dump/pg_restore pair.
struct PgTools {
  std::string pg_dump;
  std::string pg_restore;
  // Beside them; empty when not installed.
  std::string pg_dumpall;
  std::string psql;
  int major = 0;
  std::string version;  // e.g. "15.18"
};

struct PostgresEngineOptions {
  ProcessRunner* runner = nullptr;
  // Directories searched for pg_dump/pg_restore, besides /usr/lib/postgresql/*/bin.
  std::string search_path = "/usr/bin:/bin:/usr/local/bin";
  int connect_timeout_s = 10;
};

// Passes connection details through the environment and a 0600 pgpass file,
// and the database name inside a quoted conninfo value, so no user-supplied
// string is ever parsed as an option or connection parameter. Thread-safe.
class PostgresEngine : public Engine {
 public:
  explicit PostgresEngine(PostgresEngineOptions options);

  dbdump::v1::Engine kind() const override { return dbdump::v1::ENGINE_POSTGRES; }
  std::string ToolVersion() override;
  dbdump::v1::EngineCapabilities Capabilities() const override;
  absl::Status ValidateDumpOptions(const dbdump::v1::DumpOptions& options) const override;
  absl::StatusOr<std::string> TestConnection(const dbdump::v1::DatabaseTarget& target) override;
  // pg_dump in the custom (default) or plain format, with the selective
  // options; the tables recorded are those the options select.
  absl::StatusOr<std::unique_ptr<DumpSession>> StartDump(
      const dbdump::v1::DatabaseTarget& target, const std::string& work_dir) override;
  // "globals" (pg_dumpall --globals-only) when dump_options.globals.
  std::vector<std::string> ExtraDumps(const dbdump::v1::DatabaseTarget& target) const override;
  absl::StatusOr<std::unique_ptr<DumpSession>> StartExtraDump(
      const dbdump::v1::DatabaseTarget& target, const std::string& role,
      const std::string& work_dir) override;
  // pg_restore (custom) or psql (plain) in one transaction; --clean drops
  // the dump's objects first, --jobs restores in parallel from a spooled
  // file (not one transaction). A dry run is pg_restore --list.
  absl::StatusOr<std::unique_ptr<RestoreSession>> StartRestore(
      const dbdump::v1::DatabaseTarget& target, const dbdump::v1::Manifest& manifest,
      const dbdump::v1::RestoreOptions& options, const std::string& work_dir) override;
  // "globals" before the dump when options.globals (required), "settings"
  // (the database's own settings, ACL and comment) after it unless
  // options.no_database_settings. See postgres_extras.cc.
  std::vector<RestoreExtra> RestoreExtras(const dbdump::v1::Manifest& manifest,
                                          const dbdump::v1::RestoreOptions& options) const override;
  absl::Status CheckExtra(const dbdump::v1::DatabaseTarget& target, const RestoreExtra& extra,
                          const std::string& raw,
                          const dbdump::v1::RestoreOptions& options) override;
  absl::Status ApplyExtra(const dbdump::v1::DatabaseTarget& target, const RestoreExtra& extra,
                          const std::string& raw, const dbdump::v1::RestoreOptions& options,
                          std::vector<std::string>* notes) override;
  absl::StatusOr<dbdump::v1::DatabaseTarget> ScratchTarget(
      const dbdump::v1::DatabaseTarget& target, const std::string& id,
      const std::string& work_dir) override;
  // Exact row counts (SELECT count(*)) of every user table.
  absl::StatusOr<std::vector<dbdump::v1::TableInfo>> InspectTables(
      const dbdump::v1::DatabaseTarget& target) override;
  absl::Status DropScratch(const dbdump::v1::DatabaseTarget& target) override;

  // Installed tool pairs, newest first.
  std::vector<PgTools> InstalledTools();
  // The closest installed tools whose major version is >= the server's.
  absl::StatusOr<PgTools> ToolsFor(int server_major);

 private:
  absl::StatusOr<std::unique_ptr<RestoreSession>> StartDryRun(const dbdump::v1::Manifest& manifest);
  absl::Status DropDatabase(const dbdump::v1::DatabaseTarget& target);
  // Starts `po` (argv set) with the target's connection environment and a
  // pgpass file that lives as long as the tool; its stdout is the dump.
  absl::StatusOr<std::unique_ptr<DumpSession>> StartToolDump(
      const dbdump::v1::DatabaseTarget& target, const std::string& work_dir,
      const std::string& tool, ProcessOptions po, DumpInfo info);

  PostgresEngineOptions options_;
  absl::Mutex mu_;
  std::map<std::string, std::string> version_cache_ ABSL_GUARDED_BY(mu_);
};

// conninfo fragment `dbname='...'` with quotes and backslashes escaped.
std::string QuotedDbnameConninfo(const std::string& database);

}  // namespace dbdump
