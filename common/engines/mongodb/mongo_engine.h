// MongoEngine: mongodump --archive out, mongorestore --archive in. Its pieces:
// mongo_dump.cc, mongo_connection (how the tools reach the server and their
// errors), the dump and restore sessions, mongo_names.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/engines/engine.h"
#include "common/engines/mongodb/mongo_names.h"
#include "common/process/process_runner.h"

namespace dbdump {

struct MongoEngineOptions {
  ProcessRunner* runner = nullptr;
  // Directories searched for mongodump and mongorestore.
  std::string search_path = "/usr/bin:/bin:/usr/local/bin";
  int connect_timeout_s = 10;
  // Private directory for the config file of TestConnection (dumps and
  // restores use the job's work directory); empty = /tmp.
  std::string work_dir;
};

// Backs up with the MongoDB Database Tools (100.3.0 or newer): mongodump
// writes one archive to stdout, mongorestore reads it from stdin. dbdump
// compresses, so mongodump's --gzip is never used.
//
// Credentials: the password goes only into a 0600 YAML file passed with
// --config (the tools' own way to take it off the command line), removed when
// the tool ends; the connection string in argv carries host and port only,
// the user goes as --username=VALUE. Database, collection and user names are
// always passed as the value of a single --option=VALUE argument, so none can
// be parsed as an option. The child's environment is PATH and LC_ALL only.
//
// What the archive says about itself (server and tool version, the
// namespaces it holds) is read from its prelude as it streams past; the
// namespaces go into the manifest as tables ("db.collection", rows -1) and
// tell a restore which database to rename with --nsFrom/--nsTo. A restore
// also checks the prelude before mongorestore sees a byte: an archive holding
// another database than the manifest says is refused.
//
// The server itself is asked through the MongoDB C driver (mongo_client):
// its version for a connection test, and, for a test restore, the
// collections of the scratch database ("dbdump_scratch_<job>") with their
// document counts, and dropping it again.
//
// Not supported, with a clear error: no_create (the server creates a
// database on its first write). Without `clean` a restore stops at the first
// conflicting document (--stopOnError); documents inserted before it stay, as
// mongorestore has no transaction.
//
// Thread-safe.
class MongoEngine : public Engine {
 public:
  explicit MongoEngine(MongoEngineOptions options);

  dbdump::v1::Engine kind() const override { return dbdump::v1::ENGINE_MONGODB; }
  // mongodump's version when mongodump and mongorestore (100.3.0 or newer)
  // are both installed, else empty: the engine is then unavailable.
  std::string ToolVersion() override;
  dbdump::v1::EngineCapabilities Capabilities() const override;
  absl::Status ValidateDumpOptions(const dbdump::v1::DumpOptions& options) const override;
  // Checks that mongodump and mongorestore are installed, then connects
  // and authenticates through the C driver and returns the server's version;
  // with a database, also checks that the user can list its collections.
  absl::StatusOr<std::string> TestConnection(const dbdump::v1::DatabaseTarget& target) override;
  absl::StatusOr<std::unique_ptr<DumpSession>> StartDump(
      const dbdump::v1::DatabaseTarget& target, const std::string& work_dir) override;
  absl::StatusOr<std::unique_ptr<RestoreSession>> StartRestore(
      const dbdump::v1::DatabaseTarget& target, const dbdump::v1::Manifest& manifest,
      const dbdump::v1::RestoreOptions& options, const std::string& work_dir) override;
  absl::StatusOr<dbdump::v1::DatabaseTarget> ScratchTarget(
      const dbdump::v1::DatabaseTarget& target, const std::string& id,
      const std::string& work_dir) override;
  absl::StatusOr<std::vector<dbdump::v1::TableInfo>> InspectTables(
      const dbdump::v1::DatabaseTarget& target) override;
  absl::Status DropScratch(const dbdump::v1::DatabaseTarget& target) override;

 private:
  struct Tool {
    std::string path;
    std::string version;  // e.g. "100.9.4"
  };
  // The installed tool, new enough to take --config.
  absl::StatusOr<Tool> FindTool(const std::string& name);
  // `<tool> --version`, cached per path; empty when it cannot be run.
  std::string VersionOf(const std::string& path);

  MongoEngineOptions options_;
  absl::Mutex mu_;
  std::map<std::string, std::string> version_cache_ ABSL_GUARDED_BY(mu_);
  // Scratch database -> the database its test restore renamed into it, so
  // that InspectTables names collections as the backup's manifest does.
  std::map<std::string, std::string> scratch_sources_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dbdump
