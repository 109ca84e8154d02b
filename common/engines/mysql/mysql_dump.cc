// MysqlEngine's dump: which databases and tables, and mariadb-dump (or
// mysqldump) started on them.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/secret_ref.h"
#include "common/base/status_macros.h"
#include "common/engines/mysql/mysql_catalog.h"
#include "common/engines/mysql/mysql_client.h"
#include "common/engines/mysql/mysql_engine.h"
#include "common/engines/tool_session.h"

namespace dbdump {

using mysql::Describe;
using mysql::IsSystemSchema;
using mysql::kRelationsSql;
using mysql::kStateSql;
using mysql::MakeOptionFile;
using mysql::MysqlError;
using mysql::ParseState;
using mysql::ServerState;
using mysql::ToolEnv;
using v1::DatabaseTarget;
using v1::DumpOptions;

absl::Status MysqlEngine::ValidateDumpOptions(const DumpOptions& o) const {
  if (!o.format().empty() && o.format() != "sql") {
    return absl::InvalidArgumentError(absl::StrCat(
        "dump option format \"", o.format(),
        "\" is not available for MySQL: its only format is sql; leave format empty"));
  }
  if (o.include_schemas_size() > 0 || o.exclude_schemas_size() > 0) {
    return absl::InvalidArgumentError(
        "dump options include_schemas/exclude_schemas are PostgreSQL options: for MySQL use "
        "databases, include_tables or exclude_tables");
  }
  if (o.globals()) {
    return absl::InvalidArgumentError(
        "dump option globals is a PostgreSQL option (roles and tablespaces): MySQL has no "
        "equivalent here; turn it off");
  }
  if (o.include_namespaces_size() > 0 || o.exclude_namespaces_size() > 0) {
    return absl::InvalidArgumentError(
        "dump options include_namespaces/exclude_namespaces are MongoDB options: for MySQL use "
        "include_tables or exclude_tables");
  }
  if (o.schema_only() && o.data_only()) {
    return absl::InvalidArgumentError(
        "dump options schema_only and data_only exclude each other: pick one");
  }
  if (o.all_databases() && o.databases_size() > 0) {
    return absl::InvalidArgumentError(
        "dump option all_databases already covers every database: leave databases empty");
  }
  if (o.include_tables_size() > 0 && (o.all_databases() || o.databases_size() > 0)) {
    return absl::InvalidArgumentError(
        "dump option include_tables needs a single database: drop databases/all_databases or "
        "include_tables");
  }
  for (const std::string& db : o.databases()) {
    RETURN_IF_ERROR(ValidateMysqlName("database name in dump option databases", db));
  }
  for (const auto* list : {&o.include_tables(), &o.exclude_tables()}) {
    for (const std::string& t : *list) {
      if (t.empty() || t.find('\0') != std::string::npos || mysql::Utf8Chars(t) > 2 * mysql::kMaxNameChars + 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            "table name \"", absl::CHexEscape(t),
            "\" in the dump options is not a MySQL table name: give \"table\" or \"db.table\""));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<DumpSession>> MysqlEngine::StartDump(const DatabaseTarget& target,
                                                                    const std::string& work_dir) {
  const DumpOptions& o = target.dump_options();
  RETURN_IF_ERROR(ValidateDumpOptions(o));
  const std::string& main_db = target.database();
  bool multi = o.all_databases() || o.databases_size() > 0;
  if (!multi && main_db.empty()) {
    return absl::InvalidArgumentError(
        "the target has no database: set its database, or databases/all_databases in its dump "
        "options");
  }
  if (!main_db.empty()) RETURN_IF_ERROR(ValidateMysqlName("database name", main_db));
  ASSIGN_OR_RETURN(Tools tools, FindTools());
  // One look at the catalog first: a clear error for a wrong password or a
  // missing database before the dump starts, and the tables for the
  // manifest.
  ASSIGN_OR_RETURN(std::string out, RunSql(tools, target, "", absl::StrCat(kStateSql, kRelationsSql),
                                           work_dir, "cannot connect to"));
  ASSIGN_OR_RETURN(ServerState st, ParseState(out));

  std::vector<std::string> dbs;
  if (o.all_databases()) {
    for (const auto& [name, info] : st.schemas) {
      if (!IsSystemSchema(name)) dbs.push_back(name);
    }
    if (dbs.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the server at ", Describe(target, ""), " has no database besides its own system "
          "schemas: nothing to back up"));
    }
  } else {
    if (!main_db.empty()) dbs.push_back(main_db);
    for (const std::string& d : o.databases()) {
      if (std::find(dbs.begin(), dbs.end(), d) == dbs.end()) dbs.push_back(d);
    }
  }
  for (const std::string& d : dbs) {
    if (st.schemas.count(d) == 0) {
      return absl::NotFoundError(absl::StrCat("database \"", d, "\" not found on ",
                                              Describe(target, ""), ": check the database name"));
    }
  }

  // Tables to leave out, as "db.table" (what --ignore-table matches), and
  // the tables to dump of a single database.
  std::set<std::string> ignored;
  for (const std::string& e : o.exclude_tables()) {
    if (!multi) {
      // A table of the database, or "db.table" naming it.
      if (st.relations.count({main_db, e}) == 0 && absl::StartsWith(e, main_db + ".") &&
          st.relations.count({main_db, e.substr(main_db.size() + 1)}) > 0) {
        ignored.insert(e);
      } else {
        ignored.insert(absl::StrCat(main_db, ".", e));
      }
    } else if (e.find('.') != std::string::npos) {
      ignored.insert(e);
    } else if (!main_db.empty()) {
      ignored.insert(absl::StrCat(main_db, ".", e));
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "dump option exclude_tables: \"", e,
          "\" needs its database (db.table) when several databases are dumped"));
    }
  }
  ASSIGN_OR_RETURN(std::vector<std::string> included,
                   mysql::IncludedTables(st, main_db, {o.include_tables().begin(),
                                                       o.include_tables().end()}));

  DumpInfo info;
  info.server_version = st.version;
  info.tool_version = tools.version;
  info.extension = "sql";
  info.dump_format = "mysql sql";
  for (const auto& [db, table] : st.base_tables) {
    if (std::find(dbs.begin(), dbs.end(), db) == dbs.end()) continue;
    if (ignored.count(absl::StrCat(db, ".", table)) > 0) continue;
    if (!included.empty() && std::find(included.begin(), included.end(), table) == included.end()) {
      continue;
    }
    v1::TableInfo ti;
    ti.set_name(multi ? absl::StrCat(db, ".", table) : table);
    // InnoDB's counts are estimates and counting is not cheap.
    ti.set_rows(-1);
    info.tables.push_back(ti);
  }

  ASSIGN_OR_RETURN(std::string password, ResolveSecretRef(target.password_ref()));
  ASSIGN_OR_RETURN(mysql::ClientFiles file,
                   MakeOptionFile(work_dir, target, password, "", options_.connect_timeout_s,
                                  UsesSslMode(tools)));
  ProcessOptions po;
  // --defaults-file first (the tools require it there). Nothing is dropped
  // on restore unless asked (--skip-add-drop-table); binary data as hex so
  // the dump is plain text; one consistent snapshot of InnoDB tables.
  po.argv = {tools.dump,          "--defaults-file=" + file.path(),
             "--single-transaction", "--quick",
             "--hex-blob",        "--skip-add-drop-table",
             "--skip-dump-date",  "--no-tablespaces",
             "--default-character-set=utf8mb4"};
  if (o.data_only()) {
    // No LOCK TABLES or ALTER TABLE ... DISABLE KEYS: they would commit
    // implicitly, and a data-only restore runs as one transaction.
    po.argv.insert(po.argv.end(),
                   {"--no-create-info", "--skip-triggers", "--skip-add-locks", "--skip-disable-keys"});
  } else {
    po.argv.insert(po.argv.end(), {"--routines", "--events", "--triggers"});
  }
  if (o.schema_only()) po.argv.push_back("--no-data");
  for (const std::string& t : ignored) po.argv.push_back("--ignore-table=" + t);
  if (multi) po.argv.push_back("--databases");
  // Names after "--": never parsed as options, whatever they look like.
  po.argv.push_back("--");
  if (multi) {
    po.argv.insert(po.argv.end(), dbs.begin(), dbs.end());
  } else {
    po.argv.push_back(main_db);
    po.argv.insert(po.argv.end(), included.begin(), included.end());
  }
  po.env = ToolEnv();
  po.pipe_stdout = true;
  ASSIGN_OR_RETURN(std::unique_ptr<Process> p, options_.runner->Start(po));
  std::vector<PrivateFile> files;
  file.MoveInto(&files);
  std::string desc = Describe(target, multi ? "" : main_db);
  ToolErrorFn on_error = [desc, tool = tools.dump](int code, const std::string& err) {
    return MysqlError(absl::StrCat(tool.substr(tool.rfind('/') + 1), " failed for"), desc, err,
                      code, "");
  };
  return std::unique_ptr<DumpSession>(
      new ToolDumpSession(std::move(p), std::move(files), std::move(on_error), std::move(info)));
}

}  // namespace dbdump
