// Applies a backup's globals through libpq: the cluster's roles are read,
// PlanGlobals decides what to run, and every role statement runs in one
// transaction on the maintenance database, so that a failure leaves
// nothing behind.
#include "common/engines/postgres/pg_globals.h"

#include <libpq-fe.h>

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/engines/postgres/pg_globals_plan.h"
#include "common/engines/postgres/pg_script_splitter.h"
#include "common/engines/postgres/postgres_connection.h"

namespace dbdump::pg {
namespace {

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// The server's message for a failed statement, without anything of the
// statement itself: a syntax error quotes the text near it, which may be
// part of a password hash.
std::string SafeServerMessage(const PGresult* r, const std::vector<std::string>& secrets) {
  const char* primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  const char* code = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg = primary ? primary : "no message";
  bool leaks = absl::StrContains(msg, "at or near");
  for (const std::string& s : secrets) {
    // Any 6 characters of a string constant of the statement.
    for (size_t i = 0; !leaks && s.size() >= 6 && i + 6 <= s.size(); ++i) {
      leaks = absl::StrContains(msg, s.substr(i, 6));
    }
  }
  if (leaks) msg = "the server's message quotes the statement and is not shown";
  return code ? absl::StrCat(msg, ", SQLSTATE ", code) : msg;
}

// Runs one statement with the extended protocol, which refuses more than
// one command in a string.
absl::Status Run(PGconn* conn, const GlobalsStep& step) {
  Result r(PQexecParams(conn, step.sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0));
  ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(step.what, " failed: ", SafeServerMessage(r.get(), step.secrets)));
}

absl::StatusOr<Result> Query(PGconn* conn, const char* sql, const std::string& what) {
  Result r(PQexecParams(conn, sql, 0, nullptr, nullptr, nullptr, nullptr, 0));
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", what, " of the target: ", SafeServerMessage(r.get(), {})));
  }
  return r;
}

absl::StatusOr<ClusterGlobals> ReadCluster(PGconn* conn) {
  ClusterGlobals c;
  ASSIGN_OR_RETURN(Result roles, Query(conn, "SELECT rolname FROM pg_catalog.pg_roles", "the roles"));
  for (int i = 0; i < PQntuples(roles.get()); ++i) c.roles.insert(PQgetvalue(roles.get(), i, 0));
  ASSIGN_OR_RETURN(Result members,
                   Query(conn,
                         "SELECT g.rolname, m.rolname FROM pg_catalog.pg_auth_members a "
                         "JOIN pg_catalog.pg_roles g ON g.oid = a.roleid "
                         "JOIN pg_catalog.pg_roles m ON m.oid = a.member",
                         "the role memberships"));
  for (int i = 0; i < PQntuples(members.get()); ++i) {
    c.memberships.insert({PQgetvalue(members.get(), i, 0), PQgetvalue(members.get(), i, 1)});
  }
  ASSIGN_OR_RETURN(Result spaces, Query(conn, "SELECT spcname FROM pg_catalog.pg_tablespace",
                                        "the tablespaces"));
  for (int i = 0; i < PQntuples(spaces.get()); ++i) {
    c.tablespaces.insert(PQgetvalue(spaces.get(), i, 0));
  }
  ASSIGN_OR_RETURN(Result dbs, Query(conn, "SELECT datname FROM pg_catalog.pg_database",
                                     "the databases"));
  for (int i = 0; i < PQntuples(dbs.get()); ++i) c.databases.insert(PQgetvalue(dbs.get(), i, 0));
  // The bootstrap superuser owns the system catalogs: oid 10.
  ASSIGN_OR_RETURN(Result who,
                   Query(conn,
                         "SELECT current_user, (SELECT rolname FROM pg_catalog.pg_roles "
                         "WHERE oid = 10)",
                         "the current user"));
  if (PQntuples(who.get()) != 1) return absl::InternalError("no current user");
  c.current_user = PQgetvalue(who.get(), 0, 0);
  c.bootstrap_superuser = PQgetvalue(who.get(), 0, 1);
  return c;
}

