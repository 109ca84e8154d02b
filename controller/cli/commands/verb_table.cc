#include "controller/cli/commands/verb_table.h"

#include <utility>

namespace dbdump {

std::vector<VerbSpec> AllVerbs() {
  std::vector<VerbSpec> all;
  for (std::vector<VerbSpec> (*noun)() :
       {AgentVerbs, AuditVerbs, TokenVerbs, DatabaseVerbs, StorageVerbs, BackupVerbs,
        RestoreVerbs, JobVerbs, S3Verbs, ScheduleVerbs, RetentionVerbs, StatusVerbs,
        VersionVerbs}) {
    for (VerbSpec& verb : noun()) all.push_back(std::move(verb));
  }
  return all;
}

std::vector<GlobalFlag> GlobalFlags() {
  FlagSpec timeout = ValueFlag("timeout", "DURATION");
  // The flag's name before it took durations; a number is seconds still.
  timeout.aliases = {"timeout_s"};
  return {
      {ValueFlag("controller", "HOST:PORT"),
       "controller to talk to; default $DBDUMP_CONTROLLER, else 127.0.0.1:7300"},
      {ValueFlag("output", "table|json"), "human tables (default) or the controller's answer as json"},
      {timeout, "deadline of each call, default 30s"},
      {ValueFlag("ca-file", "PATH"),
       "CA certificate to check the controller with; default $DBDUMP_CA_FILE, else "
       "~/.config/dbdump/ca.pem (the API token: $DBDUMP_TOKEN, else ~/.config/dbdump/token, 0600)"},
      {SwitchFlag("insecure-plaintext"),
       "the controller runs in plaintext, without TLS or tokens (or "
       "$DBDUMP_INSECURE_PLAINTEXT=1)"},
  };
}

std::vector<std::pair<std::string, std::string>> NounAliases() { return {{"agents", "agent"}}; }

std::vector<FlagSpec> GlobalFlagSpecs() {
  std::vector<FlagSpec> flags;
  for (const GlobalFlag& global : GlobalFlags()) flags.push_back(global.flag);
  return flags;
}

}  // namespace dbdump
