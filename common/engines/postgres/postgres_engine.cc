#include "common/engines/postgres/postgres_engine.h"

#include <glob.h>
#include <libpq-fe.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/engines/private_file.h"
#include "common/engines/tool_session.h"
#include "common/base/secret_ref.h"
#include "common/io/fd_io.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace {

using v1::DatabaseTarget;

// Escapes a pgpass field: backslash and colon.
std::string PgpassEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == ':') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// Maps a libpq / tool error text onto a status with a hint of what to do.
absl::Status PgError(const std::string& what, const std::string& target_desc, std::string msg) {
  msg = std::string(absl::StripAsciiWhitespace(msg));
  // Keep only the first line of libpq's message, and drop its "connection to
  // server at ... failed:" preamble which repeats what we say anyway.
  std::string first = msg.substr(0, msg.find('\n'));
  std::string detail = first;
  if (auto pos = first.find("failed: "); pos != std::string::npos) detail = first.substr(pos + 8);
  if (absl::StrContains(msg, "password authentication failed") ||
      absl::StrContains(msg, "no password supplied") ||
      absl::StrContains(msg, "authentication failed")) {
    return absl::PermissionDeniedError(absl::StrCat(
        what, " ", target_desc, ": authentication failed (", detail,
        "); check the user and the password reference"));
  }
  if (absl::StrContains(msg, "does not exist")) {
    return absl::NotFoundError(absl::StrCat(what, " ", target_desc, ": ", detail));
  }
  if (absl::StrContains(msg, "Connection refused") || absl::StrContains(msg, "timeout") ||
      absl::StrContains(msg, "could not translate host name") ||
      absl::StrContains(msg, "No route to host")) {
    return absl::UnavailableError(absl::StrCat(
        what, " ", target_desc, ": database server unreachable (", detail,
        "); check host and port and that the server is running"));
  }
  return absl::FailedPreconditionError(absl::StrCat(what, " ", target_desc, ": ", detail));
}

std::string Describe(const DatabaseTarget& t) {
  return absl::StrCat("postgresql://", t.user().empty() ? "" : t.user() + "@", t.host(), ":",
                      t.port(), "/", t.database());
}

// A libpq connection closed on scope exit.
struct PgConn {
  PGconn* conn = nullptr;
  ~PgConn() {
    if (conn) PQfinish(conn);
  }
};

absl::Status Connect(const DatabaseTarget& t, const std::string& dbname, int timeout_s,
                     PgConn* out) {
  ASSIGN_OR_RETURN(std::string password, ResolveSecretRef(t.password_ref()));
  std::string port = absl::StrCat(t.port() == 0 ? 5432 : t.port());
  std::string timeout = absl::StrCat(timeout_s);
  std::vector<const char*> keys, values;
  auto add = [&](const char* k, const std::string& v) {
    if (v.empty()) return;
    keys.push_back(k);
    values.push_back(v.c_str());
  };
  add("host", t.host());
  add("port", port);
  add("user", t.user());
  add("dbname", dbname);
  add("connect_timeout", timeout);
  add("application_name", "dbdump");
  add("password", password);
  if (password.empty()) add("passfile", "/dev/null");
  keys.push_back(nullptr);
  values.push_back(nullptr);
  // expand_dbname = 0: the name is a name, never a connection string.
  out->conn = PQconnectdbParams(keys.data(), values.data(), 0);
  if (PQstatus(out->conn) != CONNECTION_OK) {
    DatabaseTarget shown = t;
    shown.set_database(dbname);
    return PgError("cannot connect to", Describe(shown), PQerrorMessage(out->conn));
  }
  return absl::OkStatus();
}

// Major version of "15.18" or "16beta1" style strings; 0 if there is none.
int MajorVersion(const std::string& version) {
  int major = 0;
  (void)absl::SimpleAtoi(version.substr(0, version.find('.')), &major);
  return major;
}

std::string ServerVersion(PGconn* conn) {
  const char* v = PQparameterStatus(conn, "server_version");
  std::string s = v ? v : "";
  return s.substr(0, s.find(' '));
}

