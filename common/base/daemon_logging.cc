#include "common/base/daemon_logging.h"

#include "absl/strings/str_cat.h"
#include "common/base/log.h"

namespace dbdump {

void DefineLoggingFlags(Flags* flags) {
  flags->Define("log_level", "info", "lowest level logged: debug, info, warn or error");
  flags->Define("log_format", "text",
                "text (one line each; under journald without the time, which it adds) or json "
                "(one object per line: time, level, component, message, job_id, database)");
}

absl::Status ApplyLoggingFlags(const Flags& flags) {
  absl::StatusOr<LogLevel> level = ParseLogLevel(flags.Get("log_level"));
  if (!level.ok()) return level.status();
  const std::string format = flags.Get("log_format");
  if (format != "text" && format != "json") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown --log-format \"", format, "\": use text or json"));
  }
  LogOptions o;
  o.level = *level;
  o.json = format == "json";
  o.journald = StderrIsJournald();
  ConfigureLogging(o);
  return absl::OkStatus();
}

}  // namespace dbdump
