#include "controller/cli/commands/job_follow.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "common/base/job_state.h"
#include "common/base/status_macros.h"
#include "controller/cli/args/cli_error.h"
#include "controller/cli/client/controller_client.h"
#include "controller/cli/commands/command_context.h"
#include "controller/cli/output/formatting.h"
#include "controller/cli/output/progress_bar.h"

namespace dbdump {
namespace {

absl::Status PrintOutcome(CommandContext& context, const v1::Job& job) {
  std::ostream& out = context.out();
  if (context.json()) RETURN_IF_ERROR(context.PrintJson(job));
  if (!context.json() && job.has_restore_report()) PrintRestoreReport(out, job.restore_report());
  // How the outcome was learned, when not as it happened (after lost contact).
  if (!context.json() && !job.note().empty()) out << "note: " << job.note() << "\n";
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
      << HumanBytes(stored) << " (" << RatioText(raw, stored) << ") in " << HumanSeconds(seconds)
      << "\n";
  return absl::OkStatus();
}

// What a job's progress (bytes_in) counts towards: a restore, dry run or
// test restore reads its backup's stored bytes; a backup reads the dump,
// whose size is guessed from the last completed backup of the database.
// Unknown (0) when the lookup fails: the bar then shows bytes and rate only,
// so its errors are not the command's.
ProgressBar::Progress ProgressTotal(CommandContext& context, const v1::Job& job) {
  ProgressBar::Progress total;
  if (job.kind() == v1::JOB_KIND_RESTORE && !job.backup_id().empty()) {
    v1::GetBackupRequest req;
    req.set_id(job.backup_id());
    absl::StatusOr<v1::GetBackupResponse> resp = context.client().GetBackup(req);
    if (resp.ok()) total.total_bytes = resp->backup().manifest().stored_size_bytes();
  } else if (job.kind() == v1::JOB_KIND_BACKUP && !job.database().empty()) {
    v1::ListBackupsRequest req;
    req.set_database(job.database());
    req.set_state(v1::BACKUP_STATE_COMPLETED);
    req.set_page_size(1);
    absl::StatusOr<v1::ListBackupsResponse> resp = context.client().ListBackups(req);
    if (resp.ok() && resp->backups_size() > 0) {
      total.total_bytes = resp->backups(0).manifest().raw_size_bytes();
      total.total_estimated = true;
    }
  }
  return total;
}

}  // namespace

absl::Status FollowJobToEnd(CommandContext& context, const std::string& job_id,
                            const std::string& restore_target) {
  v1::FollowJobRequest req;
  req.set_id(job_id);
  ProgressBar::Options bar_options;
  bar_options.out = &context.err();
  bar_options.terminal = context.options().stderr_is_tty;
  bar_options.columns = context.options().terminal_columns;
  bar_options.now = context.options().now;
  ProgressBar bar(bar_options);
  std::optional<ProgressBar::Progress> total;
  v1::Job last;
  bool any = false;
  absl::Status status = context.client().FollowJob(req, [&](const v1::Job& job) {
    last = job;
    any = true;
    // JSON mode prints only the final record, so stdout stays one document.
    if (context.json()) return;
    if (!total.has_value() && job.kind() != v1::JOB_KIND_UNSPECIFIED) {
      total = ProgressTotal(context, job);
    }
    ProgressBar::Progress progress = total.value_or(ProgressBar::Progress());
    progress.state = JobStateName(job.state());
    progress.done_bytes = job.progress().bytes_in();
    bar.Update(progress);
  });
  bar.Finish();
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
