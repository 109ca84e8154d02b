// "database add|list|show|update|remove": the databases the controller backs up.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/ascii.h"
#include "common/base/database_tls.h"
#include "common/base/status_macros.h"
#include "controller/cli/args/cli_error.h"
#include "controller/cli/args/value_checks.h"
#include "controller/cli/client/controller_client.h"
#include "controller/cli/commands/command_context.h"
#include "controller/cli/commands/flag_groups.h"
#include "controller/cli/commands/verb_table.h"
#include "controller/cli/output/formatting.h"
#include "controller/cli/output/table_printer.h"

namespace dbdump {
namespace {

absl::StatusOr<v1::Engine> ParseEngine(const std::string& name) {
  if (name == "postgres" || name == "postgresql") return v1::ENGINE_POSTGRES;
  if (name == "mysql" || name == "mariadb") return v1::ENGINE_MYSQL;
  if (name == "mongodb" || name == "mongo") return v1::ENGINE_MONGODB;
  if (name == "sqlite") return v1::ENGINE_SQLITE;
  return UsageError(absl::StrCat("unknown engine \"", name,
                                 "\": use --engine=postgres, mysql, mongodb or sqlite"));
}

// The selective options given on the command line; the agent checks them
// against what the engine can honour when the database is added.
v1::DumpOptions ParseDumpOptions(const ParsedArgs& args) {
  v1::DumpOptions o;
  o.set_format(args.Get("format"));
  o.set_schema_only(args.Has("schema-only"));
  o.set_data_only(args.Has("data-only"));
  for (const std::string& v : args.GetAll("table")) o.add_include_tables(v);
  for (const std::string& v : args.GetAll("exclude-table")) o.add_exclude_tables(v);
  for (const std::string& v : args.GetAll("schema")) o.add_include_schemas(v);
  for (const std::string& v : args.GetAll("exclude-schema")) o.add_exclude_schemas(v);
  o.set_globals(args.Has("globals"));
  for (const std::string& v : args.GetAll("also-database")) o.add_databases(v);
  o.set_all_databases(args.Has("all-databases"));
  for (const std::string& v : args.GetAll("namespace")) o.add_include_namespaces(v);
  for (const std::string& v : args.GetAll("exclude-namespace")) o.add_exclude_namespaces(v);
  return o;
}

// "verify-full, CA /etc/ca.pem, client certificate /etc/c.pem (key file:/etc/c.key)";
// the key's reference only, which names where the agent reads it.
std::string TlsText(const v1::DatabaseTarget& t) {
  const v1::DatabaseTls& tls = t.tls();
  if (tls.mode() == v1::DATABASE_TLS_MODE_UNSPECIFIED) {
    return t.engine() == v1::ENGINE_POSTGRES ? "client default (prefer, unverified)"
           : t.engine() == v1::ENGINE_MYSQL  ? "client default"
                                             : "";
  }
  std::string text = DatabaseTlsModeName(t.engine(), tls.mode());
  if (!tls.ca_file().empty()) absl::StrAppend(&text, ", CA ", tls.ca_file());
  if (!tls.cert_file().empty()) {
    absl::StrAppend(&text, ", client certificate ", tls.cert_file(), " (key ", tls.key_ref(), ")");
  }
  return text;
}

// "--copies=a,b": copy destinations by name; empty for none.
absl::StatusOr<std::vector<std::string>> ParseCopies(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view c : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::string name(absl::StripAsciiWhitespace(c));
    RETURN_IF_ERROR(CheckName("copy storage name", name));
    out.push_back(std::move(name));
  }
  return out;
}

std::string Location(const v1::DatabaseTarget& target) {
  if (target.engine() == v1::ENGINE_SQLITE) return target.path();
  std::string location = target.host();
  if (target.port() != 0) absl::StrAppend(&location, ":", target.port());
  if (!target.database().empty()) absl::StrAppend(&location, "/", target.database());
  return location;
}

absl::Status DatabaseAdd(CommandContext& context, const ParsedArgs& args) {
  v1::AddDatabaseRequest req;
  v1::DatabaseTarget* target = req.mutable_database();
  target->set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("database name", target->name()));
  ASSIGN_OR_RETURN(v1::Engine engine, ParseEngine(args.Get("engine")));
  target->set_engine(engine);
  target->set_agent(args.Get("agent"));
  RETURN_IF_ERROR(CheckName("agent name", target->agent()));
  req.set_storage(args.Get("storage"));
  RETURN_IF_ERROR(CheckName("storage name", req.storage()));
  req.set_skip_connection_test(args.Has("skip-connection-test"));
  if (args.Has("copies")) {
    ASSIGN_OR_RETURN(std::vector<std::string> copies, ParseCopies(args.Get("copies")));
    for (std::string& c : copies) req.add_copies(std::move(c));
  }

