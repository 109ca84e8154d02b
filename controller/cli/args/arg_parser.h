// Parses the arguments of one command (the words after the verb, or the
// global flags before it) against a spec of the flags it accepts. Flags are
// `--name=value` or `--name value`, in any order with the positionals; `--`
// ends the flags. Names are kebab-case; the snake_case spelling of each is
// accepted too. Every problem becomes a one-line usage error that says what
// is wrong and what to do. Thread-safe: Parse is const.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controller/cli/args/parsed_args.h"

namespace dbdump {

// One accepted flag.
struct FlagSpec {
  // Without the leading dashes, e.g. "engine".
  std::string name;
  // False for switches such as --wait, which take no value.
  bool takes_value = true;
  bool required = false;
  // Shown in errors, e.g. "postgres|sqlite" for "use --engine=postgres|sqlite".
  std::string value_hint;
  // May be given more than once; ParsedArgs::GetAll() has every value.
  bool repeatable = false;
  // Other names the flag is taken by (older spellings kept for scripts);
  // never shown in the help. Values are stored under `name`.
  std::vector<std::string> aliases;
  // A one-letter spelling, "-o FILE" for 'o'; 0 for none.
  char short_name = 0;
  // Given alone (--globals) or with an inline value (--globals=replace);
  // never takes the next argument as its value. Alone, its value is "".
  bool value_optional = false;
};

// A flag's name as the table spells it: written with '-' between words.
// "--ca_file" and "--ca-file" are one flag; snake_case is accepted as an
// alias of every flag.
std::string CanonicalFlagName(std::string name);

// Builders for the flag tables of the verbs.
// --name=HINT; `required` makes leaving it out a usage error.
FlagSpec ValueFlag(std::string name, std::string hint, bool required = false);
// --name, without a value.
FlagSpec SwitchFlag(std::string name);
// --name or --name=HINT.
FlagSpec OptionalValueFlag(std::string name, std::string hint);
// --name=HINT, any number of times.
FlagSpec RepeatedFlag(std::string name, std::string hint);

class ArgParser {
 public:
  struct Options {
    // The command as typed, e.g. "database add"; empty for the global flags.
    std::string command;
    // One-line synopsis quoted when positionals are wrong,
    // e.g. "dbdumpctl database remove NAME".
    std::string synopsis;
    std::vector<FlagSpec> flags;
    // Names of the required positionals, e.g. {"NAME"}; no others are accepted.
    std::vector<std::string> positionals;
    // Flags that are refused with a specific message instead of "unknown flag",
    // e.g. "password" -> "never pass a password ...".
    std::map<std::string, std::string> refused_flags;
  };

  explicit ArgParser(Options options);

  // Parses all of `args`, then checks required flags and the positional count.
  absl::StatusOr<ParsedArgs> Parse(const std::vector<std::string>& args) const;

  // Parses the flags at the front of `args` and stops at the first positional,
  // whose index goes to `*rest` (args.size() when there is none). Positional
  // count and required flags are not checked.
  absl::StatusOr<ParsedArgs> ParseLeading(const std::vector<std::string>& args, size_t* rest) const;

 private:
  // Parses from args[*i], which starts with '-', and advances *i past it.
  absl::Status ParseFlag(const std::vector<std::string>& args, size_t* i, ParsedArgs* out) const;
  const FlagSpec* Find(const std::string& name) const;
  std::string Where() const;

  Options options_;
};

}  // namespace dbdump
