#include "controller/cli/usage.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "controller/cli/commands/flag_groups.h"

namespace dbdump {
namespace {

// What follows the verbs in the help text. The lists of the shared flag
// groups are templates like the verbs' forms (see VerbSpec); the rest is
// prose that explains values and behaviour the flag tables cannot.
constexpr char kNotes[] = R"(
dump options of "database add" (what each backup holds; names are exact, not patterns;
the flags marked * may be repeated):
  postgres: [--format=custom|plain] [--schema-only | --data-only] [--table=[SCHEMA.]TABLE]*
            [--exclude-table=[SCHEMA.]TABLE]* [--schema=S]* [--exclude-schema=S]* [--globals]
  mysql:    [--schema-only | --data-only] [--table=TABLE]* [--exclude-table=TABLE]*
            [--also-database=DB]* [--all-databases]
  mongodb:  [--namespace=DB.COLLECTION | --exclude-namespace=DB.COLLECTION]
--globals stores roles and tablespaces (pg_dumpall --globals-only) beside the dump.

TLS flags of "database add|update" (postgres and mysql; paths on the agent's host):
  {tls-mode} {tls-ca-file} {tls-cert-file} {tls-key-ref}
--tls-mode takes PostgreSQL's sslmode (disable, allow, prefer, require, verify-ca,
verify-full) or MySQL's ssl-mode (DISABLED, PREFERRED, REQUIRED, VERIFY_CA,
VERIFY_IDENTITY) names; verify-full checks the server's certificate against
--tls-ca-file and its host name against --host, and is the one to use. Without
--tls-mode the client's default applies (PostgreSQL: prefer, unverified).
--tls-cert-file and --tls-key-ref (file:/path or env:NAME, like --password-ref)
present a client certificate. On update, --tls-mode=default goes back to the
client's default and --clear-tls removes every TLS setting.

encryption flags of "database add|update" (age format, age-encryption.org/v1):
  {encrypt-to} {encrypt-passphrase-ref}
--encrypt-to takes an age X25519 public key (age1..., as age-keygen prints it) and may be
repeated: every backup is encrypted to each of them, and each alone decrypts it (e.g. the
team's key and an escrow key). The agent holds only the public keys. Or
--encrypt-passphrase-ref (file:/path 0600 or env:NAME on the agent's host) encrypts with a
passphrase (age's scrypt). Restores, dry runs and test restores need the identity:
--identity=file:/path (0600) or env:NAME, read on the restoring agent's host; "backup verify"
checks the stored checksum without it. Decrypt by hand with: age -d -i key.txt dump...age.
On update the flags replace the encryption settings; --no-encryption stops encrypting.

restore: without --target the backup goes back into its original database. It
creates a missing database (not with --no-create) and never drops anything
unless --clean is given. --jobs=N restores in parallel where the engine can
(PostgreSQL custom format: not one transaction then). --dry-run downloads the
backup, checks its checksums and lists it with the engine's own tool, and
touches no database. "backup test-restore" restores into a scratch database,
checks its tables against the backup's, drops it and records the result on
the backup ("backup show"). --via=DATABASE restores through another database
of the same engine known to the controller: its agent and connection (host,
port, user, password reference) are used instead of those of the backup's own
database, e.g. when that database was removed or its server is gone; a restore
through --via needs --target (a dry run or test restore does not).
--globals (PostgreSQL, a backup taken with --globals) first creates the roles the
target cluster lacks, in one transaction, and leaves existing roles unchanged;
--globals=replace also gives existing roles the backup's password and attributes.
MySQL/MariaDB: a restore fails, undone, when a DEFINER of the backup's views,
routines, triggers or events is not an account of the target server;
--definers=current-user defines them as the restoring user instead.

S3 flags of the s3 verbs:
  {endpoint} {region} {path-style} {credentials-ref} {profile}
  {role-arn} {external-id} {sts-endpoint} {ca-file}

Flags are written --k=v or --k v, before or after the verb's arguments, in
kebab-case (the snake_case spelling of each is accepted too). Global flags
go before or after the verb; after a verb with a flag of the same name
("schedule add --timeout", the S3 flags' --ca-file) that name is the verb's.
Passwords are never given on the command line: --password-ref names a file
or an environment variable on the agent's host that holds it.
--wait and "job wait" follow the job until it ends. "job cancel" ends a queued job at
once; a running one is stopped by its agent, which removes what it wrote.
"database update", "storage update" and "schedule update" change only the fields
whose flags are given (the rest stays); a database moves to another storage or agent
with --storage or --agent. A storage that holds backups keeps its path, prefix and bucket.
"backup delete" removes a backup's objects from its storage at once (it asks no
question) and keeps its catalogue entry, marked deleted.
"backup copy ID --to=STORAGE" copies a backup from its primary storage to a copy
destination of its database now (a pending copy, or a destination added since),
checking both checksums; copies that failed are also retried on their own.
"backup verify ID --storage=COPY" verifies the backup's committed copy in that
destination and records the result on the copy ("backup show"); a scheduled
verification (--verify-cron) checks the newest backup and each of its copies.
S3 keys are never given on the command line either: --credentials-ref names
an AWS credentials file; without it the AWS credential chain is used (the
environment, web identity, the --profile or AWS_PROFILE of ~/.aws, the
container endpoint, EC2 instance metadata). Without --region, AWS_REGION or
the profile's region, the bucket is asked for its region.
SIZE is a byte count, optionally with a KiB, MiB or GiB suffix: --part-size=8MiB.
"s3 list" and "s3 restore" need no controller: they read the bucket from this
machine, and "s3 restore" verifies the backup's checksums, then restores it here.

EXPR is a cron expression, one argument: "30 2 * * *", "0 */6 * * mon-fri",
@hourly, @daily, @weekly, @monthly or @yearly. ZONE is an IANA time zone
(Europe/Berlin, UTC); there is no default. DURATION is a number with s, m, h,
d or w, or several largest first: --keep-within=30d, --timeout=1h30m.
retention flags: {keep-last} {keep-within} {keep-daily}
  {keep-weekly} {keep-monthly} {keep-yearly}; "retention set" gives
  a database its own rules (no flags: removes them), which take precedence over
  its schedule's; "retention plan" is a dry run: without flags it uses those.

exit codes: 0 done, 1 the controller or the storage refused, or the job did not succeed,
            2 usage error
)";

// What a template names: flags it shows, and names that are no flag.
struct Names {
  std::set<std::string> used;
  std::set<std::string> unknown;
};

const FlagSpec* FindFlag(const std::vector<FlagSpec>& flags, const std::string& name) {
  for (const FlagSpec& flag : flags) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

// One "{...}" of a template (see VerbSpec), without its braces.
std::string RenderFlag(const std::string& token, const std::vector<FlagSpec>& flags,
                       Names* names) {
  bool bare = absl::StartsWith(token, "-");
  std::string name = bare ? token.substr(1) : token;
  std::string fixed_value;
  size_t eq = name.find('=');
  if (eq != std::string::npos) {
    fixed_value = name.substr(eq + 1);
    name = name.substr(0, eq);
  }
  const FlagSpec* flag = FindFlag(flags, name);
  if (flag == nullptr) {
    names->unknown.insert(name);
    return absl::StrCat("{", token, "}");
  }
  names->used.insert(name);
  if (eq != std::string::npos) return absl::StrCat("--", name, "=", fixed_value);
  std::string shown = absl::StrCat("--", name);
  if (flag->value_optional) {
    absl::StrAppend(&shown, "[=", flag->value_hint, "]");
  } else if (flag->takes_value) {
    absl::StrAppend(&shown, "=", flag->value_hint.empty() ? "VALUE" : flag->value_hint);
  }
  if (bare || flag->required) return shown;
  return absl::StrCat("[", shown, "]", flag->repeatable ? "*" : "");
}

std::string Render(const std::string& text, const std::vector<FlagSpec>& flags, Names* names) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find('{', pos);
    size_t close = open == std::string::npos ? open : text.find('}', open);
    if (close == std::string::npos) {
      out.append(text, pos, std::string::npos);
      break;
    }
    out.append(text, pos, open - pos);
    out += RenderFlag(text.substr(open + 1, close - open - 1), flags, names);
    pos = close + 1;
  }
  return out;
}

// Every flag in order: the form of a verb that gives none.
std::string AllFlags(const VerbSpec& verb) {
  std::vector<std::string> tokens;
  for (const FlagSpec& flag : verb.flags) tokens.push_back(absl::StrCat("{", flag.name, "}"));
  return absl::StrJoin(tokens, " ");
}

std::vector<std::string> Forms(const VerbSpec& verb) {
  if (verb.forms.empty()) return {AllFlags(verb)};
  return verb.forms;
}

std::string SynopsisTemplate(const VerbSpec& verb) {
  if (!verb.synopsis.empty()) return verb.synopsis;
  if (verb.forms.empty()) return AllFlags(verb);
  const std::string& first = verb.forms[0];
  size_t newline = first.find('\n');
  if (newline == std::string::npos && verb.forms.size() == 1) return first;
  return absl::StrCat(first.substr(0, newline), " [...]");
}

// The command and its positionals, which every form begins with.
std::string Head(const VerbSpec& verb) {
  std::string head = verb.Command();
  for (const std::string& positional : verb.positionals) absl::StrAppend(&head, " ", positional);
  return head;
}

std::string Joined(const std::string& head, const std::string& rest) {
  return rest.empty() ? head : absl::StrCat(head, " ", rest);
}

// The verb's lines in the help text; continuation lines start under the
// first word after the command.
std::string VerbLines(const VerbSpec& verb, Names* names) {
  std::string indent(2 + verb.Command().size() + 1, ' ');
  std::string out;
  for (const std::string& form : Forms(verb)) {
    bool first = true;
    for (absl::string_view line : absl::StrSplit(form, '\n')) {
      std::string rendered = Render(std::string(line), verb.flags, names);
      if (first) {
        absl::StrAppend(&out, "  ", Joined(Head(verb), rendered), "\n");
      } else {
        absl::StrAppend(&out, indent, rendered, "\n");
      }
      first = false;
    }
  }
  return out;
}

std::vector<FlagSpec> SharedFlags() {
  std::vector<FlagSpec> flags;
  for (const FlagGroup& group : SharedFlagGroups()) {
    flags.insert(flags.end(), group.flags.begin(), group.flags.end());
  }
  return flags;
}

// The usage line and the global flags, one per line with their help.
std::string GlobalSection() {
  std::vector<GlobalFlag> globals = GlobalFlags();
  std::vector<FlagSpec> specs = GlobalFlagSpecs();
  Names names;
  std::string out = "usage: dbdumpctl";
  for (const FlagSpec& flag : specs) absl::StrAppend(&out, " ", RenderFlag(flag.name, specs, &names));
  absl::StrAppend(&out, " VERB ...\n\nglobal flags (before or after the verb):\n");
  size_t width = 0;
  std::vector<std::string> shown;
  for (const FlagSpec& flag : specs) {
    shown.push_back(RenderFlag("-" + flag.name, specs, &names));
    width = std::max(width, shown.back().size());
  }
  for (size_t i = 0; i < globals.size(); ++i) {
    absl::StrAppend(&out, "  ", shown[i], std::string(width - shown[i].size() + 2, ' '),
                    globals[i].help, "\n");
  }
  return out;
}

}  // namespace

std::string UsageText() {
  Names names;
  std::string out = GlobalSection();
  absl::StrAppend(&out, "\nverbs:\n");
  for (const VerbSpec& verb : AllVerbs()) absl::StrAppend(&out, VerbLines(verb, &names));
  absl::StrAppend(&out, "  help | --help\n", Render(kNotes, SharedFlags(), &names));
  return out;
}

std::string Synopsis(const VerbSpec& verb) {
  Names names;
  return absl::StrCat("dbdumpctl ",
                      Joined(Head(verb), Render(SynopsisTemplate(verb), verb.flags, &names)));
}

absl::Status CheckUsage(const std::vector<VerbSpec>& verbs) {
  std::vector<std::string> problems;
  Names notes;
  std::string notes_text = Render(kNotes, SharedFlags(), &notes);
  for (const std::string& name : notes.unknown) {
    problems.push_back(absl::StrCat("the notes show --", name, ", which no shared group has"));
  }
  // Dispatch takes the first row that matches, and a one-word command cannot
  // share its noun with others: either would hide a row.
  std::set<std::string> commands;
  std::set<std::string> one_word;
  std::set<std::string> nouns_with_verbs;
  for (const VerbSpec& verb : verbs) {
    if (!commands.insert(verb.Command()).second) {
      problems.push_back(absl::StrCat("\"", verb.Command(), "\" is in the table twice"));
    }
    (verb.verb.empty() ? one_word : nouns_with_verbs).insert(verb.noun);
  }
  for (const std::string& noun : one_word) {
    if (nouns_with_verbs.count(noun) > 0) {
      problems.push_back(absl::StrCat("\"", noun, "\" is both a command and a noun with verbs"));
    }
  }
  // One spelling for every flag: kebab-case (snake_case is only an alias).
  auto check_spelling = [&](const std::string& where, const FlagSpec& flag) {
    if (flag.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos) {
      problems.push_back(absl::StrCat(where, " names --", flag.name, ", which is not kebab-case"));
    }
  };
  for (const FlagSpec& flag : GlobalFlagSpecs()) check_spelling("the global flags", flag);
  for (const VerbSpec& verb : verbs) {
    for (const FlagSpec& flag : verb.flags) {
      check_spelling(absl::StrCat("\"", verb.Command(), "\""), flag);
    }
  }
  for (const VerbSpec& verb : verbs) {
    Names names;
    VerbLines(verb, &names);
    Render(SynopsisTemplate(verb), verb.flags, &names);
    for (const FlagGroup& group : SharedFlagGroups()) {
      bool named = false;
      for (const std::string& form : verb.forms) {
        named = named || absl::StrContains(form, absl::StrCat("[", group.name, "]"));
      }
      if (!named) continue;
      // The group stands for its flags; the notes must then explain each.
      for (const FlagSpec& flag : group.flags) {
        names.used.insert(flag.name);
        if (!absl::StrContains(notes_text, absl::StrCat("--", flag.name))) {
          problems.push_back(
              absl::StrCat("--", flag.name, " of the ", group.name, " is not in the notes"));
        }
      }
    }
    for (const std::string& name : names.unknown) {
      problems.push_back(
          absl::StrCat("\"", verb.Command(), "\" shows --", name, ", which it does not accept"));
    }
    for (const FlagSpec& flag : verb.flags) {
      if (names.used.count(flag.name) == 0) {
        problems.push_back(absl::StrCat("\"", verb.Command(), "\" accepts --", flag.name,
                                        " but does not show it"));
      }
    }
    if (verb.run == nullptr) {
      problems.push_back(absl::StrCat("\"", verb.Command(), "\" has no handler"));
    }
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InternalError(absl::StrJoin(problems, "; "));
}

}  // namespace dbdump
