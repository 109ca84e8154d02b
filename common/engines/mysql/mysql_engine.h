// MysqlEngine: MySQL and MariaDB through mariadb-dump (or mysqldump) out and
// the mariadb (or mysql) client in. The engine's pieces: mysql_dump.cc and
// mysql_restore.cc (its two directions), mysql_client (tool environment,
// option file, errors), mysql_catalog (what a server holds), mysql_names.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/engines/engine.h"
#include "common/engines/mysql/mysql_names.h"
#include "common/engines/private_file.h"
#include "common/process/process_runner.h"

namespace dbdump {

struct MysqlEngineOptions {
  ProcessRunner* runner = nullptr;
  // Directories searched for mariadb-dump/mariadb (or mysqldump/mysql).
  std::string search_path = "/usr/bin:/bin:/usr/local/bin";
  int connect_timeout_s = 10;
  // Where the 0600 client option file of a call without a work directory
  // (TestConnection, InspectTables, DropScratch) lives while the client
  // runs; empty = $TMPDIR or /tmp.
  std::string private_dir = "";
};

// Credentials and the default database reach the tools in a 0600 option
// file named by --defaults-file (so no other option file on the host is
// read), SQL reaches the client on stdin, and database and table names are
// positional arguments after "--": nothing a user supplies is ever parsed as
// an option, and no secret is in an argv or environment. Restores never drop
// anything unless RestoreOptions.clean asks for it: a non-empty target is
// refused before anything is touched. Thread-safe.
class MysqlEngine : public Engine {
 public:
  explicit MysqlEngine(MysqlEngineOptions options);

  dbdump::v1::Engine kind() const override { return dbdump::v1::ENGINE_MYSQL; }
  std::string ToolVersion() override;
  dbdump::v1::EngineCapabilities Capabilities() const override;
  absl::Status ValidateDumpOptions(const dbdump::v1::DumpOptions& options) const override;
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
  // The installed dump tool and client, with the dump tool's version.
  struct Tools {
    std::string dump;
    std::string client;
    std::string version;  // "mariadb-dump 10.11.19-MariaDB"
  };
  absl::StatusOr<Tools> FindTools();
  // Oracle MySQL's tools take ssl-mode; MariaDB's take ssl and
  // ssl-verify-server-cert (see mysql_client.cc).
  static bool UsesSslMode(const Tools& tools) {
    return !tools.version.empty() && tools.version.find("MariaDB") == std::string::npos;
  }
  // Runs `sql` (fed on stdin) with the client; returns its batch output.
  // `database` becomes the client's default database when not empty.
  absl::StatusOr<std::string> RunSql(const Tools& tools, const dbdump::v1::DatabaseTarget& target,
                                     const std::string& database, const std::string& sql,
                                     const std::string& dir, absl::string_view what);
  std::string PrivateDir() const;

  MysqlEngineOptions options_;
  absl::Mutex mu_;
  std::map<std::string, std::string> version_cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dbdump
