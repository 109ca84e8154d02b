// Following a job the controller runs, for every verb that can wait for one
// ("backup run --wait", "restore --wait", "schedule run --wait", "job wait"),
// and starting restore jobs, which "restore" and "backup test-restore" share.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace dbdump {

namespace v1 {
class StartRestoreRequest;
}  // namespace v1

class CommandContext;

// Follows the job to its end, showing progress, then prints the outcome.
// A job that ends other than succeeded yields a JobEndedError.
// `restore_target` is what was asked for, in case the job record lacks it.
absl::Status FollowJobToEnd(CommandContext& context, const std::string& job_id,
                            const std::string& restore_target);

// Starts the restore job `req` asks for, says so, and follows it when `wait`.
absl::Status StartRestoreJob(CommandContext& context, const v1::StartRestoreRequest& req,
                             bool wait);

}  // namespace dbdump
