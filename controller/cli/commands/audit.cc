// "audit list|verify": who did what, and whether the hash-chained log is
// intact.
#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "controller/cli/args/cli_error.h"
#include "controller/cli/client/controller_client.h"
#include "controller/cli/commands/command_context.h"
#include "controller/cli/commands/verb_table.h"
#include "controller/cli/output/table_printer.h"

namespace dbdump {
namespace {

absl::Status AuditList(CommandContext& context, const ParsedArgs& args) {
  v1::ListAuditEntriesRequest req;
  req.set_actor(args.Get("actor"));
  req.set_rpc_contains(args.Get("rpc"));
  req.set_outcome(args.Get("outcome"));
  req.set_since(args.Get("since"));
  req.set_until(args.Get("until"));
  ASSIGN_OR_RETURN(uint32_t limit, args.GetUint32("limit", 100, 1, 1000));
  req.set_limit(limit);
  ASSIGN_OR_RETURN(v1::ListAuditEntriesResponse resp, context.client().ListAuditEntries(req));
  if (context.json()) return context.PrintJson(resp);
  TablePrinter table({"SEQ", "AT", "ACTOR", "PEER", "RPC", "TARGET", "OUTCOME"});
  for (const v1::AuditEntry& e : resp.entries()) {
    std::string rpc = e.rpc();
    size_t slash = rpc.rfind('/');
    if (slash != std::string::npos) rpc = rpc.substr(slash + 1);
    table.AddRow({std::to_string(e.seq()), e.at(), e.actor(), e.peer(), rpc, e.target(),
                  e.outcome()});
  }
  table.Print(context.out());
  return absl::OkStatus();
}

absl::Status AuditVerify(CommandContext& context, const ParsedArgs&) {
  ASSIGN_OR_RETURN(v1::VerifyAuditLogResponse resp,
                   context.client().VerifyAuditLog(v1::VerifyAuditLogRequest()));
  if (context.json()) {
    RETURN_IF_ERROR(context.PrintJson(resp));
  } else if (resp.problems().empty()) {
    context.out() << "audit log intact: " << resp.entries_checked() << " entries, every hash "
                  << "and link checked\n";
  } else {
    for (const v1::AuditProblem& p : resp.problems()) context.out() << p.what() << "\n";
  }
  if (!resp.problems().empty()) {
    return absl::DataLossError(absl::StrCat("the audit log was tampered with: ",
                                            resp.problems_size(), " problem(s), first at entry ",
                                            resp.problems(0).seq()));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<VerbSpec> AuditVerbs() {
  VerbSpec list;
  list.noun = "audit";
  list.verb = "list";
  list.flags = {ValueFlag("actor", "token:NAME|agent:NAME"), ValueFlag("rpc", "TEXT"),
                ValueFlag("outcome", "ok|PERMISSION_DENIED|..."), ValueFlag("since", "RFC3339"),
                ValueFlag("until", "RFC3339"), ValueFlag("limit", "N")};
  list.run = AuditList;
  VerbSpec verify;
  verify.noun = "audit";
  verify.verb = "verify";
  verify.run = AuditVerify;
  return {list, verify};
}

}  // namespace dbdump
