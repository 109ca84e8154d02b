// "agent list": the agents registered with the controller; "agent enroll"
// and "agent revoke": letting an agent in, and shutting it out.
#include "common/base/status_macros.h"
#include "controller/cli/args/value_checks.h"
#include "controller/cli/client/controller_client.h"
#include "controller/cli/commands/command_context.h"
#include "controller/cli/commands/verb_table.h"
#include "controller/cli/output/formatting.h"
#include "controller/cli/output/table_printer.h"

namespace dbdump {
namespace {

absl::Status AgentsList(CommandContext& context, const ParsedArgs&) {
  ASSIGN_OR_RETURN(v1::ListAgentsResponse resp,
                   context.client().ListAgents(v1::ListAgentsRequest()));
  if (context.json()) return context.PrintJson(resp);
  TablePrinter table({"NAME", "ADDRESS", "VERSION", "ENGINES", "ONLINE", "LAST HEARTBEAT"});
  for (const v1::Agent& agent : resp.agents()) {
    std::string engines;
    for (int engine : agent.engines()) {
      if (!engines.empty()) engines += ",";
      engines += EngineName(static_cast<v1::Engine>(engine));
    }
    table.AddRow({agent.name(), agent.address(), agent.version(), engines,
                  agent.revoked() ? "revoked" : agent.online() ? "yes" : "no",
                  agent.last_heartbeat()});
  }
  table.Print(context.out());
  return absl::OkStatus();
}

absl::Status AgentEnroll(CommandContext& context, const ParsedArgs& args) {
  v1::CreateJoinTokenRequest req;
  req.set_agent_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("agent name", req.agent_name()));
  ASSIGN_OR_RETURN(uint32_t ttl, args.GetUint32("ttl-minutes", 60, 1, 7 * 24 * 60));
  req.set_ttl_minutes(ttl);
  ASSIGN_OR_RETURN(v1::CreateJoinTokenResponse resp, context.client().CreateJoinToken(req));
  if (context.json()) return context.PrintJson(resp);
  context.out() << "join token for agent \"" << req.agent_name() << "\" (single use, expires "
                << resp.expires_at() << "):\n"
                << resp.join_token() << "\n\n"
                << "On the agent's host, keep it out of the command line:\n"
                << "  read -rs DBDUMP_JOIN_TOKEN && export DBDUMP_JOIN_TOKEN   # paste it\n"
                << "  dbdump-agent --join=env:DBDUMP_JOIN_TOKEN --controller="
                << context.controller_address() << " --ca-fingerprint=" << resp.ca_fingerprint()
                << " --listen=HOST:PORT\n";
  return absl::OkStatus();
}

absl::Status AgentRevoke(CommandContext& context, const ParsedArgs& args) {
  v1::RevokeAgentRequest req;
  req.set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("agent name", req.name()));
  ASSIGN_OR_RETURN(v1::RevokeAgentResponse resp, context.client().RevokeAgent(req));
  if (context.json()) return context.PrintJson(resp);
  context.out() << "agent \"" << req.name() << "\" revoked (" << resp.certificates_revoked()
                << " certificate(s)); enroll it again to let it back in\n";
  return absl::OkStatus();
}

}  // namespace

std::vector<VerbSpec> AgentVerbs() {
  VerbSpec list;
  list.noun = "agent";
  list.verb = "list";
  list.run = AgentsList;
  VerbSpec enroll;
  enroll.noun = "agent";
  enroll.verb = "enroll";
  enroll.positionals = {"NAME"};
  enroll.flags = {ValueFlag("ttl-minutes", "N")};
  enroll.run = AgentEnroll;
  VerbSpec revoke;
  revoke.noun = "agent";
  revoke.verb = "revoke";
  revoke.positionals = {"NAME"};
  revoke.run = AgentRevoke;
  return {list, enroll, revoke};
}

}  // namespace dbdump
