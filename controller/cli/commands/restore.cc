// "restore": puts a backup back into its database, another one, or (--dry-run)
// only checks it. ("backup test-restore" is in commands/backup.cc.)
#include "absl/strings/str_cat.h"
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
  if (args.Has("from-storage")) {
    req.set_from_storage(args.Get("from-storage"));
    RETURN_IF_ERROR(CheckName("storage name", req.from_storage()));
  }
  v1::RestoreOptions* o = req.mutable_options();
  o->set_clean(args.Has("clean"));
  o->set_no_create(args.Has("no-create"));
  o->set_dry_run(args.Has("dry-run"));
  if (args.Has("identity")) {
    o->set_identity_ref(args.Get("identity"));
    RETURN_IF_ERROR(CheckIdentityRef(o->identity_ref()));
  }
  ASSIGN_OR_RETURN(uint32_t jobs, args.GetUint32("jobs", 0, 1, 64));
  o->set_jobs(jobs);
  o->set_no_owner(args.Has("no-owner"));
  o->set_no_privileges(args.Has("no-privileges"));
  o->set_no_database_settings(args.Has("no-database-settings"));
  if (args.Has("owner")) {
    o->set_owner(args.Get("owner"));
    RETURN_IF_ERROR(CheckRoleName("--owner", o->owner()));
  }
  if (args.Has("definers")) {
    const std::string& d = args.Get("definers");
    if (d == "current-user") {
      o->set_definers(v1::DEFINER_MODE_CURRENT_USER);
    } else if (d != "keep") {
      return UsageError(absl::StrCat("unknown --definers=", d,
                                     ": use keep (default: fail on a definer the target lacks) "
                                     "or current-user (objects defined by the restoring user)"));
    }
  }
  if (args.Has("globals")) {
    const std::string& g = args.Get("globals");
    if (g.empty() || g == "missing") {
      o->set_globals(v1::GLOBALS_MODE_MISSING);
    } else if (g == "replace") {
      o->set_globals(v1::GLOBALS_MODE_REPLACE);
    } else {
      return UsageError(absl::StrCat(
          "unknown --globals=", g,
          ": use --globals (create missing roles, keep existing ones as they are) or "
          "--globals=replace (also give existing roles the backup's passwords and attributes)"));
    }
  }
  bool changes_target = o->clean() || o->no_create() || args.Has("target") || o->no_owner() ||
                        o->no_privileges() || !o->owner().empty() ||
                        o->definers() != v1::DEFINER_MODE_UNSPECIFIED ||
                        o->globals() != v1::GLOBALS_MODE_UNSPECIFIED || o->no_database_settings();
  if (o->dry_run() && changes_target) {
    return UsageError(
        "--dry-run touches no database: drop the flags that say how to restore (--target, "
        "--clean, --no-create, --no-owner, --no-privileges, --owner, --definers, --globals, "
        "--no-database-settings)");
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
                   ValueFlag("from-storage", "STORAGE"),
                   SwitchFlag("clean"),
                   SwitchFlag("no-create"),
                   SwitchFlag("no-owner"),
                   SwitchFlag("no-privileges"),
                   ValueFlag("owner", "ROLE"),
                   OptionalValueFlag("globals", "replace"),
                   SwitchFlag("no-database-settings"),
                   ValueFlag("definers", "keep|current-user"),
                   ValueFlag("jobs", "N"),
                   SwitchFlag("dry-run"),
                   ValueFlag("identity", "file:/path|env:NAME"),
                   SwitchFlag("wait")};
  // A dry run takes none of the flags that say what to do to the target.
  restore.forms = {
      "{target} {via} {from-storage} {clean} {no-create} {jobs} {identity} {wait}\n"
      "PostgreSQL: {no-owner} {no-privileges} {owner} {globals} {no-database-settings}\n"
      "MySQL/MariaDB: {definers}",
      "{-dry-run} {via} {from-storage} {identity} {wait}"};
  restore.synopsis =
      "{target} {via} {from-storage} {clean} {no-create} {jobs} {dry-run} {identity} {wait} "
      "{no-owner} {no-privileges} "
      "{owner} {globals} {no-database-settings} {definers}";
  restore.run = Restore;
  return {restore};
}

}  // namespace dbdump