// Environment for pg_dump / pg_restore: nothing inherited but PATH and a
// locale; connection details and the pgpass file by variable.
std::map<std::string, std::string> ToolEnv(const DatabaseTarget& t, const std::string& passfile,
                                           int timeout_s) {
  std::map<std::string, std::string> env = {
      {"PATH", "/usr/bin:/bin"},
      {"LC_ALL", "C.UTF-8"},
      {"PGAPPNAME", "dbdump"},
      {"PGCONNECT_TIMEOUT", absl::StrCat(timeout_s)},
      {"PGPASSFILE", passfile.empty() ? "/dev/null" : passfile},
      {"PGSERVICEFILE", "/dev/null"},
      {"PGSYSCONFDIR", "/nonexistent"},
  };
  if (!t.host().empty()) env["PGHOST"] = t.host();
  env["PGPORT"] = absl::StrCat(t.port() == 0 ? 5432 : t.port());
  if (!t.user().empty()) env["PGUSER"] = t.user();
  return env;
}

absl::StatusOr<PrivateFile> MakePassfile(const DatabaseTarget& t, const std::string& work_dir) {
  ASSIGN_OR_RETURN(std::string password, ResolveSecretRef(t.password_ref()));
  return PrivateFile::Create(work_dir, "pgpass", "",
                             absl::StrCat("*:*:*:*:", PgpassEscape(password), "\n"));
}

// How a failed pg tool is reported: its message without the "<tool>:
// error: " prefixes, mapped like libpq's.
ToolErrorFn PgToolError(const std::string& tool, const std::string& target_desc) {
  return [tool, target_desc](int code, const std::string& tail) {
    std::string err = tail.empty() ? absl::StrCat("exit code ", code) : tail;
    std::string msg = absl::StrReplaceAll(err, {{"pg_dump: error: ", ""},
                                                {"pg_restore: error: ", ""},
                                                {"pg_dumpall: error: ", ""},
                                                {"psql:<stdin>:", "line "}});
    return PgError(absl::StrCat(tool, " failed for"), target_desc, msg);
  };
}

// A table name for pg_dump --table / --exclude-table and --schema: each
// part in double quotes, so pg_dump matches it exactly instead of as a
// pattern ("*", "?", "." and regex characters lose their meaning inside
// quotes, and "" stands for one quote).
std::string QuotedPatternPart(absl::string_view part) {
  std::string out = "\"";
  for (char c : part) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

using TableName = std::pair<std::string, std::string>;  // schema, table

// --table / --exclude-table argument for one resolved table.
std::string TablePattern(const TableName& t) {
  return absl::StrCat(QuotedPatternPart(t.first), ".", QuotedPatternPart(t.second));
}

// Resolves user-given table names against the database's tables: "table"
// must name exactly one table of any schema, "schema.table" that table (a
// name with dots in it is matched whole first). pg_dump itself would take
// an unqualified name only from the search path, so names always go to it
// qualified. Included names must exist; excluded ones may not.
absl::StatusOr<std::vector<TableName>> ResolveTables(
    const google::protobuf::RepeatedPtrField<std::string>& names,
    const std::vector<TableName>& tables, bool must_exist, const std::string& desc) {
  std::vector<TableName> out;
  for (const std::string& name : names) {
    std::vector<TableName> found;
    for (const TableName& t : tables) {
      if (t.second == name) found.push_back(t);
    }
    if (found.empty()) {
      for (const TableName& t : tables) {
        if (absl::StrCat(t.first, ".", t.second) == name) found.push_back(t);
      }
    }
    if (found.size() > 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "table name \"", name, "\" is ambiguous in ", desc, ": it names ", found[0].first, ".",
          found[0].second, " and ", found[1].first, ".", found[1].second,
          "; give it as schema.table"));
    }
    if (found.empty() && must_exist) {
      return absl::NotFoundError(absl::StrCat("no table \"", name, "\" in ", desc,
                                              ": check --table (exact names, table or schema.table)"));
    }
    if (!found.empty()) out.push_back(found[0]);
  }
  return out;
}

