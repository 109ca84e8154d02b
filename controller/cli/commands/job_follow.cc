#include "controller/cli/commands/job_follow.h"

#include "absl/strings/str_cat.h"
#include "common/base/job_state.h"
#include "common/base/status_macros.h"
#include "controller/cli/args/cli_error.h"
#include "controller/cli/client/controller_client.h"
#include "controller/cli/commands/command_context.h"
#include "controller/cli/output/formatting.h"
#include "controller/cli/output/progress_printer.h"

namespace dbdump {
namespace {

absl::Status PrintOutcome(CommandContext& context, const v1::Job& job) {
  std::ostream& out = context.out();
  if (context.json()) RETURN_IF_ERROR(context.PrintJson(job));
  if (!context.json() && job.has_restore_report()) PrintRestoreReport(out, job.restore_report());
  if (job.state() != v1::JOB_STATE_SUCCEEDED) {
    std::string message = absl::StrCat("job ", job.id(), " ", JobStateName(job.state()));
    if (!job.error().empty()) absl::StrAppend(&message, ": ", job.error());
    return JobEndedError(message);
  }
  if (context.json()) return absl::OkStatus();

  if (job.kind() == v1::JOB_KIND_RESTORE) {
    if (job.restore_options().test_restore()) {
      out << "test restore of backup " << job.backup_id() << " passed\n";
    } else if (job.restore_options().dry_run()) {
      out << "dry run of backup " << job.backup_id() << " passed: nothing was restored\n";
    } else {
      out << "restore completed into " << job.restore_target() << "\n";
    }
    return absl::OkStatus();
  }
  // Sizes come from the catalogue entry, which holds what the manifest
  // recorded; the job's counters are the fallback should that lookup fail.
  // The time is the agent's own measure, finer than the catalogue's.
  uint64_t raw = job.progress().bytes_in();
  uint64_t stored = job.progress().bytes_out();
  double seconds = job.progress().elapsed_s();
  v1::GetBackupRequest req;
  req.set_id(job.backup_id());
  absl::StatusOr<v1::GetBackupResponse> backup = context.client().GetBackup(req);
  if (backup.ok() && backup->has_backup()) {
    raw = backup->backup().manifest().raw_size_bytes();
    stored = backup->backup().manifest().stored_size_bytes();
    if (seconds <= 0) seconds = backup->backup().duration_s();
  }
  out << "backup " << job.backup_id() << " completed: " << HumanBytes(raw) << " -> "
      << HumanBytes(stored) << " (" << RatioText(raw, stored) << ") in " << FormatSeconds(seconds)
      << "s\n";
  return absl::OkStatus();
}

}  // namespace

absl::Status FollowJobToEnd(CommandContext& context, const std::string& job_id,
                            const std::string& restore_target) {
  v1::FollowJobRequest req;
  req.set_id(job_id);
  ProgressPrinter::Options progress_options;
  progress_options.out = &context.out();
  progress_options.overwrite = context.options().stdout_is_tty;
  progress_options.now = context.options().now;
  ProgressPrinter progress(progress_options);
  v1::Job last;
  bool any = false;
  absl::Status status = context.client().FollowJob(req, [&](const v1::Job& job) {
    last = job;
    any = true;
    // JSON mode prints only the final record, so stdout stays one document.
    if (!context.json()) progress.Update(job);
  });
  progress.Finish();
  if (!status.ok()) return status;
  if (!any || !IsTerminalJobState(last.state())) {
    return absl::UnavailableError(absl::StrCat("the controller stopped streaming job ", job_id,
                                               " before it finished: run \"dbdumpctl job wait ",
                                               job_id, "\" to follow it again"));
  }
  if (last.restore_target().empty()) last.set_restore_target(restore_target);
  return PrintOutcome(context, last);
}

absl::Status StartRestoreJob(CommandContext& context, const v1::StartRestoreRequest& req,
                             bool wait) {
  ASSIGN_OR_RETURN(v1::StartRestoreResponse resp, context.client().StartRestore(req));
  if (resp.job().restore_target().empty()) resp.mutable_job()->set_restore_target(req.target());
  if (context.json() && !wait) return context.PrintJson(resp);
  if (!context.json()) {
    const v1::RestoreOptions& o = req.options();
    std::string what = o.test_restore() ? "test restore"
                       : o.dry_run()    ? "dry run"
                                        : "restore";
    context.out() << what << " job " << resp.job().id() << " queued: backup " << req.backup_id();
    if (!o.test_restore() && !o.dry_run()) {
      context.out() << " into " << resp.job().restore_target();
    }
    context.out() << "\n";
  }
  if (!wait) return absl::OkStatus();
  return FollowJobToEnd(context, resp.job().id(), resp.job().restore_target());
}

}  // namespace dbdump
