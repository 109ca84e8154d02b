// Engine: what the agent needs from each database engine.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/sink.h"
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
};

// A restore in progress: the raw dump is written into sink(); Finish() waits
// for the engine to apply it. Not thread-safe, except Cancel().
class RestoreSession {
 public:
  virtual ~RestoreSession() = default;
  virtual Sink* sink() = 0;
  virtual absl::Status Finish() = 0;
  virtual void Cancel() = 0;
};

// One database engine (PostgresEngine, SqliteEngine). Thread-safe.
class Engine {
 public:
  virtual ~Engine() = default;
  virtual dbdump::v1::Engine kind() const = 0;
  // Version of the dump tool, empty if it is not installed.
  virtual std::string ToolVersion() = 0;
  // Connects to the target and returns the server version.
  virtual absl::StatusOr<std::string> TestConnection(const dbdump::v1::DatabaseTarget& target) = 0;
  // Starts dumping `target`. `work_dir` holds short-lived private files.
  virtual absl::StatusOr<std::unique_ptr<DumpSession>> StartDump(
      const dbdump::v1::DatabaseTarget& target, const std::string& work_dir) = 0;
  // Starts restoring into `target` (database name or file path as the engine
  // defines), creating it if missing.
  virtual absl::StatusOr<std::unique_ptr<RestoreSession>> StartRestore(
      const dbdump::v1::DatabaseTarget& target, const dbdump::v1::Manifest& manifest,
      const std::string& work_dir) = 0;
  // File name extension of the raw dump ("pgdump", "sqlite").
  virtual std::string Extension() const = 0;
  // Human-readable dump format for the manifest.
  virtual std::string DumpFormat() const = 0;
};

}  // namespace dbdump