  *target->mutable_dump_options() = ParseDumpOptions(args);
  if (engine == v1::ENGINE_SQLITE) {
    const FlagGroup dump_options = DumpOptionFlags();
    for (const FlagSpec& flag : dump_options.flags) {
      if (args.Has(flag.name)) {
        return UsageError(absl::StrCat("--", flag.name,
                                       " does not apply to sqlite databases: a backup is always "
                                       "the whole database file"));
      }
    }
    for (const char* flag : {"host", "port", "user", "dbname", "password-ref"}) {
      if (args.Has(flag)) {
        return UsageError(absl::StrCat("--", flag,
                                       " does not apply to sqlite databases: give "
                                       "only --path=/abs/file.db"));
      }
    }
    if (!args.Has("path")) {
      return UsageError("missing --path=/abs/file.db: sqlite databases need the file's path");
    }
    target->set_path(args.Get("path"));
    RETURN_IF_ERROR(CheckAbsolutePath("path", target->path()));
  } else {
    if (args.Has("path")) {
      return UsageError("--path is for sqlite databases: give the others --dbname=DB");
    }
    ASSIGN_OR_RETURN(uint32_t port, args.GetUint32("port", 0, 1, 65535));
    target->set_host(args.Get("host"));
    target->set_port(port);
    target->set_user(args.Get("user"));
    target->set_database(args.Get("dbname"));
    if (args.Has("password-ref")) {
      target->set_password_ref(args.Get("password-ref"));
      RETURN_IF_ERROR(CheckPasswordRef(target->password_ref()));
    }
  }
  RETURN_IF_ERROR(ApplyDatabaseTlsFlags(args, target, /*mask=*/nullptr));
  bool encryption = false;
  RETURN_IF_ERROR(ApplyEncryptionFlags(args, target, &encryption));

  ASSIGN_OR_RETURN(v1::AddDatabaseResponse resp, context.client().AddDatabase(req));
  if (context.json()) return context.PrintJson(resp);
  std::string name =
      resp.database().target().name().empty() ? target->name() : resp.database().target().name();
  context.out() << "database \"" << name << "\" added";
  if (!resp.database().server_version().empty()) {
    context.out() << " (" << resp.database().server_version() << ")";
  }
  context.out() << "\n";
  return absl::OkStatus();
}

absl::Status DatabaseList(CommandContext& context, const ParsedArgs& args) {
  v1::ListDatabasesRequest req;
  RETURN_IF_ERROR(ApplyPageFlags(args, &req));
  ASSIGN_OR_RETURN(v1::ListDatabasesResponse resp, context.client().ListDatabases(req));
  if (context.json()) return context.PrintJson(resp);
  TablePrinter table({"NAME", "ENGINE", "AGENT", "STORAGE", "LOCATION", "SERVER"});
  for (const v1::Database& db : resp.databases()) {
    const v1::DatabaseTarget& t = db.target();
    table.AddRow({t.name(), EngineName(t.engine()), t.agent(), db.storage(), Location(t),
                  db.server_version()});
  }
  table.Print(context.out());
  PrintNextPage(context, "databases", resp.next_page_token());
  return absl::OkStatus();
}

// "age to 2 recipients: age1..., age1..." or "age with the passphrase at
// file:/..." (its reference) or "none".
std::string EncryptionText(const v1::Encryption& e) {
  if (!e.passphrase_ref().empty()) return "age, passphrase from " + e.passphrase_ref();
  if (e.recipients_size() == 0) return "none";
  return absl::StrCat("age to ", e.recipients_size(), " recipient",
                      e.recipients_size() == 1 ? "" : "s", ": ",
                      absl::StrJoin(e.recipients(), ", "));
}

absl::Status DatabaseShow(CommandContext& context, const ParsedArgs& args) {
  v1::GetDatabaseRequest req;
  req.set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("database name", req.name()));
  ASSIGN_OR_RETURN(v1::GetDatabaseResponse resp, context.client().GetDatabase(req));
  if (context.json()) return context.PrintJson(resp);
  const v1::DatabaseTarget& t = resp.database().target();
  std::string options = DumpOptionsText(t.dump_options());
  std::vector<std::pair<std::string, std::string>> fields = {{"name", t.name()},
                              {"engine", EngineName(t.engine())},
                              {"agent", t.agent()},
                              {"storage", resp.database().storage()},
                              {"copies", resp.database().copies().empty()
                                             ? "none"
                                             : absl::StrJoin(resp.database().copies(), ", ")},
                              {"location", Location(t)},
                              {"user", t.user()},
                              {"password ref", t.password_ref()}};
  if (t.engine() == v1::ENGINE_POSTGRES || t.engine() == v1::ENGINE_MYSQL) {
    fields.push_back({"tls", TlsText(t)});
  }
  fields.push_back({"dump options", options.empty() ? "whole database" : options});
  fields.push_back({"encryption", EncryptionText(t.encryption())});
  fields.push_back({"server", resp.database().server_version()});
  fields.push_back({"created", resp.database().created_at()});
  PrintFields(context.out(), fields);
  return absl::OkStatus();
}

