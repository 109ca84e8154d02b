#include "controller/cli/cli.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <iostream>
#include <map>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/clock.h"
#include "common/base/status_macros.h"
#include "controller/cli/args/arg_parser.h"
#include "controller/cli/args/cli_error.h"
#include "controller/cli/args/value_checks.h"
#include "controller/cli/client/client_security.h"
#include "controller/cli/client/controller_client.h"
#include "controller/cli/client/grpc_controller_client.h"
#include "controller/cli/commands/command_context.h"
#include "controller/cli/commands/verb_table.h"
#include "controller/cli/usage.h"

namespace dbdump {
namespace {

const char kPasswordRefused[] =
    "never pass a password on the command line: use --password-ref=file:/path or "
    "--password-ref=env:NAME, read by the agent on its host";

const char kKeysRefused[] =
    "never pass S3 keys on the command line: use --credentials-ref=file:/path (an AWS "
    "credentials file) or the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
    "AWS_SESSION_TOKEN) of the agent, or of dbdumpctl for the s3 verbs";

// Flags refused with a message of their own, wherever they are given. The
// refusal never echoes the value.
std::map<std::string, std::string> RefusedFlags() {
  std::map<std::string, std::string> refused = {{"password", kPasswordRefused}};
  for (const char* key_flag :
       {"access-key", "access-key-id", "aws-access-key-id", "secret-key", "secret-access-key",
        "aws-secret-access-key", "session-token", "aws-session-token"}) {
    refused[key_flag] = kKeysRefused;
  }
  return refused;
}

// The width of the terminal on `fd`: what the terminal says, else
// $COLUMNS, else 80.
int TerminalColumns(int fd) {
  struct winsize size {};
  if (ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  const char* columns = std::getenv("COLUMNS");
  int n = 0;
  if (columns != nullptr && absl::SimpleAtoi(columns, &n) && n > 0) return n;
  return 80;
}

// Whether one of `flags` ("--help") is among the arguments, before any "--".
bool Asks(const std::vector<std::string>& args, std::initializer_list<const char*> flags) {
  for (const std::string& arg : args) {
    if (arg == "--") return false;
    for (const char* flag : flags) {
      if (arg == flag) return true;
    }
  }
  return false;
}

// Finds the verb named by args[*next...] and advances *next past its words.
absl::StatusOr<VerbSpec> FindVerb(const std::vector<std::string>& args, size_t* next) {
  std::vector<VerbSpec> verbs = AllVerbs();
  std::string first = args[*next];
  // Plural nouns of earlier releases ("agents list") still work.
  for (const auto& [alias, noun] : NounAliases()) {
    if (first == alias) first = noun;
  }
  std::vector<const VerbSpec*> group;
  for (const VerbSpec& verb : verbs) {
    if (verb.noun == first) group.push_back(&verb);
  }
  if (group.empty()) {
    return UsageError(absl::StrCat("unknown command \"", first,
                                   "\": run \"dbdumpctl help\" for the list of commands"));
  }
  if (group.size() == 1 && group[0]->verb.empty()) {
    *next += 1;
    return *group[0];
  }
  std::vector<std::string> subverbs;
  for (const VerbSpec* verb : group) subverbs.push_back(verb->verb);
  std::string choices = absl::StrJoin(subverbs, ", ");
  if (*next + 1 >= args.size()) {
    return UsageError(absl::StrCat("\"", first, "\" needs a subcommand: ", choices));
  }
  const std::string& second = args[*next + 1];
  for (const VerbSpec* verb : group) {
    if (verb->verb == second) {
      *next += 2;
      return *verb;
    }
  }
  return UsageError(
      absl::StrCat("unknown command \"", first, " ", second, "\": use ", first, " ", choices));
}

}  // namespace

Cli::Cli(CliOptions options) : options_(std::move(options)) {
  if (!options_.now) options_.now = [] { return DefaultClock()->Now(); };
  if (!options_.make_client) {
    options_.make_client = [](const ControllerConnection& c) {
      ClientSecuritySources sources;
      sources.ca_file = c.ca_file;
      sources.plaintext = c.plaintext;
      return std::make_unique<GrpcControllerClient>(c.address, c.timeout,
                                                    LoadClientSecurity(sources));
    };
  }
}

int Cli::Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) const {
  absl::Status status = Execute(args, out, err);
  out.flush();
  if (status.ok()) return 0;
  if (IsJobEndedError(status) || IsReportedProblemError(status)) {
    err << status.message() << "\n";
    return 1;
  }
  err << "dbdumpctl: error: " << status.message() << "\n";
  return IsUsageError(status) ? 2 : 1;
}

absl::Status Cli::Execute(const std::vector<std::string>& args, std::ostream& out,
                          std::ostream& err) const {
  if (Asks(args, {"--help", "-h"})) {
    out << UsageText();
    return absl::OkStatus();
  }
  if (Asks(args, {"--version"})) {
    out << VersionText();
    return absl::OkStatus();
  }

  ArgParser::Options global_options;
  global_options.synopsis = "dbdumpctl [global flags] VERB ...";
  global_options.flags = GlobalFlagSpecs();
  global_options.refused_flags = RefusedFlags();
  ArgParser global_parser(std::move(global_options));
  size_t next = 0;
  ASSIGN_OR_RETURN(ParsedArgs global, global_parser.ParseLeading(args, &next));

  if (next >= args.size()) {
    return UsageError("no command given: run \"dbdumpctl help\" for the list of commands");
  }
  if (args[next] == "help") {
    out << UsageText();
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(VerbSpec verb, FindVerb(args, &next));
  // Global flags may also follow the verb, except where the verb has a flag
  // of that name ("schedule add --timeout"): there the verb's wins.
  std::vector<FlagSpec> flags = verb.flags;
  std::vector<FlagSpec> globals_after;
  for (const FlagSpec& global_flag : GlobalFlagSpecs()) {
    bool shadowed = false;
    for (const FlagSpec& flag : verb.flags) shadowed = shadowed || flag.name == global_flag.name;
    if (shadowed) continue;
    flags.push_back(global_flag);
    globals_after.push_back(global_flag);
  }
  ArgParser::Options parser_options;
  parser_options.command = verb.Command();
  parser_options.synopsis = Synopsis(verb);
  parser_options.flags = std::move(flags);
  parser_options.positionals = verb.positionals;
  parser_options.refused_flags = RefusedFlags();
  ArgParser parser(std::move(parser_options));
  ASSIGN_OR_RETURN(ParsedArgs parsed,
                   parser.Parse(std::vector<std::string>(args.begin() + next, args.end())));
  for (const FlagSpec& global_flag : globals_after) {
    if (!parsed.Has(global_flag.name)) continue;
    if (global.Has(global_flag.name)) {
      return UsageError(absl::StrCat("flag --", global_flag.name, " is given twice"));
    }
    global.SetFlag(global_flag.name, parsed.Get(global_flag.name));
  }

  std::string address = global.Get("controller", options_.default_controller);
  OutputFormat format = OutputFormat::kTable;
  std::string output = global.Get("output", "table");
  if (output == "json") {
    format = OutputFormat::kJson;
  } else if (output != "table") {
    return UsageError(absl::StrCat("unknown output format \"", output,
                                   "\": use --output=table or --output=json"));
  }
  uint64_t timeout_s = 30;
  if (global.Has("timeout")) {
    ASSIGN_OR_RETURN(timeout_s, ParseDurationFlag(global, "timeout"));
    if (timeout_s == 0) {
      return UsageError("--timeout must be at least 1s: it bounds each call to the controller");
    }
  }

  CommandContext::Options context_options;
  ControllerConnection connection;
  connection.address = address;
  connection.timeout = absl::Seconds(timeout_s);
  connection.ca_file = global.Get("ca-file", "");
  connection.plaintext = global.Has("insecure-plaintext");
  context_options.connect = [&] { return options_.make_client(connection); };
  context_options.controller_address = address;
  context_options.out = &out;
  context_options.err = &err;
  context_options.format = format;
  context_options.stderr_is_tty = options_.stderr_is_tty;
  context_options.terminal_columns = options_.terminal_columns;
  context_options.now = options_.now;
  context_options.open_storage = options_.open_storage;
  context_options.handle_interrupts = options_.handle_interrupts;
  CommandContext context(std::move(context_options));
  return verb.run(context, parsed);
}

int RunCli(int argc, char** argv, std::ostream& out, std::ostream& err) {
  CliOptions options;
  const char* env = std::getenv("DBDUMP_CONTROLLER");
  if (env != nullptr && *env != '\0') {
    options.default_controller = env;
  } else {
    absl::StatusOr<ClientConfig> config =
        LoadClientConfig([](const char* name) { return std::getenv(name); });
    if (!config.ok()) {
      err << "dbdumpctl: error: " << config.status().message() << "\n";
      return 2;
    }
    if (!config->controller.empty()) options.default_controller = config->controller;
  }
  // Only the real stderr can be a terminal; tests pass string streams.
  options.stderr_is_tty = &err == &std::cerr && isatty(fileno(stderr));
  if (options.stderr_is_tty) options.terminal_columns = TerminalColumns(fileno(stderr));
  options.handle_interrupts = true;
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  return Cli(std::move(options)).Run(args, out, err);
}

}  // namespace dbdump
