// "stats" and "health": how the backups and the controller are doing.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/base/status_macros.h"
#include "controller/cli/args/cli_error.h"
#include "controller/cli/client/controller_client.h"
#include "controller/cli/commands/command_context.h"
#include "controller/cli/commands/verb_table.h"
#include "controller/cli/output/formatting.h"
#include "controller/cli/output/table_printer.h"

namespace dbdump {
namespace {

absl::Status Stats(CommandContext& context, const ParsedArgs&) {
  ASSIGN_OR_RETURN(v1::GetStatsResponse resp, context.client().GetStats(v1::GetStatsRequest()));
  if (context.json()) return context.PrintJson(resp);
  TablePrinter table({"DATABASE", "BACKUPS", "OK", "FAILED", "SUCCESS", "STORED", "AVG DURATION",
                      "AVG RATIO", "LAST GOOD", "AGE", "STALE"});
  auto row = [&](const v1::DatabaseStats& s, const std::string& name) {
    table.AddRow({name, absl::StrCat(s.backups_total()), absl::StrCat(s.backups_succeeded()),
                  absl::StrCat(s.backups_failed()),
                  absl::StrFormat("%.0f%%", s.success_rate() * 100), HumanBytes(s.bytes_stored()),
                  HumanSeconds(s.avg_duration_s()),
                  absl::StrFormat("%.2f", s.avg_compression_ratio()),
                  s.last_good_backup_at().empty() ? "-" : s.last_good_backup_at(),
                  s.last_good_age_s() < 0 ? "-" : HumanSeconds(s.last_good_age_s()),
                  s.stale() ? "STALE" : "no"});
  };
  for (const v1::DatabaseStats& s : resp.databases()) row(s, s.database());
  row(resp.overall(), "(all)");
  table.Print(context.out());
  return absl::OkStatus();
}

absl::Status Health(CommandContext& context, const ParsedArgs&) {
  ASSIGN_OR_RETURN(v1::GetHealthResponse resp,
                   context.client().GetHealth(v1::GetHealthRequest()));
  // Degraded exits 1 after the answer is printed (in either format), so
  // `dbdumpctl health` works as a check in scripts and probes.
  auto verdict = [&resp]() -> absl::Status {
    if (resp.status() == "ok") return absl::OkStatus();
    return ReportedProblemError(absl::StrCat("controller health: ", resp.status(), " (",
                                             resp.problems_size(), " problem",
                                             resp.problems_size() == 1 ? "" : "s", ")"));
  };
  if (context.json()) {
    RETURN_IF_ERROR(context.PrintJson(resp));
    return verdict();
  }
  PrintFields(context.out(),
              {{"status", resp.status()},
               {"version", resp.version()},
               {"schema", absl::StrCat(resp.schema_version())},
               {"uptime", HumanSeconds(resp.uptime_s())},
               {"agents", absl::StrCat(resp.agents_online(), " online, ", resp.agents_offline(),
                                       " offline")},
               {"jobs", absl::StrCat(resp.jobs_running(), " running, ", resp.jobs_queued(),
                                     " queued")},
               {"stale databases", absl::StrCat(resp.stale_databases())}});
  for (const std::string& p : resp.problems()) context.out() << "problem: " << p << "\n";
  return verdict();
}

}  // namespace

std::vector<VerbSpec> StatusVerbs() {
  VerbSpec stats;
  stats.noun = "stats";
  stats.run = Stats;

  VerbSpec health;
  health.noun = "health";
  health.run = Health;
  return {stats, health};
}

}  // namespace dbdump
