// "agent list" and "agent show": the agents registered with the
// controller; "agent enroll", "agent revoke" and "agent remove": letting an
// agent in, shutting it out, and forgetting it.
#include "common/base/status_macros.h"
#include "controller/cli/args/value_checks.h"
#include "controller/cli/client/controller_client.h"
#include "controller/cli/commands/command_context.h"
#include "controller/cli/commands/verb_table.h"
#include "controller/cli/output/formatting.h"
#include "controller/cli/output/table_printer.h"

namespace dbdump {
namespace {

// The engines an agent offers, each with its tools' version when the agent
// reported one: "mongodb (mongodump version: 100.12.2), sqlite (3.40.1)".
std::string EnginesText(const v1::Agent& agent) {
  std::string out;
  for (int engine : agent.engines()) {
    if (!out.empty()) out += ", ";
    out += EngineName(static_cast<v1::Engine>(engine));
    auto v = agent.tool_versions().find(engine);
    if (v != agent.tool_versions().end() && !v->second.empty()) {
      out += " (" + v->second + ")";
    }
  }
  return out;
}

absl::Status AgentsList(CommandContext& context, const ParsedArgs& args) {
  v1::ListAgentsRequest req;
  RETURN_IF_ERROR(ApplyPageFlags(args, &req));
  ASSIGN_OR_RETURN(v1::ListAgentsResponse resp, context.client().ListAgents(req));
  if (context.json()) return context.PrintJson(resp);
  TablePrinter table({"NAME", "ADDRESS", "VERSION", "ENGINES", "ONLINE", "LAST HEARTBEAT"});
  for (const v1::Agent& agent : resp.agents()) {
    table.AddRow({agent.name(), agent.address(), agent.version(), EnginesText(agent),
                  agent.revoked() ? "revoked" : agent.online() ? "yes" : "no",
                  agent.last_heartbeat()});
  }
  table.Print(context.out());
  PrintNextPage(context, "agents", resp.next_page_token());
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

absl::Status AgentShow(CommandContext& context, const ParsedArgs& args) {
  v1::GetAgentRequest req;
  req.set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("agent name", req.name()));
  ASSIGN_OR_RETURN(v1::GetAgentResponse resp, context.client().GetAgent(req));
  if (context.json()) return context.PrintJson(resp);
  const v1::Agent& a = resp.agent();
  PrintFields(context.out(), {{"name", a.name()},
                              {"address", a.address()},
                              {"version", a.version()},
                              {"engines", EnginesText(a)},
                              {"online", a.revoked() ? "revoked" : a.online() ? "yes" : "no"},
                              {"last heartbeat", a.last_heartbeat()},
                              {"registered", a.registered_at()}});
  return absl::OkStatus();
}

absl::Status AgentRemove(CommandContext& context, const ParsedArgs& args) {
  v1::DeleteAgentRequest req;
  req.set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("agent name", req.name()));
  ASSIGN_OR_RETURN(v1::DeleteAgentResponse resp, context.client().DeleteAgent(req));
  if (context.json()) return context.PrintJson(resp);
  context.out() << "agent \"" << req.name() << "\" removed (" << resp.certificates_revoked()
                << " certificate(s) revoked); enroll it again to bring it back\n";
  return absl::OkStatus();
}

}  // namespace

std::vector<VerbSpec> AgentVerbs() {
  VerbSpec list;
  list.noun = "agent";
  list.verb = "list";
  list.flags = {ValueFlag("limit", "N"), ValueFlag("page-token", "T")};
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
  VerbSpec show;
  show.noun = "agent";
  show.verb = "show";
  show.positionals = {"NAME"};
  show.run = AgentShow;
  VerbSpec remove;
  remove.noun = "agent";
  remove.verb = "remove";
  remove.positionals = {"NAME"};
  remove.run = AgentRemove;
  return {list, enroll, revoke, show, remove};
}

}  // namespace dbdump
