// "job list|show|wait|cancel": the jobs the controller ran or runs.
#include "common/base/status_macros.h"
#include "controller/cli/args/cli_error.h"
#include "controller/cli/args/value_checks.h"
#include "controller/cli/client/controller_client.h"
#include "controller/cli/commands/command_context.h"
#include "controller/cli/commands/job_follow.h"
#include "controller/cli/commands/verb_table.h"
#include "controller/cli/output/formatting.h"
#include "controller/cli/output/table_printer.h"

namespace dbdump {
namespace {

// A LOST job whose outcome is still to be learned from its agent.
constexpr const char* kOutcomePending = "outcome pending: asked again when the agent answers";

std::string StateText(const v1::Job& job) {
  std::string state = JobStateName(job.state());
  return job.outcome_pending() ? state + " (outcome pending)" : state;
}

absl::Status JobList(CommandContext& context, const ParsedArgs& args) {
  v1::ListJobsRequest req;
  if (args.Has("database")) {
    req.set_database(args.Get("database"));
    RETURN_IF_ERROR(CheckName("database name", req.database()));
  }
  if (args.Has("state")) {
    const std::string state = args.Get("state");
    const std::pair<const char*, v1::JobState> states[] = {
        {"queued", v1::JOB_STATE_QUEUED},       {"running", v1::JOB_STATE_RUNNING},
        {"succeeded", v1::JOB_STATE_SUCCEEDED}, {"failed", v1::JOB_STATE_FAILED},
        {"cancelled", v1::JOB_STATE_CANCELLED}, {"lost", v1::JOB_STATE_LOST}};
    for (const auto& [name, value] : states) {
      if (state == name) req.set_state(value);
    }
    if (req.state() == v1::JOB_STATE_UNSPECIFIED) {
      return UsageError("--state is queued, running, succeeded, failed, cancelled or lost");
    }
  }
  RETURN_IF_ERROR(ApplyPageFlags(args, &req));
  ASSIGN_OR_RETURN(v1::ListJobsResponse resp, context.client().ListJobs(req));
  if (context.json()) return context.PrintJson(resp);
  TablePrinter table({"ID", "KIND", "DATABASE", "STATE", "BACKUP", "IN", "OUT", "ERROR"});
  for (const v1::Job& job : resp.jobs()) {
    table.AddRow({job.id(), JobKindName(job.kind()), job.database(), StateText(job),
                  job.backup_id(), HumanBytes(job.progress().bytes_in()),
                  HumanBytes(job.progress().bytes_out()), job.error()});
  }
  table.Print(context.out());
  PrintNextPage(context, "jobs", resp.next_page_token());
  return absl::OkStatus();
}

absl::Status JobShow(CommandContext& context, const ParsedArgs& args) {
  v1::GetJobRequest req;
  req.set_id(args.positionals()[0]);
  RETURN_IF_ERROR(CheckId("job id", req.id()));
  ASSIGN_OR_RETURN(v1::GetJobResponse resp, context.client().GetJob(req));
  if (context.json()) return context.PrintJson(resp);
  const v1::Job& job = resp.job();
  PrintFields(context.out(), {{"id", job.id()},
                              {"kind", JobKindName(job.kind())},
                              {"state", JobStateName(job.state())},
                              {"outcome", job.outcome_pending() ? kOutcomePending : ""},
                              {"database", job.database()},
                              {"agent", job.agent()},
                              {"backup", job.backup_id()},
                              {"restore target", RestoreTargetText(job)},
                              {"copy to", job.copy_storage()},
                              {"in", ExactBytes(job.progress().bytes_in())},
                              {"out", ExactBytes(job.progress().bytes_out())},
                              {"elapsed", HumanSeconds(job.progress().elapsed_s())},
                              {"created", job.created_at()},
                              {"started", job.started_at()},
                              {"finished", job.finished_at()},
                              {"error", job.error()},
                              {"lost at", job.lost_at()},
                              {"note", job.note()}});
  return absl::OkStatus();
}

absl::Status JobWait(CommandContext& context, const ParsedArgs& args) {
  const std::string& id = args.positionals()[0];
  RETURN_IF_ERROR(CheckId("job id", id));
  return FollowJobToEnd(context, id, "");
}

absl::Status JobCancel(CommandContext& context, const ParsedArgs& args) {
  v1::CancelJobRequest req;
  req.set_id(args.positionals()[0]);
  RETURN_IF_ERROR(CheckId("job id", req.id()));
  ASSIGN_OR_RETURN(v1::CancelJobResponse resp, context.client().CancelJob(req));
  if (context.json()) return context.PrintJson(resp);
  if (resp.job().state() == v1::JOB_STATE_CANCELLED) {
    context.out() << "job " << req.id() << " cancelled\n";
  } else {
    context.out() << "job " << req.id() << " is being cancelled by agent " << resp.job().agent()
                  << ": \"dbdumpctl job wait " << req.id() << "\" follows it to its end\n";
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<VerbSpec> JobVerbs() {
  VerbSpec list;
  list.noun = "job";
  list.verb = "list";
  list.flags = {ValueFlag("database", "NAME"),
                ValueFlag("state", "queued|running|succeeded|failed|cancelled|lost"),
                ValueFlag("limit", "N"), ValueFlag("page-token", "T")};
  list.run = JobList;

  VerbSpec show;
  show.noun = "job";
  show.verb = "show";
  show.positionals = {"JOB_ID"};
  show.run = JobShow;

  VerbSpec wait;
  wait.noun = "job";
  wait.verb = "wait";
  wait.positionals = {"JOB_ID"};
  wait.run = JobWait;

  VerbSpec cancel;
  cancel.noun = "job";
  cancel.verb = "cancel";
  cancel.positionals = {"JOB_ID"};
  cancel.run = JobCancel;
  return {list, show, wait, cancel};
}

}  // namespace dbdump
