#include "controller/cli/commands/verb_table.h"

#include <utility>

namespace dbdump {

std::vector<VerbSpec> AllVerbs() {
  std::vector<VerbSpec> all;
  for (std::vector<VerbSpec> (*noun)() :
       {AgentVerbs, AuditVerbs, TokenVerbs, DatabaseVerbs, StorageVerbs, BackupVerbs, RestoreVerbs, JobVerbs, S3Verbs,
        ScheduleVerbs, RetentionVerbs, StatusVerbs}) {
    for (VerbSpec& verb : noun()) all.push_back(std::move(verb));
  }
  return all;
}

std::vector<GlobalFlag> GlobalFlags() {
  return {
      {ValueFlag("controller", "HOST:PORT"),
       "controller to talk to; default $DBDUMP_CONTROLLER, else 127.0.0.1:7300"},
      {ValueFlag("output", "table|json"), "human tables (default) or the controller's answer as json"},
      {ValueFlag("timeout_s", "N"), "deadline in seconds for each call, default 30"},
      {ValueFlag("ca_file", "PATH"),
       "CA certificate to check the controller with; default $DBDUMP_CA_FILE, else "
       "~/.config/dbdump/ca.pem (the API token: $DBDUMP_TOKEN, else ~/.config/dbdump/token, 0600)"},
      {SwitchFlag("insecure_plaintext"),
       "the controller runs --insecure_plaintext (or $DBDUMP_INSECURE_PLAINTEXT=1)"},
  };
}

std::vector<FlagSpec> GlobalFlagSpecs() {
  std::vector<FlagSpec> flags;
  for (const GlobalFlag& global : GlobalFlags()) flags.push_back(global.flag);
  return flags;
}

}  // namespace dbdump
