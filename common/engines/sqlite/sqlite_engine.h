// SqliteEngine: online backup API snapshot out, verified file in.
#pragma once

#include "common/engines/engine.h"

namespace dbdump {

// Backs up a SQLite file with the online backup API into a private snapshot
// in the work directory (the API needs a database to copy into), checks it
// and streams it; the snapshot is unlinked as soon as it is open, so nothing
// is left on disk even if the agent dies. A restore writes a new file next
// to the target, checks its integrity and only then links it into place; an
// existing target is never overwritten. Thread-safe.
class SqliteEngine : public Engine {
 public:
  dbdump::v1::Engine kind() const override { return dbdump::v1::ENGINE_SQLITE; }
  std::string ToolVersion() override;
  dbdump::v1::EngineCapabilities Capabilities() const override;
  absl::Status ValidateDumpOptions(const dbdump::v1::DumpOptions& options) const override;
  absl::StatusOr<std::string> TestConnection(const dbdump::v1::DatabaseTarget& target) override;
  absl::StatusOr<std::unique_ptr<DumpSession>> StartDump(
      const dbdump::v1::DatabaseTarget& target, const std::string& work_dir) override;
  // An existing target is replaced (atomically) only with options.clean;
  // a dry run writes into the work directory, checks and removes the file.
  std::vector<std::string> RestoreTempFiles(const dbdump::v1::DatabaseTarget& target,
                                            const dbdump::v1::Manifest& manifest,
                                            const dbdump::v1::RestoreOptions& options) const override;
  absl::StatusOr<std::unique_ptr<RestoreSession>> StartRestore(
      const dbdump::v1::DatabaseTarget& target, const dbdump::v1::Manifest& manifest,
      const dbdump::v1::RestoreOptions& options, const std::string& work_dir) override;
  // Scratch copies live in the agent's work directory.
  absl::StatusOr<dbdump::v1::DatabaseTarget> ScratchTarget(
      const dbdump::v1::DatabaseTarget& target, const std::string& id,
      const std::string& work_dir) override;
  absl::StatusOr<std::vector<dbdump::v1::TableInfo>> InspectTables(
      const dbdump::v1::DatabaseTarget& target) override;
  absl::Status DropScratch(const dbdump::v1::DatabaseTarget& target) override;
};

}  // namespace dbdump
