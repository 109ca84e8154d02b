#include "common/engines/postgres/postgres_engine.h"

#include <glob.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "common/engines/postgres/postgres_connection.h"
#include "common/engines/postgres/postgres_selection.h"

namespace dbdump {

using pg::Connect;
using pg::Describe;
using pg::MajorVersion;
using pg::PgConn;
using pg::PgError;
using pg::ServerVersion;
using v1::DatabaseTarget;
using pg::UserTables;

std::string QuotedDbnameConninfo(const std::string& database) {
  std::string out = "dbname='";
  for (char c : database) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

PostgresEngine::PostgresEngine(PostgresEngineOptions options) : options_(std::move(options)) {}

std::vector<PgTools> PostgresEngine::InstalledTools() {
  std::vector<std::string> dirs;
  glob_t g;
  if (::glob("/usr/lib/postgresql/*/bin", 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) dirs.push_back(g.gl_pathv[i]);
  }
  globfree(&g);
  for (absl::string_view d : absl::StrSplit(options_.search_path, ':', absl::SkipEmpty())) {
    dirs.emplace_back(d);
  }
  std::vector<PgTools> out;
  for (const std::string& dir : dirs) {
    std::string dump = FindExecutable("pg_dump", dir);
    std::string restore = FindExecutable("pg_restore", dir);
    if (dump.empty() || restore.empty()) continue;
    std::string version;
    {
      absl::MutexLock l(&mu_);
      auto it = version_cache_.find(dump);
      if (it != version_cache_.end()) version = it->second;
    }
    if (version.empty()) {
      // "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
      auto text = RunAndCapture(options_.runner, {{dump, "--version"}, {{"PATH", "/usr/bin:/bin"}}});
      if (!text.ok()) continue;
      std::vector<std::string> words = absl::StrSplit(*text, ' ', absl::SkipWhitespace());
      if (words.size() < 3) continue;
      version = std::string(absl::StripAsciiWhitespace(words[2]));
      absl::MutexLock l(&mu_);
      version_cache_[dump] = version;
    }
    PgTools t{dump, restore, FindExecutable("pg_dumpall", dir), FindExecutable("psql", dir), 0,
              version};
    t.major = MajorVersion(version);
    if (t.major == 0) continue;
    bool dup = std::any_of(out.begin(), out.end(), [&](const PgTools& o) {
      return o.version == t.version;
    });
    if (!dup) out.push_back(t);
  }
  std::sort(out.begin(), out.end(), [](const PgTools& a, const PgTools& b) { return a.major > b.major; });
  return out;
}

absl::StatusOr<PgTools> PostgresEngine::ToolsFor(int server_major) {
  std::vector<PgTools> tools = InstalledTools();
  if (tools.empty()) {
    return absl::FailedPreconditionError(
        "pg_dump is not installed on the agent host: install postgresql-client");
  }
  const PgTools* best = nullptr;
  for (const PgTools& t : tools) {
    if (t.major >= server_major && (best == nullptr || t.major < best->major)) best = &t;
  }
  if (best == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the server runs PostgreSQL ", server_major, " but the newest pg_dump on the agent host is ",
        tools.front().version, ": install postgresql-client-", server_major, " or newer"));
  }
  return *best;
}

std::string PostgresEngine::ToolVersion() {
  std::vector<PgTools> tools = InstalledTools();
  return tools.empty() ? "" : tools.front().version;
}

absl::StatusOr<std::string> PostgresEngine::TestConnection(const DatabaseTarget& target) {
  RETURN_IF_ERROR(ValidatePgDatabaseName(target.database()));
  PgConn c;
  RETURN_IF_ERROR(Connect(target, target.database(), options_.connect_timeout_s, &c));
  // Tables named with --table must exist now, not first at the next backup.
  const v1::DumpOptions& o = target.dump_options();
  if (!o.include_tables().empty()) {
    ASSIGN_OR_RETURN(std::vector<pg::TableName> tables, UserTables(c.conn, Describe(target)));
    RETURN_IF_ERROR(
        pg::ResolveTables(o.include_tables(), tables, /*must_exist=*/true, Describe(target))
            .status());
  }
  return ServerVersion(c.conn);
}

v1::EngineCapabilities PostgresEngine::Capabilities() const {
  v1::EngineCapabilities c;
  for (const char* f : {"custom", "plain"}) c.add_formats(f);
  for (const char* o : {"schema_only", "data_only", "include_tables", "exclude_tables",
                        "include_schemas", "exclude_schemas", "globals"}) {
    c.add_selective_options(o);
  }
  for (const char* o : {"clean", "dry_run", "jobs", "test_restore", "no_create", "no_owner",
                        "no_privileges", "owner", "globals", "no_database_settings"}) {
    c.add_restore_options(o);
  }
  return c;
}

absl::StatusOr<DatabaseTarget> PostgresEngine::ScratchTarget(const DatabaseTarget& target,
                                                             const std::string& id,
                                                             const std::string&) {
  DatabaseTarget scratch = target;
  scratch.set_database(absl::StrCat("dbdump_scratch_", ScratchSuffix(id)));
  return scratch;
}

absl::StatusOr<std::vector<v1::TableInfo>> PostgresEngine::InspectTables(
    const DatabaseTarget& target) {
  PgConn c;
  RETURN_IF_ERROR(Connect(target, target.database(), options_.connect_timeout_s, &c));
  ASSIGN_OR_RETURN(auto tables, UserTables(c.conn, Describe(target)));
  std::vector<v1::TableInfo> out;
  for (const auto& [schema, table] : tables) {
    char* s = PQescapeIdentifier(c.conn, schema.c_str(), schema.size());
    char* t = PQescapeIdentifier(c.conn, table.c_str(), table.size());
    std::string sql = absl::StrCat("SELECT count(*) FROM ", s, ".", t);
    PQfreemem(s);
    PQfreemem(t);
    PGresult* r = PQexec(c.conn, sql.c_str());
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    int64_t rows = -1;
    // count(*) always yields an integer; should it not parse, -1 (unknown)
    // is what the listing shows.
    if (ok) (void)absl::SimpleAtoi(PQgetvalue(r, 0, 0), &rows);
    std::string err = PQerrorMessage(c.conn);
    PQclear(r);
    if (!ok) return PgError(absl::StrCat("cannot count rows of ", schema, ".", table, " in"),
                            Describe(target), err);
    v1::TableInfo info;
    info.set_name(absl::StrCat(schema, ".", table));
    info.set_rows(rows);
    out.push_back(std::move(info));
  }
  return out;
}

absl::Status PostgresEngine::DropScratch(const DatabaseTarget& target) {
  return DropDatabase(target);
}

}  // namespace dbdump
