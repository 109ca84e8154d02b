// PostgresEngine's restore: pg_restore --list for a dry run; else the target
// database created when missing (and dropped again if the restore fails),
// then pg_restore (custom) or psql (plain) in one transaction, or
// pg_restore --jobs on a spooled file.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "common/engines/filtered_restore_session.h"
#include "common/engines/postgres/pg_parallel_restore_session.h"
#include "common/engines/postgres/pg_plain_filter.h"
#include "common/engines/postgres/postgres_connection.h"
#include "common/engines/postgres/postgres_engine.h"
#include "common/engines/postgres/postgres_selection.h"
#include "common/engines/private_file.h"
#include "common/engines/restore_target.h"
#include "common/engines/line_scan_session.h"
#include "common/engines/tool_session.h"

namespace dbdump {

using pg::Connect;
using pg::Describe;
using pg::MajorVersion;
using pg::MissingRoleHint;
using pg::PgConn;
using pg::PgError;
using pg::PgToolError;
using pg::ServerVersion;
using v1::DatabaseTarget;
using pg::IsPlain;
using pg::PgParallelRestoreSession;

namespace {

// The target database as the restore found it.
struct TargetDatabase {
  std::string server_version;
  // Created by this restore, so a failed restore drops it again.
  bool created = false;
};

// Creates the target database when it is missing, through the maintenance
// database.
absl::StatusOr<TargetDatabase> CreateIfMissing(const DatabaseTarget& target, bool no_create,
                                               const std::string& owner, int timeout_s) {
  PgConn c;
  RETURN_IF_ERROR(Connect(target, "postgres", timeout_s, &c));
  TargetDatabase out;
  out.server_version = ServerVersion(c.conn);
  const char* params[] = {target.database().c_str()};
  PGresult* r = PQexecParams(c.conn, "SELECT 1 FROM pg_database WHERE datname = $1", 1,
                             nullptr, params, nullptr, nullptr, 0);
  bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
  bool exists = ok && PQntuples(r) > 0;
  std::string err = PQerrorMessage(c.conn);
  PQclear(r);
  if (!ok) return PgError("cannot look up", Describe(target), err);
  if (!exists && no_create) {
    return absl::NotFoundError(absl::StrCat(
        "target database \"", target.database(),
        "\" does not exist and --no-create was given: create it first or drop --no-create"));
  }
  if (!exists) {
    char* ident = PQescapeIdentifier(c.conn, target.database().c_str(), target.database().size());
    std::string sql = absl::StrCat("CREATE DATABASE ", ident);
    PQfreemem(ident);
    if (!owner.empty()) {
      // --owner: the database is that role's, as everything in it will be.
      char* role = PQescapeIdentifier(c.conn, owner.c_str(), owner.size());
      absl::StrAppend(&sql, " OWNER ", role);
      PQfreemem(role);
    }
    PGresult* cr = PQexec(c.conn, sql.c_str());
    bool created_ok = PQresultStatus(cr) == PGRES_COMMAND_OK;
    PQclear(cr);
    if (!created_ok) return PgError("cannot create", Describe(target), PQerrorMessage(c.conn));
    out.created = true;
  }
  return out;
}

// pg_restore and psql stop at the first object the target already has and
// say only that it "already exists": add what to do, as the MySQL engine
// says before it starts.
ToolErrorFn WithCleanHint(ToolErrorFn on_error, const v1::RestoreOptions& options, bool plain) {
  if (options.clean()) return on_error;
  std::string hint =
      plain ? "; the target already has objects of this backup: restore into another database "
              "(a plain-format backup cannot be restored with --clean)"
            : "; the target already has objects of this backup: pass --clean to replace them or "
              "restore into another database";
  return [on_error = std::move(on_error), hint](int code, const std::string& tail) {
    absl::Status st = on_error(code, tail);
    if (!absl::StrContains(st.message(), "already exists")) return st;
    return absl::Status(st.code(), absl::StrCat(st.message(), hint));
  };
}

// A restore that fails for a role the target lacks says what to do.
ToolErrorFn WithRoleHint(ToolErrorFn on_error, const v1::RestoreOptions& options) {
  return [on_error = std::move(on_error), options](int code, const std::string& tail) {
    absl::Status st = on_error(code, tail);
    if (!absl::StrContains(st.message(), "role \"") ||
        !absl::StrContains(st.message(), "does not exist")) {
      return st;
    }
    std::string hint = options.no_owner() && options.no_privileges()
                           ? "; the backup names this role outside its owners and privileges "
                             "(e.g. a policy or a default-privileges entry): create it first "
                             "(restore --globals)"
                           : absl::StrCat("; the target server lacks a role the backup names: ",
                                          MissingRoleHint());
    return absl::Status(st.code(), absl::StrCat(st.message(), hint));
  };
}

// The filter a plain-format script passes through, if the options need one.
bool NeedsPlainFilter(const v1::RestoreOptions& options) {
  return options.no_owner() || options.no_privileges() || !options.owner().empty();
}

}  // namespace

absl::StatusOr<std::unique_ptr<RestoreSession>> PostgresEngine::StartDryRun(
    const v1::Manifest& manifest) {
  if (IsPlain(manifest.dump_options())) {
    // A SQL script: read it whole and count what it creates.
    return std::unique_ptr<RestoreSession>(new LineScanSession(
        [](absl::string_view line) { return absl::StartsWith(line, "CREATE TABLE "); },
        "%d tables created by the SQL script"));
  }
  // pg_restore --list reads the archive and prints its table of contents;
  // it connects to nothing.
  ASSIGN_OR_RETURN(PgTools tools, ToolsFor(MajorVersion(manifest.tool_version())));
  ProcessOptions po;
  po.argv = {tools.pg_restore, "--list"};
  po.env = {{"PATH", "/usr/bin:/bin"}, {"LC_ALL", "C.UTF-8"}};
  po.pipe_stdin = true;
  po.pipe_stdout = true;
  ASSIGN_OR_RETURN(std::unique_ptr<Process> p, options_.runner->Start(po));
  ToolRestoreSession::Options o;
  o.process = std::move(p);
  o.on_error = PgToolError("pg_restore --list", "backup " + manifest.backup_id());
  o.count_line = [](absl::string_view line) { return !line.empty() && line.front() != ';'; };
  o.summary_format = "%d entries listed by pg_restore --list";
  return std::unique_ptr<RestoreSession>(new ToolRestoreSession(std::move(o)));
}

absl::StatusOr<std::unique_ptr<RestoreSession>> PostgresEngine::StartRestore(
    const DatabaseTarget& target, const v1::Manifest& manifest, const v1::RestoreOptions& options,
    const std::string& work_dir) {
  if (options.dry_run()) return StartDryRun(manifest);
  RETURN_IF_ERROR(ValidateRestoreTarget(v1::ENGINE_POSTGRES, target.database()));
  bool plain = IsPlain(manifest.dump_options());
  if (plain && options.clean()) {
    return absl::InvalidArgumentError(
        "--clean needs a custom-format backup (a plain SQL script names no objects to drop): "
        "restore into a new database instead");
  }
  if (plain && options.jobs() > 1) {
    return absl::InvalidArgumentError(
        "--jobs needs a custom-format backup: a plain SQL script is restored by one psql");
  }
  if (!options.owner().empty()) RETURN_IF_ERROR(ValidatePgRoleName(options.owner()));
  ASSIGN_OR_RETURN(TargetDatabase db,
                   CreateIfMissing(target, options.no_create(), options.owner(),
                                   options_.connect_timeout_s));
  bool created = db.created;
  const std::string& server_version = db.server_version;
  std::function<void()> on_failure;
  if (created) {
    on_failure = [this, target] {
      absl::Status dropped = DropDatabase(target);
      if (!dropped.ok()) {
        LogWarn("agent", "cannot drop the database created for a failed restore: ",
                dropped.message());
      }
    };
  }
  auto fail = [&](absl::Status st) {
    if (on_failure) on_failure();
    return st;
  };
  // The dump was written by a tool of the manifest's version: the restoring
  // tool must be at least that new, and new enough for the server.
  absl::StatusOr<PgTools> tools = ToolsFor(
      std::max(MajorVersion(server_version), MajorVersion(manifest.tool_version())));
  if (!tools.ok()) return fail(tools.status());
  if (plain && tools->psql.empty()) {
    return fail(absl::FailedPreconditionError(absl::StrCat(
        "psql is missing beside ", tools->pg_dump, ": install postgresql-client-", tools->major)));
  }
  absl::StatusOr<pg::ToolConnection> conn =
      pg::PrepareTool(target, work_dir, options_.connect_timeout_s);
  if (!conn.ok()) return fail(conn.status());
  ProcessOptions po;
  po.env = std::move(conn->env);
  std::string conninfo = "--dbname=" + QuotedDbnameConninfo(target.database());
  if (plain) {
    // One transaction, stop at the first error: a failed restore changes nothing.
    po.argv = {tools->psql, "--no-password", "--no-psqlrc", "--quiet", "--single-transaction",
               "--set=ON_ERROR_STOP=1", "--output=/dev/null", conninfo};
  } else {
    po.argv = {tools->pg_restore, "--no-password", "--exit-on-error"};
    if (options.clean()) {
      po.argv.push_back("--clean");
      po.argv.push_back("--if-exists");
    }
    if (options.no_owner() || !options.owner().empty()) po.argv.push_back("--no-owner");
    if (options.no_privileges()) po.argv.push_back("--no-privileges");
    // One argument, so the name is never read as an option.
    if (!options.owner().empty()) po.argv.push_back("--role=" + options.owner());
    if (options.jobs() <= 1) po.argv.push_back("--single-transaction");
    po.argv.push_back(conninfo);
  }
  std::string tool = plain ? "psql" : "pg_restore";
  if (!plain && options.jobs() > 1) {
    // Parallel workers are not one transaction: a failure can leave part of
    // the backup applied (documented with --jobs).
    po.argv.insert(po.argv.begin() + 1, absl::StrCat("--jobs=", options.jobs()));
    absl::StatusOr<PrivateFile> spool = PrivateFile::Create(work_dir, "pg-restore", ".pgdump", "");
    if (!spool.ok()) return fail(spool.status());
    int fd = ::open(spool->path().c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) {
      return fail(absl::InternalError(
          absl::StrCat("cannot open ", spool->path(), ": ", strerror(errno))));
    }
    return std::unique_ptr<RestoreSession>(new PgParallelRestoreSession(
        *std::move(spool), fd, options_.runner, std::move(po), std::move(conn->files),
        WithRoleHint(WithCleanHint(PgToolError(tool, Describe(target)), options, plain), options),
        std::move(on_failure)));
  }
  po.pipe_stdin = true;
  absl::StatusOr<std::unique_ptr<Process>> p = options_.runner->Start(po);
  if (!p.ok()) return fail(p.status());
  ToolRestoreSession::Options o;
  o.process = *std::move(p);
  for (PrivateFile& f : conn->files) o.files.push_back(std::move(f));
  o.on_error =
      WithRoleHint(WithCleanHint(PgToolError(tool, Describe(target)), options, plain), options);
  o.on_failure = std::move(on_failure);
  std::unique_ptr<RestoreSession> session(new ToolRestoreSession(std::move(o)));
  if (!plain || !NeedsPlainFilter(options)) return session;
  pg::PlainFilterOptions filter;
  filter.drop_owners = options.no_owner() || !options.owner().empty();
  filter.drop_privileges = options.no_privileges();
  filter.set_role = options.owner();
  Sink* tool_in = session->sink();
  return std::unique_ptr<RestoreSession>(new FilteredRestoreSession(
      std::move(session), std::make_unique<pg::PlainScriptFilter>(tool_in, std::move(filter))));
}

absl::Status PostgresEngine::DropDatabase(const DatabaseTarget& target) {
  PgConn c;
  RETURN_IF_ERROR(Connect(target, "postgres", options_.connect_timeout_s, &c));
  char* ident = PQescapeIdentifier(c.conn, target.database().c_str(), target.database().size());
  // FORCE (PostgreSQL 13+): a killed tool's backend may not have gone yet.
  std::string sql = absl::StrCat("DROP DATABASE IF EXISTS ", ident,
                                 PQserverVersion(c.conn) >= 130000 ? " WITH (FORCE)" : "");
  PQfreemem(ident);
  PGresult* r = PQexec(c.conn, sql.c_str());
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) return PgError("cannot drop", Describe(target), PQerrorMessage(c.conn));
  return absl::OkStatus();
}

}  // namespace dbdump
