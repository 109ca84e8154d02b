// Errors the CLI raises itself, tagged so RunCli can pick the exit code and
// the way the message is printed without guessing from the status code (the
// controller may answer INVALID_ARGUMENT too, which is not a usage error).
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace dbdump {

// The command line is wrong: printed as "dbdumpctl: error: ...", exit code 2.
absl::Status UsageError(absl::string_view message);
bool IsUsageError(const absl::Status& status);

// A followed job ended other than succeeded: printed to stderr as is, exit code 1.
absl::Status JobEndedError(absl::string_view message);
bool IsJobEndedError(const absl::Status& status);

// The command printed its answer and the answer is bad news (health
// degraded): the message goes to stderr as is, exit code 1, so scripts and
// probes can test the exit code.
absl::Status ReportedProblemError(absl::string_view message);
bool IsReportedProblemError(const absl::Status& status);

}  // namespace dbdump
