#include "common/base/log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/base/names.h"
#include "nlohmann/json.hpp"

namespace dbdump {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<bool> g_json{false};
std::atomic<bool> g_journald{false};

thread_local std::string t_job_id;
thread_local std::string t_database;

// The syslog priority journald takes from a line's "<N>" prefix.
int SyslogPriority(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return 7;
    case LogLevel::kInfo: return 6;
    case LogLevel::kWarn: return 4;
    case LogLevel::kError: return 3;
  }
  return 6;
}

const char* TextLevel(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarn: return "WARN";
    case LogLevel::kError: return "ERROR";
  }
  return "INFO";
}

}  // namespace

void ConfigureLogging(const LogOptions& options) {
  g_level.store(static_cast<int>(options.level));
  g_json.store(options.json);
  g_journald.store(options.journald);
}

LogOptions CurrentLogOptions() {
  LogOptions o;
  o.level = static_cast<LogLevel>(g_level.load());
  o.json = g_json.load();
  o.journald = g_journald.load();
  return o;
}

absl::StatusOr<LogLevel> ParseLogLevel(const std::string& name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn" || name == "warning") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown log level \"", name, "\": use debug, info, warn or error"));
}

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

bool StderrIsJournald() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  std::vector<std::string> parts = absl::StrSplit(stream, ':');
  unsigned long long dev = 0, ino = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &dev) || !absl::SimpleAtoi(parts[1], &ino)) {
    return false;
  }
  struct stat st;
  if (fstat(STDERR_FILENO, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev &&
         static_cast<unsigned long long>(st.st_ino) == ino;
}

ScopedLogFields::ScopedLogFields(std::string job_id, std::string database)
    : saved_job_id_(std::move(t_job_id)), saved_database_(std::move(t_database)) {
  t_job_id = std::move(job_id);
  t_database = std::move(database);
}

ScopedLogFields::~ScopedLogFields() {
  t_job_id = std::move(saved_job_id_);
  t_database = std::move(saved_database_);
}

void Log(LogLevel level, const std::string& component, const std::string& message) {
  if (static_cast<int>(level) < g_level.load(std::memory_order_relaxed)) return;
  // The wall clock directly, not a Clock: a log line's time is for people
  // reading it, and no logic depends on it.
  std::string line;
  if (g_json.load(std::memory_order_relaxed)) {
    nlohmann::ordered_json j;
    j["time"] = TimeToString(absl::Now());
    j["level"] = LogLevelName(level);
    j["component"] = component;
    j["message"] = message;
    if (!t_job_id.empty()) j["job_id"] = t_job_id;
    if (!t_database.empty()) j["database"] = t_database;
    // A hostile name may hold bytes that are not UTF-8: replaced, never an
    // exception out of a log call.
    line = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    line += "\n";
  } else {
    if (g_journald.load(std::memory_order_relaxed)) {
      line = absl::StrCat("<", SyslogPriority(level), ">");
    } else {
      line = absl::StrCat(TimeToString(absl::Now()), " ");
    }
    // Text lines stay as they were: their messages name the job already.
    absl::StrAppend(&line, TextLevel(level), " ", component, ": ", message, "\n");
  }
  fwrite(line.data(), 1, line.size(), stderr);  // one write: lines never interleave
}

}  // namespace dbdump