// Whether pg_dump with these options dumps the table, as pg_dump decides:
// with --table only the named tables (schema options have no effect);
// otherwise the included schemas (all when none) minus the excluded ones;
// excluded tables never.
bool Selected(const v1::DumpOptions& o, const std::vector<TableName>& include,
              const std::vector<TableName>& exclude, const TableName& t) {
  auto has = [&](const std::vector<TableName>& list) {
    return std::find(list.begin(), list.end(), t) != list.end();
  };
  if (has(exclude)) return false;
  if (!include.empty()) return has(include);
  auto is_schema = [&](const std::string& w) { return w == t.first; };
  if (!o.include_schemas().empty() &&
      std::none_of(o.include_schemas().begin(), o.include_schemas().end(), is_schema)) {
    return false;
  }
  return std::none_of(o.exclude_schemas().begin(), o.exclude_schemas().end(), is_schema);
}

constexpr char kUserTablesSql[] =
    "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' "
    "AND n.nspname NOT LIKE 'pg\\_%' "
    "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_class'::regclass "
    "AND d.objid = c.oid AND d.deptype = 'e') "
    "ORDER BY 1, 2";

// User tables of the connected database as (schema, table).
absl::StatusOr<std::vector<TableName>> UserTables(
    PGconn* conn, const std::string& desc) {
  PGresult* r = PQexec(conn, kUserTablesSql);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    std::string err = PQerrorMessage(conn);
    PQclear(r);
    return PgError("cannot list the tables of", desc, err);
  }
  std::vector<TableName> out;
  for (int i = 0; i < PQntuples(r); ++i) out.emplace_back(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
  PQclear(r);
  return out;
}

// A dump restored by pg_restore --jobs: pg_restore needs a seekable file
// for parallel workers, so the verified stream is written to a private file
// in the work directory first and pg_restore runs on it in Finish(). The
// file never outlives the session.
class PgParallelRestoreSession : public RestoreSession {
 public:
  PgParallelRestoreSession(PrivateFile spool, int fd, ProcessRunner* runner, ProcessOptions po,
                           PrivateFile passfile, ToolErrorFn on_error,
                           std::function<void()> on_failure)
      : spool_(std::move(spool)),
        sink_(fd, /*close_on_finish=*/true),
        runner_(runner),
        po_(std::move(po)),
        passfile_(std::move(passfile)),
        on_error_(std::move(on_error)),
        on_failure_(std::move(on_failure)) {}
  ~PgParallelRestoreSession() override {
    if (!finished_ && on_failure_) on_failure_();
  }
  Sink* sink() override { return &sink_; }
  absl::Status Finish() override {
    finished_ = true;
    absl::Status st = [&]() -> absl::Status {
      RETURN_IF_ERROR(sink_.Finish());
      if (cancelled_.load()) return absl::CancelledError("job cancelled");
      po_.argv.push_back(spool_.path());
      ASSIGN_OR_RETURN(std::unique_ptr<Process> p, runner_->Start(po_));
      {
        absl::MutexLock l(&mu_);
        process_ = p.get();
      }
      if (cancelled_.load()) p->Terminate();
      int code = p->Wait();
      {
        absl::MutexLock l(&mu_);
        process_ = nullptr;
      }
      if (code != 0) return on_error_(code, p->StderrTail());
      return absl::OkStatus();
    }();
    spool_.Remove();
    passfile_.Remove();
    if (!st.ok() && on_failure_) on_failure_();
    return st;
  }
  void Cancel() override {
    cancelled_.store(true);
    absl::MutexLock l(&mu_);
    if (process_ != nullptr) process_->Terminate();
  }

 private:
  PrivateFile spool_;
  FdSink sink_;
  ProcessRunner* runner_;
  ProcessOptions po_;
  PrivateFile passfile_;
  ToolErrorFn on_error_;
  std::function<void()> on_failure_;
  bool finished_ = false;
  std::atomic<bool> cancelled_{false};
  absl::Mutex mu_;
  Process* process_ ABSL_GUARDED_BY(mu_) = nullptr;
};

