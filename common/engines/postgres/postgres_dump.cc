// PostgresEngine's dumps: pg_dump of the database (custom or plain, with the
// selective options) and pg_dumpall of the globals.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "common/engines/memory_dump_session.h"
#include "common/engines/postgres/pg_database_settings.h"
#include "common/engines/postgres/postgres_connection.h"
#include "common/engines/postgres/postgres_engine.h"
#include "common/engines/postgres/postgres_selection.h"
#include "common/engines/tool_session.h"

namespace dbdump {

using pg::Connect;
using pg::Describe;
using pg::MajorVersion;
using pg::PgConn;
using pg::PgToolError;
using pg::ServerVersion;
using v1::DatabaseTarget;
using pg::IsPlain;
using pg::QuotedPatternPart;
using pg::ResolveTables;
using pg::Selected;
using pg::TableName;
using pg::TablePattern;
using pg::UserTables;

absl::Status PostgresEngine::ValidateDumpOptions(const v1::DumpOptions& o) const {
  if (!o.format().empty() && o.format() != "custom" && o.format() != "plain") {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown PostgreSQL dump format \"", o.format(), "\": use custom (default) or plain"));
  }
  if (o.schema_only() && o.data_only()) {
    return absl::InvalidArgumentError("--schema-only and --data-only exclude each other");
  }
  if (!o.databases().empty() || o.all_databases()) {
    return absl::InvalidArgumentError(
        "--databases/--all-databases are MySQL options: add one PostgreSQL database per target");
  }
  if (!o.include_namespaces().empty() || !o.exclude_namespaces().empty()) {
    return absl::InvalidArgumentError("--include-namespace/--exclude-namespace are MongoDB options");
  }
  for (const auto* list : {&o.include_tables(), &o.exclude_tables(), &o.include_schemas(),
                           &o.exclude_schemas()}) {
    for (const std::string& name : *list) {
      if (name.empty() || name.size() > 127 || name.find('\0') != std::string::npos ||
          name.front() == '.' || name.back() == '.') {
        return absl::InvalidArgumentError(absl::StrCat(
            "invalid table or schema name \"", name,
            "\": give exact names, \"table\" or \"schema.table\", up to 63 bytes each"));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<DumpSession>> PostgresEngine::StartDump(
    const DatabaseTarget& target, const std::string& work_dir) {
  const v1::DumpOptions& o = target.dump_options();
  RETURN_IF_ERROR(ValidateDumpOptions(o));
  RETURN_IF_ERROR(ValidatePgDatabaseName(target.database()));
  // Connect first: a clear error for a wrong password or missing database,
  // the server version that picks the tool, and the tables the dump holds.
  DumpInfo info;
  std::vector<TableName> include, exclude;
  {
    PgConn c;
    RETURN_IF_ERROR(Connect(target, target.database(), options_.connect_timeout_s, &c));
    info.server_version = ServerVersion(c.conn);
    ASSIGN_OR_RETURN(std::vector<TableName> tables, UserTables(c.conn, Describe(target)));
    ASSIGN_OR_RETURN(include, ResolveTables(o.include_tables(), tables, true, Describe(target)));
    ASSIGN_OR_RETURN(exclude, ResolveTables(o.exclude_tables(), tables, false, Describe(target)));
    for (const TableName& table : tables) {
      if (!Selected(o, include, exclude, table)) continue;
      v1::TableInfo t;
      t.set_name(absl::StrCat(table.first, ".", table.second));
      t.set_rows(-1);  // counting every row is not cheap
      info.tables.push_back(std::move(t));
    }
  }
  ASSIGN_OR_RETURN(PgTools tools, ToolsFor(MajorVersion(info.server_version)));
  info.tool_version = tools.version;
  ProcessOptions po;
  po.argv = {tools.pg_dump, "--no-password"};
  if (IsPlain(o)) {
    po.argv.push_back("--format=plain");
    info.extension = "sql";
    info.dump_format = "pg_dump plain";
  } else {
    // Our own compressor follows, so pg_dump's is off (--compress=0).
    po.argv.push_back("--format=custom");
    po.argv.push_back("--compress=0");
    info.extension = "pgdump";
    info.dump_format = "pg_dump custom";
  }
  if (o.schema_only()) po.argv.push_back("--schema-only");
  if (o.data_only()) po.argv.push_back("--data-only");
  for (const TableName& t : include) po.argv.push_back("--table=" + TablePattern(t));
  for (const TableName& t : exclude) po.argv.push_back("--exclude-table=" + TablePattern(t));
  for (const std::string& n : o.include_schemas()) po.argv.push_back("--schema=" + QuotedPatternPart(n));
  for (const std::string& n : o.exclude_schemas()) {
    po.argv.push_back("--exclude-schema=" + QuotedPatternPart(n));
  }
  po.argv.push_back("--dbname=" + QuotedDbnameConninfo(target.database()));
  return StartToolDump(target, work_dir, "pg_dump", std::move(po), std::move(info));
}

absl::StatusOr<std::unique_ptr<DumpSession>> PostgresEngine::StartToolDump(
    const DatabaseTarget& target, const std::string& work_dir, const std::string& tool,
    ProcessOptions po, DumpInfo info) {
  ASSIGN_OR_RETURN(pg::ToolConnection conn,
                   pg::PrepareTool(target, work_dir, options_.connect_timeout_s));
  po.env = std::move(conn.env);
  po.pipe_stdout = true;
  ASSIGN_OR_RETURN(std::unique_ptr<Process> p, options_.runner->Start(po));
  return std::unique_ptr<DumpSession>(new ToolDumpSession(
      std::move(p), std::move(conn.files), PgToolError(tool, Describe(target)), std::move(info)));
}

std::vector<std::string> PostgresEngine::ExtraDumps(const DatabaseTarget& target) const {
  // The database's own settings always: a few hundred bytes that a pg_dump
  // without --create leaves out.
  if (target.dump_options().globals()) return {"globals", "settings"};
  return {"settings"};
}

absl::StatusOr<std::unique_ptr<DumpSession>> PostgresEngine::StartExtraDump(
    const DatabaseTarget& target, const std::string& role, const std::string& work_dir) {
  if (role == "settings") {
    RETURN_IF_ERROR(ValidatePgDatabaseName(target.database()));
    ASSIGN_OR_RETURN(std::string json,
                     pg::CaptureDatabaseSettings(target, options_.connect_timeout_s));
    DumpInfo info;
    info.extension = "json";
    info.dump_format = "database settings (JSON)";
    return std::unique_ptr<DumpSession>(new MemoryDumpSession(std::move(json), std::move(info)));
  }
  if (role != "globals") return absl::InvalidArgumentError("unknown extra dump " + role);
  DumpInfo info;
  {
    PgConn c;
    RETURN_IF_ERROR(Connect(target, target.database(), options_.connect_timeout_s, &c));
    info.server_version = ServerVersion(c.conn);
  }
  ASSIGN_OR_RETURN(PgTools tools, ToolsFor(MajorVersion(info.server_version)));
  if (tools.pg_dumpall.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "pg_dumpall is missing beside ", tools.pg_dump, ": reinstall postgresql-client-", tools.major));
  }
  info.tool_version = tools.version;
  info.extension = "sql";
  info.dump_format = "pg_dumpall globals";
  ProcessOptions po;
  // Roles and tablespaces of the cluster; pg_dumpall connects through the
  // target's own database (it needs one it may connect to).
  po.argv = {tools.pg_dumpall, "--no-password", "--globals-only",
             "--dbname=" + QuotedDbnameConninfo(target.database())};
  return StartToolDump(target, work_dir, "pg_dumpall", std::move(po), std::move(info));
}

}  // namespace dbdump