// The plan of `script` for the cluster `conn` is connected to.
absl::StatusOr<GlobalsPlan> Plan(PGconn* conn, const std::string& script, v1::GlobalsMode mode) {
  ASSIGN_OR_RETURN(std::vector<ScriptPart> parts, SplitPgScript(script, kGlobalsHeadTokens));
  ASSIGN_OR_RETURN(ClusterGlobals cluster, ReadCluster(conn));
  QuoteIdentFn quote = [conn](absl::string_view name) {
    char* q = PQescapeIdentifier(conn, name.data(), name.size());
    // Only an invalidly encoded name fails here; quoting it "by hand" would
    // be no better, so the statement is left to fail on the server.
    std::string out = q ? q : "\"\"";
    PQfreemem(q);
    return out;
  };
  ASSIGN_OR_RETURN(GlobalsPlan plan, PlanGlobals(parts, cluster, mode, quote));
  if (!plan.created_roles.empty()) {
    ASSIGN_OR_RETURN(Result can,
                     Query(conn,
                           "SELECT rolsuper OR rolcreaterole FROM pg_catalog.pg_roles "
                           "WHERE rolname = current_user",
                           "the current user's privileges"));
    if (PQntuples(can.get()) != 1 || std::string(PQgetvalue(can.get(), 0, 0)) != "t") {
      return absl::PermissionDeniedError(absl::StrCat(
          "the target's user ", cluster.current_user, " may not create roles, and the globals "
          "create ", plan.created_roles.size(), " (", plan.created_roles.front(),
          plan.created_roles.size() > 1 ? ", ..." : "",
          "): restore with a superuser or a role with CREATEROLE, or without --globals"));
    }
  }
  return plan;
}

// Connects to the cluster's maintenance database, where roles are changed.
absl::Status ConnectMaintenance(const v1::DatabaseTarget& target, int connect_timeout_s,
                                PgConn* conn) {
  absl::Status st = Connect(target, "postgres", connect_timeout_s, conn);
  if (absl::IsNotFound(st)) {
    return absl::NotFoundError(absl::StrCat(
        st.message(), ": globals are applied through the cluster's postgres database; create "
        "it (CREATE DATABASE postgres) or restore without --globals"));
  }
  return st;
}

}  // namespace

absl::Status CheckGlobals(const v1::DatabaseTarget& target, const std::string& script,
                          v1::GlobalsMode mode, int connect_timeout_s) {
  PgConn conn;
  RETURN_IF_ERROR(ConnectMaintenance(target, connect_timeout_s, &conn));
  return Plan(conn.conn, script, mode).status();
}

absl::Status ApplyGlobals(const v1::DatabaseTarget& target, const std::string& script,
                          v1::GlobalsMode mode, int connect_timeout_s,
                          std::vector<std::string>* notes) {
  PgConn conn;
  RETURN_IF_ERROR(ConnectMaintenance(target, connect_timeout_s, &conn));
  // The server's notices ("role x is already a member of role y" on a
  // replace) would go to the agent's stderr; the notes say what happened.
  PQsetNoticeProcessor(conn.conn, [](void*, const char*) {}, nullptr);
  RETURN_IF_ERROR(Run(conn.conn, {"BEGIN READ WRITE", "starting the transaction", {}}));
  // Planned inside the transaction that applies it; a role created by
  // someone else meanwhile makes its CREATE ROLE fail, and nothing stays.
  bool committing = false;
  absl::Status applied = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(GlobalsPlan plan, Plan(conn.conn, script, mode));
    for (const GlobalsStep& s : plan.session) RETURN_IF_ERROR(Run(conn.conn, s));
    for (const GlobalsStep& s : plan.steps) RETURN_IF_ERROR(Run(conn.conn, s));
    committing = true;
    RETURN_IF_ERROR(Run(conn.conn, {"COMMIT", "committing the roles", {}}));
    notes->insert(notes->end(), plan.notes.begin(), plan.notes.end());
    return absl::OkStatus();
  }();
  if (applied.ok()) return applied;
  if (committing && PQstatus(conn.conn) != CONNECTION_OK) {
    return absl::UnavailableError(absl::StrCat(
        applied.message(), ": the connection was lost while committing, so whether the roles "
        "were created is not known; look at the target's roles (\\du in psql) before "
        "restoring again"));
  }
  // The connection's end rolls back too; ROLLBACK says so at once.
  Result r(PQexec(conn.conn, "ROLLBACK"));
  return absl::Status(applied.code(),
                      absl::StrCat(applied.message(),
                                   "; nothing of the globals was applied (the transaction was "
                                   "rolled back) and the dump was not restored: fix this on the "
                                   "target, or restore without --globals"));
}

}  // namespace dbdump::pg