bool IsPlain(const v1::DumpOptions& o) { return o.format() == "plain"; }

}  // namespace

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
  return ServerVersion(c.conn);
}

v1::EngineCapabilities PostgresEngine::Capabilities() const {
  v1::EngineCapabilities c;
  for (const char* f : {"custom", "plain"}) c.add_formats(f);
  for (const char* o : {"schema_only", "data_only", "include_tables", "exclude_tables",
                        "include_schemas", "exclude_schemas", "globals"}) {
    c.add_selective_options(o);
  }
  for (const char* o : {"clean", "dry_run", "jobs", "test_restore", "no_create"}) {
    c.add_restore_options(o);
  }
  return c;
}

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
  ASSIGN_OR_RETURN(PrivateFile passfile, MakePassfile(target, work_dir));
  po.env = ToolEnv(target, passfile.path(), options_.connect_timeout_s);
  po.pipe_stdout = true;
  ASSIGN_OR_RETURN(std::unique_ptr<Process> p, options_.runner->Start(po));
  std::vector<PrivateFile> files;
  files.push_back(std::move(passfile));
  return std::unique_ptr<DumpSession>(new ToolDumpSession(
      std::move(p), std::move(files), PgToolError(tool, Describe(target)), std::move(info)));
}

std::vector<std::string> PostgresEngine::ExtraDumps(const DatabaseTarget& target) const {
  if (target.dump_options().globals()) return {"globals"};
  return {};
}

absl::StatusOr<std::unique_ptr<DumpSession>> PostgresEngine::StartExtraDump(
    const DatabaseTarget& target, const std::string& role, const std::string& work_dir) {
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
  RETURN_IF_ERROR(ValidatePgDatabaseName(target.database()));
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
  // Create the target database when it is missing, through the maintenance
  // database; remember that we did, so a failed restore can drop it again.
  bool created = false;
  std::string server_version;
  {
    PgConn c;
    RETURN_IF_ERROR(Connect(target, "postgres", options_.connect_timeout_s, &c));
    server_version = ServerVersion(c.conn);
    const char* params[] = {target.database().c_str()};
    PGresult* r = PQexecParams(c.conn, "SELECT 1 FROM pg_database WHERE datname = $1", 1,
                               nullptr, params, nullptr, nullptr, 0);
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    bool exists = ok && PQntuples(r) > 0;
    std::string err = PQerrorMessage(c.conn);
    PQclear(r);
    if (!ok) return PgError("cannot look up", Describe(target), err);
    if (!exists && options.no_create()) {
      return absl::NotFoundError(absl::StrCat(
          "target database \"", target.database(),
          "\" does not exist and --no-create was given: create it first or drop --no-create"));
    }
    if (!exists) {
      char* ident = PQescapeIdentifier(c.conn, target.database().c_str(), target.database().size());
      std::string sql = absl::StrCat("CREATE DATABASE ", ident);
      PQfreemem(ident);
      PGresult* cr = PQexec(c.conn, sql.c_str());
      bool created_ok = PQresultStatus(cr) == PGRES_COMMAND_OK;
      PQclear(cr);
      if (!created_ok) return PgError("cannot create", Describe(target), PQerrorMessage(c.conn));
      created = true;
    }
  }
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
  absl::StatusOr<PrivateFile> passfile = MakePassfile(target, work_dir);
  if (!passfile.ok()) return fail(passfile.status());
  ProcessOptions po;
  po.env = ToolEnv(target, passfile->path(), options_.connect_timeout_s);
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
        *std::move(spool), fd, options_.runner, std::move(po), *std::move(passfile),
        PgToolError(tool, Describe(target)), std::move(on_failure)));
  }
  po.pipe_stdin = true;
  absl::StatusOr<std::unique_ptr<Process>> p = options_.runner->Start(po);
  if (!p.ok()) return fail(p.status());
  ToolRestoreSession::Options o;
  o.process = *std::move(p);
  o.files.push_back(*std::move(passfile));
  o.on_error = PgToolError(tool, Describe(target));
  o.on_failure = std::move(on_failure);
  return std::unique_ptr<RestoreSession>(new ToolRestoreSession(std::move(o)));
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
