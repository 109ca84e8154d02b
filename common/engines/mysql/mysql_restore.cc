// MysqlEngine's restore: checks the request, prepares the target databases
// (created, or emptied with clean), plans how a failure is undone and starts
// the client that applies the dump.
#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/log.h"
#include "common/base/secret_ref.h"
#include "common/base/status_macros.h"
#include "common/engines/mysql/mysql_accounts.h"
#include "common/engines/mysql/mysql_catalog.h"
#include "common/engines/mysql/mysql_client.h"
#include "common/engines/mysql/mysql_definer_session.h"
#include "common/engines/mysql/mysql_dry_run_session.h"
#include "common/engines/mysql/mysql_engine.h"
#include "common/engines/mysql/mysql_one_transaction_session.h"
#include "common/engines/restore_target.h"
#include "common/engines/tool_session.h"

namespace dbdump {

using mysql::CreateDatabaseSql;
using mysql::Describe;
using mysql::IsSystemSchema;
using mysql::kScratchPrefix;
using mysql::kStateSql;
using mysql::MakeOptionFile;
using mysql::MysqlDefinerFilter;
using mysql::MysqlError;
using mysql::ParseState;
using mysql::ServerState;
using mysql::ToolEnv;
using v1::DatabaseTarget;
using v1::DumpOptions;

namespace {

// Runs `sql` with the client on the restore's server (no default
// database); `what` starts the error message. Returns the batch output.
using RunSqlFn =
    std::function<absl::StatusOr<std::string>(const std::string& sql, absl::string_view what)>;

// How a failed restore is undone: databases it created are dropped, and
// databases that were empty (or that clean emptied) are emptied again.
struct UndoPlan {
  std::vector<std::string> drop;
  std::map<std::string, std::string> empty;  // name -> CREATE DATABASE
};

// What can be refused before the server is asked anything.
absl::Status CheckRestoreRequest(const DatabaseTarget& target, const DumpOptions& dumped,
                                 const v1::RestoreOptions& options, bool multi) {
  const std::string& db = target.database();
  if (multi && options.test_restore()) {
    return absl::FailedPreconditionError(
        "a backup of several databases restores into the databases it was made from, not into "
        "a scratch database: test-restore a single-database backup instead");
  }
  if (dumped.data_only() && options.clean()) {
    return absl::InvalidArgumentError(
        "clean would drop the tables a data-only backup restores its rows into: restore "
        "without clean");
  }
  if (multi && options.clean() && dumped.all_databases()) {
    return absl::InvalidArgumentError(
        "clean is not available for a backup of all databases: drop the databases yourself "
        "first, or restore without clean into a server that does not have them");
  }
  if (!multi && db.empty()) {
    return absl::InvalidArgumentError("the restore target has no database: give one");
  }
  RETURN_IF_ERROR(ValidateRestoreTarget(v1::ENGINE_MYSQL, db));
  for (const std::string& d : dumped.databases()) {
    RETURN_IF_ERROR(ValidateMysqlName("database name in the backup's databases", d));
  }
  return absl::OkStatus();
}

// A backup of one database: the target database is created, or checked to
// be empty (or emptied, with clean).
absl::StatusOr<UndoPlan> PrepareOneDatabase(const std::string& db, const ServerState& st,
                                            const DumpOptions& dumped,
                                            const v1::RestoreOptions& options,
                                            const std::string& server, const RunSqlFn& run) {
  UndoPlan undo;
  auto it = st.schemas.find(db);
  std::string q = QuoteMysqlIdentifier(db);
  if (dumped.data_only()) {
    // Rows only: into the tables that are there, nothing created, nothing
    // to empty; the transaction undoes a failure.
    if (it == st.schemas.end()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "database \"", db, "\" does not exist on ", server,
          ": a data-only backup restores rows into existing tables; restore the schema first"));
    }
  } else if (it == st.schemas.end()) {
    if (options.no_create()) {
      return absl::NotFoundError(absl::StrCat(
          "database \"", db, "\" does not exist on ", server,
          " and no_create is set: create it first or restore without no_create"));
    }
    RETURN_IF_ERROR(
        run(absl::StrCat("CREATE DATABASE ", q, ";\n"), "cannot create the database on").status());
    undo.drop.push_back(db);
  } else {
    std::string create = CreateDatabaseSql(db, it->second);
    if (it->second.objects > 0) {
      if (!options.clean()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "database \"", db, "\" already has ", it->second.objects,
            " tables, views, routines or events: pass --clean to replace them or restore "
            "into another database"));
      }
      RETURN_IF_ERROR(run(absl::StrCat("DROP DATABASE ", q, ";\n", create),
                          "cannot drop and recreate the database (clean) on")
                          .status());
    }
    undo.empty[db] = create;
  }
  return undo;
}

