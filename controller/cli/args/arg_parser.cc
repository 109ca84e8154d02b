#include "controller/cli/args/arg_parser.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controller/cli/args/cli_error.h"

namespace dbdump {
namespace {

std::string Example(const FlagSpec& flag) {
  if (!flag.takes_value) return absl::StrCat("--", flag.name);
  if (flag.value_optional) return absl::StrCat("--", flag.name, "[=", flag.value_hint, "]");
  return absl::StrCat("--", flag.name, "=", flag.value_hint.empty() ? "VALUE" : flag.value_hint);
}

}  // namespace

FlagSpec ValueFlag(std::string name, std::string hint, bool required) {
  FlagSpec flag;
  flag.name = std::move(name);
  flag.required = required;
  flag.value_hint = std::move(hint);
  return flag;
}

FlagSpec SwitchFlag(std::string name) {
  FlagSpec flag;
  flag.name = std::move(name);
  flag.takes_value = false;
  return flag;
}

FlagSpec OptionalValueFlag(std::string name, std::string hint) {
  FlagSpec flag = ValueFlag(std::move(name), std::move(hint));
  flag.value_optional = true;
  return flag;
}

FlagSpec RepeatedFlag(std::string name, std::string hint) {
  FlagSpec flag = ValueFlag(std::move(name), std::move(hint));
  flag.repeatable = true;
  return flag;
}

std::string CanonicalFlagName(std::string name) {
  for (char& c : name) {
    if (c == '_') c = '-';
  }
  return name;
}

ArgParser::ArgParser(Options options) : options_(std::move(options)) {}

const FlagSpec* ArgParser::Find(const std::string& name) const {
  for (const FlagSpec& flag : options_.flags) {
    if (flag.name == name) return &flag;
  }
  for (const FlagSpec& flag : options_.flags) {
    for (const std::string& alias : flag.aliases) {
      if (CanonicalFlagName(alias) == name) return &flag;
    }
  }
  return nullptr;
}

std::string ArgParser::Where() const {
  return options_.command.empty() ? "" : absl::StrCat(" for \"", options_.command, "\"");
}

absl::Status ArgParser::ParseFlag(const std::vector<std::string>& args, size_t* i,
                                  ParsedArgs* out) const {
  std::string arg = args[*i];
  ++*i;
  if (arg.size() == 2 && arg[0] == '-') {
    for (const FlagSpec& flag : options_.flags) {
      if (flag.short_name != 0 && flag.short_name == arg[1]) arg = absl::StrCat("--", flag.name);
    }
  }
  if (!absl::StartsWith(arg, "--")) {
    return UsageError(absl::StrCat("unknown flag ", arg, Where(),
                                   ": flags are spelled --name=value; run \"dbdumpctl help\""));
  }
  std::string body = arg.substr(2);
  size_t eq = body.find('=');
  std::string typed = body.substr(0, eq);
  bool inline_value = eq != std::string::npos;

  auto refused = options_.refused_flags.find(CanonicalFlagName(typed));
  if (refused != options_.refused_flags.end()) return UsageError(refused->second);
  const FlagSpec* spec = Find(CanonicalFlagName(typed));
  if (spec == nullptr) {
    return UsageError(absl::StrCat("unknown flag --", typed, Where(),
                                   ": run \"dbdumpctl help\" for the accepted flags"));
  }
  // Errors name the flag as the help shows it.
  const std::string& name = spec->name;
  if (out->Has(name) && !spec->repeatable) {
    return UsageError(absl::StrCat("flag --", name, " is given twice"));
  }

  if (!spec->takes_value) {
    if (inline_value) return UsageError(absl::StrCat("flag --", name, " takes no value"));
    out->SetFlag(name, "");
    return absl::OkStatus();
  }
  std::string value;
  if (spec->value_optional && !inline_value) {
    out->SetFlag(name, "");
    return absl::OkStatus();
  }
  if (inline_value) {
    value = body.substr(eq + 1);
  } else if (*i < args.size() && !absl::StartsWith(args[*i], "--")) {
    value = args[*i];
    ++*i;
  } else {
    return UsageError(absl::StrCat("flag --", name, " needs a value: use ", Example(*spec)));
  }
  if (value.empty()) {
    return UsageError(absl::StrCat("flag --", name, " needs a value: use ", Example(*spec)));
  }
  out->SetFlag(name, value);
  return absl::OkStatus();
}

absl::StatusOr<ParsedArgs> ArgParser::ParseLeading(const std::vector<std::string>& args,
                                                   size_t* rest) const {
  ParsedArgs out;
  size_t i = 0;
  while (i < args.size() && args[i].size() > 1 && args[i][0] == '-') {
    if (args[i] == "--") {
      ++i;
      break;
    }
    absl::Status status = ParseFlag(args, &i, &out);
    if (!status.ok()) return status;
  }
  *rest = i;
  return out;
}

absl::StatusOr<ParsedArgs> ArgParser::Parse(const std::vector<std::string>& args) const {
  ParsedArgs out;
  size_t i = 0;
  bool flags_ended = false;
  while (i < args.size()) {
    const std::string& arg = args[i];
    if (!flags_ended && arg == "--") {
      flags_ended = true;
      ++i;
    } else if (!flags_ended && arg.size() > 1 && arg[0] == '-') {
      absl::Status status = ParseFlag(args, &i, &out);
      if (!status.ok()) return status;
    } else {
      out.AddPositional(arg);
      ++i;
    }
  }

  const auto& positionals = out.positionals();
  if (positionals.size() < options_.positionals.size()) {
    std::vector<std::string> missing(options_.positionals.begin() + positionals.size(),
                                     options_.positionals.end());
    return UsageError(absl::StrCat("missing ", absl::StrJoin(missing, " and "), Where(),
                                   ": usage: ", options_.synopsis));
  }
  if (positionals.size() > options_.positionals.size()) {
    return UsageError(absl::StrCat("unexpected argument \"",
                                   positionals[options_.positionals.size()], "\"", Where(),
                                   ": usage: ", options_.synopsis));
  }
  for (const FlagSpec& flag : options_.flags) {
    if (flag.required && !out.Has(flag.name)) {
      return UsageError(absl::StrCat("missing ", Example(flag), Where()));
    }
  }
  return out;
}

}  // namespace dbdump