// Whether the update changes how the database is reached (tested then).
bool MaskTouchesConnection(const google::protobuf::FieldMask& mask) {
  for (const std::string& p : mask.paths()) {
    if (p != "storage" && p != "copies") return true;
  }
  return false;
}

// Each flag given sets one field and names it in the update mask; nothing
// else changes.
absl::Status DatabaseUpdate(CommandContext& context, const ParsedArgs& args) {
  v1::UpdateDatabaseRequest req;
  req.set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("database name", req.name()));
  v1::Database* db = req.mutable_database();
  v1::DatabaseTarget* t = db->mutable_target();
  google::protobuf::FieldMask* mask = req.mutable_update_mask();
  if (args.Has("storage")) {
    db->set_storage(args.Get("storage"));
    RETURN_IF_ERROR(CheckName("storage name", db->storage()));
    mask->add_paths("storage");
  }
  if (args.Has("copies")) {
    ASSIGN_OR_RETURN(std::vector<std::string> copies, ParseCopies(args.Get("copies")));
    for (std::string& c : copies) db->add_copies(std::move(c));
    mask->add_paths("copies");
  }
  if (args.Has("agent")) {
    t->set_agent(args.Get("agent"));
    RETURN_IF_ERROR(CheckName("agent name", t->agent()));
    mask->add_paths("target.agent");
  }
  if (args.Has("host")) {
    t->set_host(args.Get("host"));
    mask->add_paths("target.host");
  }
  if (args.Has("port")) {
    ASSIGN_OR_RETURN(uint32_t port, args.GetUint32("port", 0, 1, 65535));
    t->set_port(port);
    mask->add_paths("target.port");
  }
  if (args.Has("user")) {
    t->set_user(args.Get("user"));
    mask->add_paths("target.user");
  }
  if (args.Has("dbname")) {
    t->set_database(args.Get("dbname"));
    mask->add_paths("target.database");
  }
  if (args.Has("path")) {
    t->set_path(args.Get("path"));
    RETURN_IF_ERROR(CheckAbsolutePath("path", t->path()));
    mask->add_paths("target.path");
  }
  if (args.Has("password-ref")) {
    t->set_password_ref(args.Get("password-ref"));
    RETURN_IF_ERROR(CheckPasswordRef(t->password_ref()));
    mask->add_paths("target.password_ref");
  }
  if (args.Has("clear-tls")) {
    for (const FlagSpec& flag : DatabaseTlsFlags().flags) {
      if (args.Has(flag.name)) {
        return UsageError(absl::StrCat("--clear-tls removes every TLS setting: give it without --",
                                       flag.name));
      }
    }
    t->clear_tls();
    mask->add_paths("target.tls");
  }
  RETURN_IF_ERROR(ApplyDatabaseTlsFlags(args, t, mask));
  bool encryption = false;
  RETURN_IF_ERROR(ApplyEncryptionFlags(args, t, &encryption));
  if (args.Has("no-encryption")) {
    if (encryption) {
      return UsageError("--no-encryption stops encrypting: give it without --encrypt-to or "
                        "--encrypt-passphrase-ref");
    }
    t->clear_encryption();
    encryption = true;
  }
  if (encryption) mask->add_paths("target.encryption");
  // Dump options are replaced as a whole: the flags given are the new set.
  bool dump_options = false;
  for (const FlagSpec& flag : DumpOptionFlags().flags) {
    dump_options = dump_options || args.Has(flag.name);
  }
  if (dump_options || args.Has("whole-database")) {
    if (dump_options && args.Has("whole-database")) {
      return UsageError("--whole-database clears the dump options: give it without them");
    }
    *t->mutable_dump_options() = ParseDumpOptions(args);
    mask->add_paths("target.dump_options");
  }
  if (mask->paths().empty()) {
    return UsageError(
        "nothing to update: give the fields to change, e.g. --storage=S, --agent=A or --host=H");
  }
  req.set_skip_connection_test(args.Has("skip-connection-test"));
  ASSIGN_OR_RETURN(v1::UpdateDatabaseResponse resp, context.client().UpdateDatabase(req));
  if (context.json()) return context.PrintJson(resp);
  context.out() << "database \"" << req.name()
                << "\" updated: " << absl::StrJoin(mask->paths(), ", ");
  if (!resp.database().server_version().empty() && !req.skip_connection_test() &&
      MaskTouchesConnection(*mask)) {
    context.out() << " (connection tested: " << resp.database().server_version() << ")";
  }
  context.out() << "\n";
  return absl::OkStatus();
}

