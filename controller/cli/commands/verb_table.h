// The table of dbdumpctl's commands. Each noun's file (commands/<noun>.cc)
// returns its verbs with the flags they accept, how "dbdumpctl help" shows
// them and the function that runs them. Cli dispatches from this table and
// usage.cc writes the help text and the usage errors from it, so what is
// documented cannot drift from what is accepted. Pure data, thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "controller/cli/args/arg_parser.h"

namespace dbdump {

class CommandContext;
class ParsedArgs;

// Runs one command whose arguments were already checked against its spec.
using VerbHandler = absl::Status (*)(CommandContext& context, const ParsedArgs& args);

// One command of dbdumpctl.
//
// `forms` and `synopsis` are templates: "{name}" is the flag `name` as its
// FlagSpec says ("--engine=postgres|sqlite" when required, "[--level=N]",
// "[--wait]", "[--table=T]*" when repeatable), "{-name}" the flag without
// brackets ("--dry-run"), "{name=value}" the flag with a fixed value
// ("--kind=s3"); anything else is copied. The command's words and
// positionals come first and are not written in the templates.
struct VerbSpec {
  // "database", "backup"; the whole command when `verb` is empty ("restore").
  std::string noun;
  std::string verb;
  // Names of the required positionals, e.g. {"NAME"}; no others are accepted.
  std::vector<std::string> positionals;
  std::vector<FlagSpec> flags;
  // The command's lines in "dbdumpctl help": one entry per way of calling it,
  // with '\n' where the line wraps. Empty: one line of every flag, in order.
  std::vector<std::string> forms;
  // Quoted in usage errors about positionals. Empty: the first line of the
  // first form, followed by " [...]" when more follows.
  std::string synopsis;
  VerbHandler run = nullptr;

  // The command as typed: "database add", "restore".
  std::string Command() const { return verb.empty() ? noun : noun + " " + verb; }
};

// Flags that several verbs share, explained once in the help text. A form
// that writes "[<name>]" documents every flag of the group.
struct FlagGroup {
  std::string name;
  std::vector<FlagSpec> flags;
};

// The verbs of each noun, in the order "dbdumpctl help" lists them and the
// order "needs a subcommand" names them.
std::vector<VerbSpec> AgentVerbs();
std::vector<VerbSpec> DatabaseVerbs();
std::vector<VerbSpec> AuditVerbs();
std::vector<VerbSpec> TokenVerbs();
std::vector<VerbSpec> StorageVerbs();
std::vector<VerbSpec> BackupVerbs();
std::vector<VerbSpec> RestoreVerbs();
std::vector<VerbSpec> JobVerbs();
std::vector<VerbSpec> S3Verbs();
std::vector<VerbSpec> ScheduleVerbs();
std::vector<VerbSpec> RetentionVerbs();
std::vector<VerbSpec> StatusVerbs();
std::vector<VerbSpec> VersionVerbs();

// What "dbdumpctl --version" and "dbdumpctl version" print: "dbdumpctl
// 0.1.0\n", the version every binary of the build shares (common/base/version.h).
std::string VersionText();

// Every verb, noun by noun.
std::vector<VerbSpec> AllVerbs();

// A flag that comes before the verb, with its line in the help text.
struct GlobalFlag {
  FlagSpec flag;
  std::string help;
};

// The flags every verb takes, before or after it.
std::vector<GlobalFlag> GlobalFlags();
// The same as the parser takes them.
std::vector<FlagSpec> GlobalFlagSpecs();

// Nouns of earlier releases and the noun each stands for now, e.g.
// {"agents", "agent"}; accepted, never shown in the help.
std::vector<std::pair<std::string, std::string>> NounAliases();

}  // namespace dbdump