// A backup of several databases: the dump names its databases (CREATE
// DATABASE IF NOT EXISTS, USE): the ones listed in the backup, and for all
// databases those its tables are in. They must be empty, or clean empties
// the listed ones.
absl::StatusOr<UndoPlan> PrepareDatabases(const std::string& db, const ServerState& st,
                                          const v1::Manifest& manifest,
                                          const v1::RestoreOptions& options,
                                          const std::string& server, const RunSqlFn& run) {
  const DumpOptions& dumped = manifest.dump_options();
  UndoPlan undo;
  if (absl::StartsWith(db, kScratchPrefix)) {
    // The dump would go to the databases it names, not to the scratch one.
    return absl::FailedPreconditionError(
        "a backup of several databases restores into the databases it was made from, not "
        "into a scratch database: test-restore a single-database backup instead");
  }
  std::vector<std::string> listed;
  if (!dumped.all_databases()) {
    if (!db.empty()) listed.push_back(db);
    for (const std::string& d : dumped.databases()) {
      if (std::find(listed.begin(), listed.end(), d) == listed.end()) listed.push_back(d);
    }
  }
  auto is_listed = [&](const std::string& name) {
    return std::find(listed.begin(), listed.end(), name) != listed.end();
  };
  auto in_backup = [&](const std::string& name) {
    if (is_listed(name)) return true;
    for (const v1::TableInfo& t : manifest.tables()) {
      if (absl::StartsWith(t.name(), name + ".")) return true;
    }
    return false;
  };
  std::vector<std::string> busy;
  for (const auto& [name, info] : st.schemas) {
    if (IsSystemSchema(name) || !in_backup(name)) continue;
    if (info.objects > 0 && !dumped.data_only()) busy.push_back(name);
  }
  if (options.no_create()) {
    for (const std::string& d : listed) {
      if (st.schemas.count(d) == 0) {
        return absl::NotFoundError(absl::StrCat(
            "database \"", d, "\" does not exist on ", server,
            " and no_create is set: create it first or restore without no_create"));
      }
    }
  }
  if (!busy.empty() && !options.clean()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "databases of the backup already hold tables, views, routines or events on ", server,
        ": ", absl::StrJoin(busy, ", "),
        "; pass --clean to replace them (a backup of several databases restores into the "
        "databases it was made from)"));
  }
  for (const std::string& b : busy) {
    if (!is_listed(b)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "database \"", b, "\" holds tables of the backup but is not in its database list: "
          "drop it yourself or restore into the original target"));
    }
  }
  std::string clean_sql;
  for (const auto& [name, info] : st.schemas) {
    if (IsSystemSchema(name) || !in_backup(name)) continue;
    std::string create = CreateDatabaseSql(name, info);
    if (options.clean() && is_listed(name)) {
      absl::StrAppend(&clean_sql, "DROP DATABASE ", QuoteMysqlIdentifier(name), ";\n", create);
    }
    // Rows of a data-only backup go into existing tables: never emptied.
    if (!dumped.data_only()) undo.empty[name] = create;
  }
  if (!clean_sql.empty()) {
    RETURN_IF_ERROR(run(clean_sql, "cannot drop the databases (clean) on").status());
  }
  for (const std::string& d : listed) {
    if (st.schemas.count(d) == 0) undo.drop.push_back(d);
  }
  return undo;
}

// What the session runs when the restore fails or is abandoned. For
// several databases the catalog also says which databases appeared that
// the backup's tables are in (whatever the restore target's name).
std::function<void()> UndoFailedRestore(UndoPlan plan, const ServerState& before_restore,
                                        bool multi, const v1::Manifest& manifest, RunSqlFn run) {
  std::set<std::string> before;
  for (const auto& [name, info] : before_restore.schemas) before.insert(name);
  bool look_for_new = multi;
  std::vector<std::string> table_names;
  for (const v1::TableInfo& t : manifest.tables()) table_names.push_back(t.name());
  return [plan = std::move(plan), before = std::move(before), look_for_new,
          table_names = std::move(table_names), run = std::move(run)] {
    std::vector<std::string> drop = plan.drop;
    if (look_for_new) {
      absl::StatusOr<std::string> now = run(kStateSql, "cannot read the catalog of");
      absl::StatusOr<ServerState> st = now.ok() ? ParseState(*now) : now.status();
      if (st.ok()) {
        for (const auto& [name, info] : st->schemas) {
          if (before.count(name) > 0 || IsSystemSchema(name)) continue;
          for (const std::string& t : table_names) {
            if (absl::StartsWith(t, name + ".")) {
              drop.push_back(name);
              break;
            }
          }
        }
      }
    }
    std::string sql;
    for (const std::string& d : drop) {
      absl::StrAppend(&sql, "DROP DATABASE IF EXISTS ", QuoteMysqlIdentifier(d), ";\n");
    }
    for (const auto& [name, create] : plan.empty) {
      absl::StrAppend(&sql, "DROP DATABASE IF EXISTS ", QuoteMysqlIdentifier(name), ";\n", create);
    }
    if (sql.empty()) return;
    absl::Status undone = run(sql, "cannot undo the failed restore on").status();
    if (!undone.ok()) {
      LogWarn("agent", "cannot undo a failed restore: ", undone.message());
    }
  };
}

