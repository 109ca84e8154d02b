// "restore": puts a backup back into its database, another one, or (--dry-run)
// only checks it. ("backup test-restore" is in commands/backup.cc.)
#include "common/base/status_macros.h"
#include "controller/cli/args/cli_error.h"
#include "controller/cli/args/value_checks.h"
#include "controller/cli/commands/command_context.h"
#include "controller/cli/commands/job_follow.h"
#include "controller/cli/commands/verb_table.h"
#include "dbdump/v1/controller_service.pb.h"

namespace dbdump {
namespace {

absl::Status Restore(CommandContext& context, const ParsedArgs& args) {
  v1::StartRestoreRequest req;
  req.set_backup_id(args.positionals()[0]);
  RETURN_IF_ERROR(CheckId("backup id", req.backup_id()));
  req.set_target(args.Get("target"));
  if (args.Has("via")) {
    req.set_via_database(args.Get("via"));
    RETURN_IF_ERROR(CheckName("database name", req.via_database()));
  }
  v1::RestoreOptions* o = req.mutable_options();
  o->set_clean(args.Has("clean"));
  o->set_no_create(args.Has("no-create"));
  o->set_dry_run(args.Has("dry-run"));
  ASSIGN_OR_RETURN(uint32_t jobs, args.GetUint32("jobs", 0, 1, 64));
  o->set_jobs(jobs);
  if (o->dry_run() && (o->clean() || o->no_create() || args.Has("target"))) {
    return UsageError("--dry-run touches no database: drop --target, --clean and --no-create");
  }
  return StartRestoreJob(context, req, args.Has("wait"));
}

}  // namespace

std::vector<VerbSpec> RestoreVerbs() {
  VerbSpec restore;
  restore.noun = "restore";
  restore.positionals = {"BACKUP_ID"};
  restore.flags = {ValueFlag("target", "DBNAME_OR_PATH"),
                   ValueFlag("via", "DATABASE"),
                   SwitchFlag("clean"),
                   SwitchFlag("no-create"),
                   ValueFlag("jobs", "N"),
                   SwitchFlag("dry-run"),
                   SwitchFlag("wait")};
  // A dry run takes none of the flags that say what to do to the target.
  restore.forms = {"{target} {via} {clean} {no-create}\n{jobs} {wait}",
                   "{-dry-run} {via} {wait}"};
  restore.synopsis = "{target} {via} {clean} {no-create} {jobs} {dry-run} {wait}";
  restore.run = Restore;
  return {restore};
}

}  // namespace dbdump