absl::Status DatabaseRemove(CommandContext& context, const ParsedArgs& args) {
  v1::RemoveDatabaseRequest req;
  req.set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("database name", req.name()));
  ASSIGN_OR_RETURN(v1::RemoveDatabaseResponse resp, context.client().RemoveDatabase(req));
  if (context.json()) return context.PrintJson(resp);
  context.out() << "database \"" << req.name() << "\" removed\n";
  return absl::OkStatus();
}

}  // namespace

std::vector<VerbSpec> DatabaseVerbs() {
  VerbSpec add;
  add.noun = "database";
  add.verb = "add";
  add.positionals = {"NAME"};
  add.flags = {ValueFlag("engine", "postgres|mysql|mongodb|sqlite", /*required=*/true),
               ValueFlag("agent", "AGENT", /*required=*/true),
               ValueFlag("storage", "STORAGE", /*required=*/true),
               ValueFlag("copies", "STORAGE,..."),
               ValueFlag("host", "H"),
               ValueFlag("port", "P"),
               ValueFlag("user", "U"),
               ValueFlag("dbname", "DB"),
               ValueFlag("password-ref", "file:/path|env:NAME"),
               ValueFlag("path", "/abs/file.db"),
               SwitchFlag("skip-connection-test")};
  const FlagGroup dump_options = DumpOptionFlags();
  add.flags.insert(add.flags.end(), dump_options.flags.begin(), dump_options.flags.end());
  const FlagGroup tls = DatabaseTlsFlags();
  add.flags.insert(add.flags.end(), tls.flags.begin(), tls.flags.end());
  const FlagGroup encryption = EncryptionFlags();
  add.flags.insert(add.flags.end(), encryption.flags.begin(), encryption.flags.end());
  add.forms = {
      "{engine} {agent} {storage} {copies}\n"
      "{host} {port} {user} {dbname} {password-ref}\n"
      "{path} {skip-connection-test} [dump options] [TLS flags] [encryption flags]"};
  add.run = DatabaseAdd;

  VerbSpec list;
  list.noun = "database";
  list.verb = "list";
  list.flags = {ValueFlag("limit", "N"), ValueFlag("page-token", "T")};
  list.run = DatabaseList;

  VerbSpec show;
  show.noun = "database";
  show.verb = "show";
  show.positionals = {"NAME"};
  show.run = DatabaseShow;

  VerbSpec update;
  update.noun = "database";
  update.verb = "update";
  update.positionals = {"NAME"};
  update.flags = {ValueFlag("storage", "STORAGE"),
                  ValueFlag("copies", "STORAGE,..."),
                  ValueFlag("agent", "AGENT"),
                  ValueFlag("host", "H"),
                  ValueFlag("port", "P"),
                  ValueFlag("user", "U"),
                  ValueFlag("dbname", "DB"),
                  ValueFlag("password-ref", "file:/path|env:NAME"),
                  ValueFlag("path", "/abs/file.db"),
                  SwitchFlag("whole-database"),
                  SwitchFlag("clear-tls"),
                  SwitchFlag("no-encryption"),
                  SwitchFlag("skip-connection-test")};
  update.flags.insert(update.flags.end(), dump_options.flags.begin(), dump_options.flags.end());
  update.flags.insert(update.flags.end(), tls.flags.begin(), tls.flags.end());
  update.flags.insert(update.flags.end(), encryption.flags.begin(), encryption.flags.end());
  update.forms = {
      "{storage} {copies} {agent}\n"
      "{host} {port} {user} {dbname} {password-ref}\n"
      "{path} {skip-connection-test} [dump options] [TLS flags] | {whole-database}\n"
      "{clear-tls} [encryption flags] | {no-encryption}"};
  update.run = DatabaseUpdate;

  VerbSpec remove;
  remove.noun = "database";
  remove.verb = "remove";
  remove.positionals = {"NAME"};
  remove.run = DatabaseRemove;
  return {add, list, show, update, remove};
}

}  // namespace dbdump
