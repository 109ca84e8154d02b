#include "controller/cli/cli.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/status_macros.h"
#include "controller/cli/arg_parser.h"
#include "controller/cli/cli_error.h"
#include "controller/cli/commands.h"
#include "controller/cli/controller_client.h"
#include "controller/cli/grpc_controller_client.h"
#include "controller/cli/usage.h"

namespace dbdump {
namespace {

// One command: the words that name it and what it accepts.
struct Verb {
  std::vector<std::string> words;
  std::string synopsis;
  std::vector<std::string> positionals;
  std::vector<FlagSpec> flags;
  absl::Status (Commands::*run)(const ParsedArgs&);
};

FlagSpec Value(std::string name, std::string hint, bool required = false) {
  return FlagSpec{std::move(name), true, required, std::move(hint)};
}

FlagSpec Switch(std::string name) { return FlagSpec{std::move(name), false, false, ""}; }

FlagSpec Repeated(std::string name, std::string hint) {
  return FlagSpec{std::move(name), true, false, std::move(hint), /*repeatable=*/true};
}

// How to reach a bucket: shared by "storage add --kind=s3" and the s3 verbs.
std::vector<FlagSpec> S3ConnectionFlags() {
  return {Value("endpoint", "URL"),
          Value("region", "R"),
          Switch("path-style"),
          Value("role-arn", "ARN"),
          Value("external-id", "ID"),
          Value("sts-endpoint", "URL"),
          Value("credentials-ref", "file:/path"),
          Value("ca-file", "/path")};
}

std::vector<FlagSpec> Concat(std::vector<FlagSpec> a, const std::vector<FlagSpec>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Retention rules, for schedule add and retention plan.
std::vector<FlagSpec> RetentionFlags() {
  return {Value("keep-last", "N"),  Value("keep-within", "DURATION"), Value("keep-daily", "N"),
          Value("keep-weekly", "N"), Value("keep-monthly", "N"),     Value("keep-yearly", "N")};
}

std::vector<Verb> Verbs() {
  return {
      {{"agents", "list"}, "dbdumpctl agents list", {}, {}, &Commands::AgentsList},
      {{"database", "add"},
       "dbdumpctl database add NAME --engine=postgres|mysql|mongodb|sqlite --agent=AGENT "
       "--storage=STORAGE [...]",
       {"NAME"},
       {Value("engine", "postgres|mysql|mongodb|sqlite", true), Value("agent", "AGENT", true),
        Value("storage", "STORAGE", true), Value("host", "H"), Value("port", "P"),
        Value("user", "U"), Value("dbname", "DB"), Value("password-ref", "file:/path|env:NAME"),
        Value("path", "/abs/file.db"), Switch("skip-connection-test"),
        Value("format", "custom|plain"), Switch("schema-only"), Switch("data-only"),
        Repeated("table", "[SCHEMA.]TABLE"), Repeated("exclude-table", "[SCHEMA.]TABLE"),
        Repeated("schema", "SCHEMA"), Repeated("exclude-schema", "SCHEMA"), Switch("globals"),
        Repeated("also-database", "DB"), Switch("all-databases"),
        Repeated("namespace", "DB.COLLECTION"), Repeated("exclude-namespace", "DB.COLLECTION")},
       &Commands::DatabaseAdd},
      {{"database", "list"}, "dbdumpctl database list", {}, {}, &Commands::DatabaseList},
      {{"database", "remove"},
       "dbdumpctl database remove NAME",
       {"NAME"},
       {},
       &Commands::DatabaseRemove},
      {{"storage", "add"},
       "dbdumpctl storage add NAME --kind=local --path=/abs/dir | --kind=s3 --bucket=B [...]",
       {"NAME"},
       Concat(
           {Value("kind", "local|s3", true), Value("path", "/abs/dir"), Value("prefix", "P"),
            Value("bucket", "B"), Value("sse", "AES256|aws:kms"), Value("kms-key-id", "K"),
            Value("storage-class", "C"), Value("part-size", "SIZE"),
            Value("upload-concurrency", "N"), Value("max-parts", "N"), Value("probe-agent", "AGENT"),
            Switch("skip-probe")},
           S3ConnectionFlags()),
       &Commands::StorageAdd},
      {{"storage", "list"}, "dbdumpctl storage list", {}, {}, &Commands::StorageList},
      {{"storage", "remove"},
       "dbdumpctl storage remove NAME",
       {"NAME"},
       {},
       &Commands::StorageRemove},
      {{"backup", "run"},
       "dbdumpctl backup run DATABASE [--compression=zstd|gzip|none] [--level=N] [--wait]",
       {"DATABASE"},
       {Value("compression", "zstd|gzip|none"), Value("level", "N"), Switch("wait")},
       &Commands::BackupRun},
      {{"backup", "list"},
       "dbdumpctl backup list [--database=NAME]",
       {},
       {Value("database", "NAME")},
       &Commands::BackupList},
      {{"backup", "show"},
       "dbdumpctl backup show BACKUP_ID",
       {"BACKUP_ID"},
       {},
       &Commands::BackupShow},
      {{"restore"},
       "dbdumpctl restore BACKUP_ID [--target=DBNAME_OR_PATH] [--via=DATABASE] [--clean] "
       "[--no-create] [--jobs=N] [--dry-run] [--wait]",
       {"BACKUP_ID"},
       {Value("target", "DBNAME_OR_PATH"), Value("via", "DATABASE"), Switch("clean"),
        Switch("no-create"), Value("jobs", "N"), Switch("dry-run"), Switch("wait")},
       &Commands::Restore},
      {{"backup", "test-restore"},
       "dbdumpctl backup test-restore BACKUP_ID [--via=DATABASE] [--jobs=N] [--wait]",
       {"BACKUP_ID"},
       {Value("via", "DATABASE"), Value("jobs", "N"), Switch("wait")},
       &Commands::BackupTestRestore},
      {{"job", "list"},
       "dbdumpctl job list [--database=NAME] [--limit=N]",
       {},
       {Value("database", "NAME"), Value("limit", "N")},
       &Commands::JobList},
      {{"job", "show"}, "dbdumpctl job show JOB_ID", {"JOB_ID"}, {}, &Commands::JobShow},
      {{"job", "wait"}, "dbdumpctl job wait JOB_ID", {"JOB_ID"}, {}, &Commands::JobWait},
      {{"s3", "list"},
       "dbdumpctl s3 list s3://BUCKET[/PREFIX] [--database=NAME] [S3 flags]",
       {"s3://BUCKET[/PREFIX]"},
       Concat({Value("database", "NAME")}, S3ConnectionFlags()),
       &Commands::S3List},
      {{"s3", "restore"},
       "dbdumpctl s3 restore s3://BUCKET[/PREFIX] BACKUP_ID --database=NAME "
       "--target=DBNAME_OR_PATH [...]",
       {"s3://BUCKET[/PREFIX]", "BACKUP_ID"},
       Concat({Value("database", "NAME", true), Value("target", "DBNAME_OR_PATH", true),
               Value("host", "H"), Value("port", "P"), Value("user", "U"),
               Value("password-ref", "file:/path|env:NAME")},
              S3ConnectionFlags()),
       &Commands::S3Restore},
      {{"schedule", "add"},
       "dbdumpctl schedule add NAME --database=DB --cron=EXPR --tz=ZONE [...]",
       {"NAME"},
       Concat({Value("database", "DB", true), Value("cron", "EXPR", true),
               Value("tz", "ZONE", true), Value("compression", "zstd|gzip|none"),
               Value("level", "N"), Value("max-attempts", "N"), Value("retry-backoff", "DURATION"),
               Value("timeout", "DURATION"), Value("verify-cron", "EXPR"), Switch("disabled")},
              RetentionFlags()),
       &Commands::ScheduleAdd},
      {{"schedule", "list"},
       "dbdumpctl schedule list [--database=NAME]",
       {},
       {Value("database", "NAME")},
       &Commands::ScheduleList},
      {{"schedule", "show"},
       "dbdumpctl schedule show NAME [--next=N]",
       {"NAME"},
       {Value("next", "N")},
       &Commands::ScheduleShow},
      {{"schedule", "next"},
       "dbdumpctl schedule next EXPR --tz=ZONE [--count=N]",
       {"EXPR"},
       {Value("tz", "ZONE", true), Value("count", "N")},
       &Commands::ScheduleNext},
      {{"schedule", "enable"}, "dbdumpctl schedule enable NAME", {"NAME"}, {},
       &Commands::ScheduleEnable},
      {{"schedule", "disable"}, "dbdumpctl schedule disable NAME", {"NAME"}, {},
       &Commands::ScheduleDisable},
      {{"schedule", "run"},
       "dbdumpctl schedule run NAME [--wait]",
       {"NAME"},
       {Switch("wait")},
       &Commands::ScheduleRun},
      {{"schedule", "remove"}, "dbdumpctl schedule remove NAME", {"NAME"}, {},
       &Commands::ScheduleRemove},
      {{"retention", "plan"},
       "dbdumpctl retention plan DATABASE [--keep-last=N ...]",
       {"DATABASE"},
       RetentionFlags(),
       &Commands::RetentionPlan},
      {{"retention", "set"},
       "dbdumpctl retention set DATABASE [--tz=ZONE] [--keep-last=N ...]",
       {"DATABASE"},
       Concat({Value("tz", "ZONE")}, RetentionFlags()),
       &Commands::RetentionSet},
      {{"retention", "apply"},
       "dbdumpctl retention apply DATABASE",
       {"DATABASE"},
       {},
       &Commands::RetentionApply},
      {{"backup", "verify"},
       "dbdumpctl backup verify BACKUP_ID",
       {"BACKUP_ID"},
       {},
       &Commands::BackupVerify},
      {{"stats"}, "dbdumpctl stats", {}, {}, &Commands::Stats},
      {{"health"}, "dbdumpctl health", {}, {}, &Commands::Health},
  };
}

std::vector<FlagSpec> GlobalFlags() {
  return {Value("controller", "HOST:PORT"), Value("output", "table|json"), Value("timeout_s", "N")};
}

const char kPasswordRefused[] =
    "never pass a password on the command line: use --password-ref=file:/path or "
    "--password-ref=env:NAME, read by the agent on its host";

const char kKeysRefused[] =
    "never pass S3 keys on the command line: use --credentials-ref=file:/path (an AWS "
    "credentials file) or the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
    "AWS_SESSION_TOKEN) of the agent, or of dbdumpctl for the s3 verbs";

// Flags refused with a message of their own. `verb` is the command the flags
// follow, empty for the global position. The refusal never echoes the value.
std::map<std::string, std::string> RefusedFlags(const std::string& verb) {
  std::map<std::string, std::string> refused = {{"password", kPasswordRefused}};
  for (const char* key_flag :
       {"access-key", "access-key-id", "aws-access-key-id", "secret-key", "secret-access-key",
        "aws-secret-access-key", "session-token", "aws-session-token"}) {
    refused[key_flag] = kKeysRefused;
  }
  if (verb.empty()) return refused;
  for (const FlagSpec& global : GlobalFlags()) {
    refused[global.name] = absl::StrCat(
        "--", global.name, " is a global flag: put it before the verb, as in dbdumpctl --",
        global.name, "=", global.value_hint, " ", verb, " ...");
  }
  return refused;
}

bool WantsHelp(const std::vector<std::string>& args) {
  for (const std::string& arg : args) {
    if (arg == "--") return false;
    if (arg == "--help" || arg == "-h") return true;
  }
  return false;
}

// Finds the verb named by args[*next...] and advances *next past its words.
absl::StatusOr<Verb> FindVerb(const std::vector<std::string>& args, size_t* next) {
  std::vector<Verb> verbs = Verbs();
  const std::string& first = args[*next];
  std::vector<const Verb*> group;
  for (const Verb& verb : verbs) {
    if (verb.words[0] == first) group.push_back(&verb);
  }
  if (group.empty()) {
    return UsageError(absl::StrCat("unknown command \"", first,
                                   "\": run \"dbdumpctl help\" for the list of commands"));
  }
  if (group.size() == 1 && group[0]->words.size() == 1) {
    *next += 1;
    return *group[0];
  }
  std::vector<std::string> subverbs;
  for (const Verb* verb : group) subverbs.push_back(verb->words[1]);
  std::string choices = absl::StrJoin(subverbs, ", ");
  if (*next + 1 >= args.size()) {
    return UsageError(absl::StrCat("\"", first, "\" needs a subcommand: ", choices));
  }
  const std::string& second = args[*next + 1];
  for (const Verb* verb : group) {
    if (verb->words[1] == second) {
      *next += 2;
      return *verb;
    }
  }
  return UsageError(
      absl::StrCat("unknown command \"", first, " ", second, "\": use ", first, " ", choices));
}

}  // namespace

Cli::Cli(CliOptions options) : options_(std::move(options)) {
  if (!options_.now) options_.now = [] { return absl::Now(); };
  if (!options_.make_client) {
    options_.make_client = [](const std::string& address, absl::Duration timeout) {
      return std::make_unique<GrpcControllerClient>(address, timeout);
    };
  }
}

int Cli::Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) const {
  absl::Status status = Execute(args, out, err);
  out.flush();
  if (status.ok()) return 0;
  if (IsJobEndedError(status)) {
    err << status.message() << "\n";
    return 1;
  }
  err << "dbdumpctl: error: " << status.message() << "\n";
  return IsUsageError(status) ? 2 : 1;
}

absl::Status Cli::Execute(const std::vector<std::string>& args, std::ostream& out,
                          std::ostream& err) const {
  if (WantsHelp(args)) {
    out << UsageText();
    return absl::OkStatus();
  }

  ArgParser global_parser(
      {"", "dbdumpctl [global flags] VERB ...", GlobalFlags(), {}, RefusedFlags("")});
  size_t next = 0;
  ASSIGN_OR_RETURN(ParsedArgs global, global_parser.ParseLeading(args, &next));
  std::string address = global.Get("controller", options_.default_controller);
  OutputFormat format = OutputFormat::kTable;
  std::string output = global.Get("output", "table");
  if (output == "json") {
    format = OutputFormat::kJson;
  } else if (output != "table") {
    return UsageError(absl::StrCat("unknown output format \"", output,
                                   "\": use --output=table or --output=json"));
  }
  ASSIGN_OR_RETURN(uint32_t timeout_s, global.GetUint32("timeout_s", 30, 1, UINT32_MAX));

  if (next >= args.size()) {
    return UsageError("no command given: run \"dbdumpctl help\" for the list of commands");
  }
  if (args[next] == "help") {
    out << UsageText();
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(Verb verb, FindVerb(args, &next));
  std::string command = absl::StrJoin(verb.words, " ");
  ArgParser parser({command, verb.synopsis, verb.flags, verb.positionals, RefusedFlags(command)});
  ASSIGN_OR_RETURN(ParsedArgs parsed,
                   parser.Parse(std::vector<std::string>(args.begin() + next, args.end())));

  Commands::Options commands_options;
  commands_options.connect = [&] {
    return options_.make_client(address, absl::Seconds(timeout_s));
  };
  commands_options.out = &out;
  commands_options.err = &err;
  commands_options.format = format;
  commands_options.stdout_is_tty = options_.stdout_is_tty;
  commands_options.now = options_.now;
  commands_options.open_storage = options_.open_storage;
  commands_options.handle_interrupts = options_.handle_interrupts;
  Commands commands(std::move(commands_options));
  return (commands.*verb.run)(parsed);
}

int RunCli(int argc, char** argv, std::ostream& out, std::ostream& err) {
  CliOptions options;
  const char* env = std::getenv("DBDUMP_CONTROLLER");
  if (env != nullptr && *env != '\0') options.default_controller = env;
  // Only the real stdout can be a terminal; tests pass string streams.
  options.stdout_is_tty = &out == &std::cout && isatty(fileno(stdout));
  options.handle_interrupts = true;
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  return Cli(std::move(options)).Run(args, out, err);
}

}  // namespace dbdump
