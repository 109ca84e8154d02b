// The verbs of dbdumpctl. Each method takes the already parsed arguments of
// its command, checks their values (usage errors), calls the controller and
// prints the answer as a table or as JSON. Errors from the controller are
// returned unchanged for Cli to print on stderr. The "s3" verbs open the
// bucket themselves and never call the controller. Not thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controller/cli/parsed_args.h"
#include "dbdump/v1/controller_service.pb.h"

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace dbdump {

namespace v1 {
class Job;
class Schedule;
class StorageDestination;
}  // namespace v1

class ControllerClient;
class Storage;

// Opens the storage a destination names; OpenStorage outside tests.
using StorageOpener = std::function<absl::StatusOr<std::unique_ptr<Storage>>(
    const v1::StorageDestination& destination)>;

enum class OutputFormat { kTable, kJson };

class Commands {
 public:
  struct Options {
    // Called on the first call to the controller, so a command line found
    // wrong while checking its values never opens a channel.
    std::function<std::unique_ptr<ControllerClient>()> connect;
    std::ostream* out = nullptr;
    // Warnings that must not mix with a table or JSON on `out`.
    std::ostream* err = nullptr;
    OutputFormat format = OutputFormat::kTable;
    // Progress of followed jobs is redrawn in place on a terminal.
    bool stdout_is_tty = false;
    std::function<absl::Time()> now;
    // Opens the bucket of the s3 verbs; defaults to OpenStorage, after
    // checking dbdumpctl has credentials.
    StorageOpener open_storage;
    // "s3 restore" turns SIGINT/SIGTERM into cancelling the restore.
    bool handle_interrupts = false;
  };

  explicit Commands(Options options);
  ~Commands();

  absl::Status AgentsList(const ParsedArgs& args);
  absl::Status DatabaseAdd(const ParsedArgs& args);
  absl::Status DatabaseList(const ParsedArgs& args);
  absl::Status DatabaseRemove(const ParsedArgs& args);
  absl::Status StorageAdd(const ParsedArgs& args);
  absl::Status StorageList(const ParsedArgs& args);
  absl::Status StorageRemove(const ParsedArgs& args);
  absl::Status BackupRun(const ParsedArgs& args);
  absl::Status BackupList(const ParsedArgs& args);
  absl::Status BackupShow(const ParsedArgs& args);
  absl::Status Restore(const ParsedArgs& args);
  absl::Status BackupTestRestore(const ParsedArgs& args);
  absl::Status StartRestoreJob(const dbdump::v1::StartRestoreRequest& req, bool wait);
  absl::Status JobList(const ParsedArgs& args);
  absl::Status JobShow(const ParsedArgs& args);
  absl::Status JobWait(const ParsedArgs& args);
  absl::Status S3List(const ParsedArgs& args);
  absl::Status S3Restore(const ParsedArgs& args);
  // Schedules, retention, statistics (schedule_commands.cc).
  absl::Status ScheduleAdd(const ParsedArgs& args);
  absl::Status ScheduleList(const ParsedArgs& args);
  absl::Status ScheduleShow(const ParsedArgs& args);
  absl::Status ScheduleNext(const ParsedArgs& args);
  absl::Status ScheduleEnable(const ParsedArgs& args);
  absl::Status ScheduleDisable(const ParsedArgs& args);
  absl::Status ScheduleRun(const ParsedArgs& args);
  absl::Status ScheduleRemove(const ParsedArgs& args);
  absl::Status RetentionPlan(const ParsedArgs& args);
  absl::Status RetentionApply(const ParsedArgs& args);
  absl::Status RetentionSet(const ParsedArgs& args);
  absl::Status BackupVerify(const ParsedArgs& args);
  absl::Status Stats(const ParsedArgs& args);
  absl::Status Health(const ParsedArgs& args);

 private:
  ControllerClient& client();
  bool json() const { return options_.format == OutputFormat::kJson; }
  absl::Status PrintJson(const google::protobuf::Message& message);
  // Follows the job to its end, showing progress, then prints the outcome.
  // A job that ends other than succeeded yields a JobEndedError.
  // `restore_target` is what was asked for, in case the job record lacks it.
  absl::Status Follow(const std::string& job_id, const std::string& restore_target);
  absl::Status PrintOutcome(const v1::Job& job);
  absl::Status PrintSchedule(const v1::Schedule& schedule);
  absl::Status SetEnabled(const ParsedArgs& args, bool enabled);

  Options options_;
  std::unique_ptr<ControllerClient> client_;
};

}  // namespace dbdump
