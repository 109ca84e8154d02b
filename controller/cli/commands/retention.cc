// "retention plan|set|apply": which backups a database keeps.
#include <string>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "controller/cli/args/value_checks.h"
#include "controller/cli/client/controller_client.h"
#include "controller/cli/commands/command_context.h"
#include "controller/cli/commands/flag_groups.h"
#include "controller/cli/commands/verb_table.h"
#include "controller/cli/output/formatting.h"
#include "controller/cli/output/table_printer.h"

namespace dbdump {
namespace {

absl::Status RetentionPlan(CommandContext& context, const ParsedArgs& args) {
  v1::PlanRetentionRequest req;
  req.set_database(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("database name", req.database()));
  bool any = false;
  RETURN_IF_ERROR(ParseRetention(args, req.mutable_rules(), &any));
  req.set_use_given_rules(any);
  if (args.Has("storage")) {
    req.set_storage(args.Get("storage"));
    RETURN_IF_ERROR(CheckName("storage name", req.storage()));
  }
  ASSIGN_OR_RETURN(v1::PlanRetentionResponse resp, context.client().PlanRetention(req));
  if (context.json()) return context.PrintJson(resp);
  int deleted = 0;
  uint64_t freed = 0;
  TablePrinter table({"BACKUP", "CREATED", "SIZE", "VERDICT", "WHY"});
  for (const v1::RetentionVerdict& v : resp.verdicts()) {
    std::string why = v.reason();
    for (const char* prefix : {"kept: ", "delete: "}) {
      if (why.rfind(prefix, 0) == 0) why = why.substr(std::string(prefix).size());
    }
    table.AddRow({v.backup_id(), v.created_at(), HumanBytes(v.stored_size_bytes()),
                  v.keep() ? "keep" : "delete", why});
    if (!v.keep()) {
      ++deleted;
      freed += v.stored_size_bytes();
    }
  }
  std::ostream& out = context.out();
  out << "retention of " << req.database()
      << (req.storage().empty() ? "" : " in " + req.storage()) << ": " << resp.rules() << "\n";
  table.Print(out);
  out << "dry run: " << deleted << " of " << resp.verdicts_size()
      << " backups would be deleted, freeing " << HumanBytes(freed) << "\n";
  return absl::OkStatus();
}

absl::Status RetentionSet(CommandContext& context, const ParsedArgs& args) {
  v1::SetDatabaseRetentionRequest req;
  req.set_database(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("database name", req.database()));
  bool any = false;
  RETURN_IF_ERROR(ParseRetention(args, req.mutable_rules(), &any));
  req.set_time_zone(args.Get("tz", "UTC"));
  if (args.Has("storage")) {
    req.set_storage(args.Get("storage"));
    RETURN_IF_ERROR(CheckName("storage name", req.storage()));
  }
  ASSIGN_OR_RETURN(v1::SetDatabaseRetentionResponse resp,
                   context.client().SetDatabaseRetention(req));
  if (context.json()) return context.PrintJson(resp);
  context.out() << "retention of " << req.database()
                << (req.storage().empty() ? "" : " in " + req.storage()) << ": " << resp.rules()
                << "\n";
  return absl::OkStatus();
}

absl::Status RetentionApply(CommandContext& context, const ParsedArgs& args) {
  v1::ApplyRetentionRequest req;
  req.set_database(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("database name", req.database()));
  ASSIGN_OR_RETURN(v1::ApplyRetentionResponse resp, context.client().ApplyRetention(req));
  if (context.json()) return context.PrintJson(resp);
  std::ostream& out = context.out();
  out << "retention of " << req.database() << ": " << resp.rules() << "\n";
  for (const std::string& id : resp.deleted()) out << "deleted " << id << "\n";
  for (const std::string& e : resp.errors()) out << "not deleted: " << e << "\n";
  out << resp.deleted_size() << " backup" << (resp.deleted_size() == 1 ? "" : "s")
      << " deleted\n";
  if (resp.errors_size() > 0) {
    return absl::UnavailableError(
        absl::StrCat(resp.errors_size(), " deletions failed; they are retried the next time"));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<VerbSpec> RetentionVerbs() {
  const FlagGroup retention = RetentionFlags();

  VerbSpec plan;
  plan.noun = "retention";
  plan.verb = "plan";
  plan.positionals = {"DATABASE"};
  plan.flags = {ValueFlag("storage", "COPY_STORAGE")};
  plan.flags.insert(plan.flags.end(), retention.flags.begin(), retention.flags.end());
  plan.forms = {"{storage} [retention flags]"};
  plan.synopsis = "[{-keep-last} ...]";
  plan.run = RetentionPlan;

  VerbSpec set;
  set.noun = "retention";
  set.verb = "set";
  set.positionals = {"DATABASE"};
  set.flags = {ValueFlag("tz", "ZONE"), ValueFlag("storage", "COPY_STORAGE")};
  set.flags.insert(set.flags.end(), retention.flags.begin(), retention.flags.end());
  set.forms = {"{tz} {storage} [retention flags]"};
  set.synopsis = "{tz} {storage} [{-keep-last} ...]";
  set.run = RetentionSet;

  VerbSpec apply;
  apply.noun = "retention";
  apply.verb = "apply";
  apply.positionals = {"DATABASE"};
  apply.run = RetentionApply;
  return {plan, set, apply};
}

}  // namespace dbdump
