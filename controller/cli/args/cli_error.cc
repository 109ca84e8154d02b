#include "controller/cli/args/cli_error.h"

#include "absl/strings/cord.h"

namespace dbdump {
namespace {

constexpr absl::string_view kKindUrl = "type.dbdump.dev/cli.error_kind";
constexpr absl::string_view kUsage = "usage";
constexpr absl::string_view kJobEnded = "job_ended";
constexpr absl::string_view kReportedProblem = "reported_problem";

absl::Status Tagged(absl::StatusCode code, absl::string_view message, absl::string_view kind) {
  absl::Status status(code, message);
  status.SetPayload(kKindUrl, absl::Cord(kind));
  return status;
}

bool HasKind(const absl::Status& status, absl::string_view kind) {
  auto payload = status.GetPayload(kKindUrl);
  return payload.has_value() && *payload == kind;
}

}  // namespace

absl::Status UsageError(absl::string_view message) {
  return Tagged(absl::StatusCode::kInvalidArgument, message, kUsage);
}

bool IsUsageError(const absl::Status& status) { return HasKind(status, kUsage); }

absl::Status JobEndedError(absl::string_view message) {
  return Tagged(absl::StatusCode::kAborted, message, kJobEnded);
}

bool IsJobEndedError(const absl::Status& status) { return HasKind(status, kJobEnded); }

absl::Status ReportedProblemError(absl::string_view message) {
  return Tagged(absl::StatusCode::kFailedPrecondition, message, kReportedProblem);
}

bool IsReportedProblemError(const absl::Status& status) {
  return HasKind(status, kReportedProblem);
}

}  // namespace dbdump
