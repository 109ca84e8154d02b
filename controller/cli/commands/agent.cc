// "agents list": the agents registered with the controller.
#include "common/base/status_macros.h"
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
                  agent.online() ? "yes" : "no", agent.last_heartbeat()});
  }
  table.Print(context.out());
  return absl::OkStatus();
}

}  // namespace

std::vector<VerbSpec> AgentVerbs() {
  VerbSpec list;
  list.noun = "agents";
  list.verb = "list";
  list.run = AgentsList;
  return {list};
}

}  // namespace dbdump
