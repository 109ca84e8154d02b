// Log: one line per event on stderr, as text or JSON. Never pass a secret.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace dbdump {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

struct LogOptions {
  // Lines below this level are dropped.
  LogLevel level = LogLevel::kInfo;
  // One JSON object per line: time, level, component, message, and job_id /
  // database where the line belongs to a job.
  bool json = false;
  // Text lines start with the time, unless stderr goes to journald (which
  // stamps every line itself): then they start with the syslog priority
  // ("<6>") journald reads the level from, and carry no time.
  bool journald = false;
};

// Applies from the next line on; thread-safe (SIGHUP changes the level).
void ConfigureLogging(const LogOptions& options);
LogOptions CurrentLogOptions();

// "debug", "info", "warn" or "error".
absl::StatusOr<LogLevel> ParseLogLevel(const std::string& name);
const char* LogLevelName(LogLevel level);
// Whether stderr is the stream systemd's journald gave the process
// (JOURNAL_STREAM names its device and inode).
bool StderrIsJournald();

// Writes one line, thread-safe.
void Log(LogLevel level, const std::string& component, const std::string& message);

// The job (and database) the lines logged on this thread belong to while
// it exists; restores the previous ones when it goes.
class ScopedLogFields {
 public:
  ScopedLogFields(std::string job_id, std::string database);
  ~ScopedLogFields();
  ScopedLogFields(const ScopedLogFields&) = delete;
  ScopedLogFields& operator=(const ScopedLogFields&) = delete;

 private:
  std::string saved_job_id_;
  std::string saved_database_;
};

template <typename... Args>
void LogDebug(const std::string& component, const Args&... args) {
  Log(LogLevel::kDebug, component, absl::StrCat(args...));
}
template <typename... Args>
void LogInfo(const std::string& component, const Args&... args) {
  Log(LogLevel::kInfo, component, absl::StrCat(args...));
}
template <typename... Args>
void LogWarn(const std::string& component, const Args&... args) {
  Log(LogLevel::kWarn, component, absl::StrCat(args...));
}
template <typename... Args>
void LogError(const std::string& component, const Args&... args) {
  Log(LogLevel::kError, component, absl::StrCat(args...));
}

}  // namespace dbdump