// The check of the dump's DEFINERs against the server's accounts, read
// here once. A user that may not read mysql.user gets no check (an empty
// function): the server then decides, as it would without dbdump.
absl::StatusOr<MysqlDefinerFilter::CheckFn> DefinerCheck(const RunSqlFn& run) {
  absl::StatusOr<std::string> out = run(mysql::kAccountsSql, "cannot read the accounts of");
  if (!out.ok()) {
    LogWarn("agent", "the DEFINERs of the backup are not checked before the restore: ",
            out.status().message(),
            "; grant the restoring user SELECT on mysql.user to have them checked");
    return MysqlDefinerFilter::CheckFn();
  }
  ASSIGN_OR_RETURN(mysql::MysqlAccounts accounts, mysql::MysqlAccounts::Parse(*out));
  auto shared = std::make_shared<const mysql::MysqlAccounts>(std::move(accounts));
  return MysqlDefinerFilter::CheckFn(
      [shared](const mysql::DefinerAccount& a) { return shared->Check(a); });
}

}  // namespace

absl::StatusOr<std::unique_ptr<RestoreSession>> MysqlEngine::StartRestore(
    const DatabaseTarget& target, const v1::Manifest& manifest, const v1::RestoreOptions& options,
    const std::string& work_dir) {
  if (options.dry_run()) return std::unique_ptr<RestoreSession>(new mysql::MysqlDryRunSession());
  const DumpOptions& dumped = manifest.dump_options();
  bool multi = dumped.all_databases() || dumped.databases_size() > 0;
  const std::string& db = target.database();
  RETURN_IF_ERROR(CheckRestoreRequest(target, dumped, options, multi));
  ASSIGN_OR_RETURN(Tools tools, FindTools());
  RunSqlFn run = [this, tools, target, work_dir](const std::string& sql, absl::string_view what) {
    return RunSql(tools, target, "", sql, work_dir, what);
  };
  ASSIGN_OR_RETURN(std::string out, run(kStateSql, "cannot connect to"));
  ASSIGN_OR_RETURN(ServerState st, ParseState(out));
  std::string server = Describe(target, "");
  bool rewrite = options.definers() == v1::DEFINER_MODE_CURRENT_USER;
  MysqlDefinerFilter::CheckFn check;
  if (!rewrite) {
    ASSIGN_OR_RETURN(check, DefinerCheck(run));
  }
  ASSIGN_OR_RETURN(UndoPlan undo,
                   multi ? PrepareDatabases(db, st, manifest, options, server, run)
                         : PrepareOneDatabase(db, st, dumped, options, server, run));
  std::function<void()> on_failure = UndoFailedRestore(std::move(undo), st, multi, manifest, run);
  auto fail = [&](absl::Status status) {
    on_failure();
    return status;
  };

  absl::StatusOr<std::string> password = ResolveSecretRef(target.password_ref());
  if (!password.ok()) return fail(password.status());
  absl::StatusOr<mysql::ClientFiles> file =
      MakeOptionFile(work_dir, target, *password, multi ? "" : db, options_.connect_timeout_s,
                     UsesSslMode(tools));
  if (!file.ok()) return fail(file.status());
  ProcessOptions po;
  // Stops at the first error; --binary-mode keeps NUL bytes and \r\n as
  // they are and interprets no client command (\!, source) of the dump.
  // No reconnect: a new session would carry on without the statements
  // (and the transaction) of the lost one.
  po.argv = {tools.client, "--defaults-file=" + file->path(), "--batch", "--binary-mode",
             "--skip-reconnect"};
  po.env = ToolEnv();
  po.pipe_stdin = true;
  absl::StatusOr<std::unique_ptr<Process>> p = options_.runner->Start(po);
  if (!p.ok()) return fail(p.status());
  ToolRestoreSession::Options so;
  so.process = *std::move(p);
  file->MoveInto(&so.files);
  std::string desc = Describe(target, multi ? "" : db);
  std::string client = tools.client.substr(tools.client.rfind('/') + 1);
  so.on_error = [desc, client](int code, const std::string& err) {
    return MysqlError(absl::StrCat("restore with ", client, " failed for"), desc, err, code, "");
  };
  so.on_failure = std::move(on_failure);
  // Every DEFINER is checked or rewritten right before the client.
  auto session = std::make_unique<mysql::DefinerSession>(
      std::make_unique<ToolRestoreSession>(std::move(so)), rewrite, std::move(check));
  if (dumped.data_only()) {
    return std::unique_ptr<RestoreSession>(
        new mysql::OneTransactionSession(std::move(session)));
  }
  return std::unique_ptr<RestoreSession>(std::move(session));
}

}  // namespace dbdump
