#include "agent/postgres_engine.h"

#include <glob.h>
#include <libpq-fe.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/private_file.h"
#include "common/secret_ref.h"
#include "common/fd_io.h"
#include "common/log.h"
#include "common/names.h"
#include "common/status_macros.h"

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

// Status of a finished pg_dump / pg_restore.
absl::Status ToolResult(Process* p, const std::string& tool, const std::string& target_desc) {
  int code = p->Wait();
  if (code == 0) return absl::OkStatus();
  std::string err = p->StderrTail();
  if (err.empty()) err = absl::StrCat("exit code ", code);
  // pg tools prefix every line with "<tool>: error: "; keep the message.
  std::string msg = absl::StrReplaceAll(err, {{"pg_dump: error: ", ""}, {"pg_restore: error: ", ""}});
  return PgError(absl::StrCat(tool, " failed for"), target_desc, msg);
}

class PgDumpSession : public DumpSession {
 public:
  PgDumpSession(std::unique_ptr<Process> p, PrivateFile passfile, std::string desc,
                std::string server_version, std::string tool_version)
      : p_(std::move(p)),
        passfile_(std::move(passfile)),
        source_(p_->stdout_fd()),
        desc_(std::move(desc)),
        server_version_(std::move(server_version)),
        tool_version_(std::move(tool_version)) {}
  Source* source() override { return &source_; }
  absl::Status Finish() override {
    absl::Status st = ToolResult(p_.get(), "pg_dump", desc_);
    passfile_.Remove();
    return st;
  }
  void Cancel() override { p_->Terminate(); }
  std::string server_version() const override { return server_version_; }
  std::string tool_version() const override { return tool_version_; }

 private:
  std::unique_ptr<Process> p_;
  PrivateFile passfile_;
  FdSource source_;
  std::string desc_;
  std::string server_version_;
  std::string tool_version_;
};

class PgRestoreSession : public RestoreSession {
 public:
  PgRestoreSession(std::unique_ptr<Process> p, PrivateFile passfile, std::string desc,
                   std::function<void()> on_failure)
      : p_(std::move(p)),
        passfile_(std::move(passfile)),
        sink_(p_->ReleaseStdin(), /*close_on_finish=*/true),
        desc_(std::move(desc)),
        on_failure_(std::move(on_failure)) {}
  ~PgRestoreSession() override {
    if (!finished_) {
      p_->Terminate();
      if (on_failure_) on_failure_();
    }
  }
  Sink* sink() override { return &sink_; }
  absl::Status Finish() override {
    (void)sink_.Finish();
    absl::Status st = ToolResult(p_.get(), "pg_restore", desc_);
    passfile_.Remove();
    finished_ = true;
    if (!st.ok() && on_failure_) on_failure_();
    return st;
  }
  void Cancel() override { p_->Terminate(); }

 private:
  std::unique_ptr<Process> p_;
  PrivateFile passfile_;
  FdSink sink_;
  std::string desc_;
  std::function<void()> on_failure_;
  bool finished_ = false;
};

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
    PgTools t{dump, restore, 0, version};
    if (!absl::SimpleAtoi(version.substr(0, version.find('.')), &t.major)) continue;
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

absl::StatusOr<std::unique_ptr<DumpSession>> PostgresEngine::StartDump(
    const DatabaseTarget& target, const std::string& work_dir) {
  // Connect first: a clear error for a wrong password or missing database,
  // and the server version that picks the tool.
  ASSIGN_OR_RETURN(std::string server_version, TestConnection(target));
  int major = 0;
  (void)absl::SimpleAtoi(server_version.substr(0, server_version.find('.')), &major);
  ASSIGN_OR_RETURN(PgTools tools, ToolsFor(major));
  ASSIGN_OR_RETURN(PrivateFile passfile, MakePassfile(target, work_dir));
  ProcessOptions po;
  // Our own compressor follows, so pg_dump's is off (--compress=0).
  po.argv = {tools.pg_dump, "--format=custom", "--compress=0", "--no-password",
             "--dbname=" + QuotedDbnameConninfo(target.database())};
  po.env = ToolEnv(target, passfile.path(), options_.connect_timeout_s);
  po.pipe_stdout = true;
  ASSIGN_OR_RETURN(std::unique_ptr<Process> p, options_.runner->Start(po));
  return std::unique_ptr<DumpSession>(new PgDumpSession(
      std::move(p), std::move(passfile), Describe(target), server_version, tools.version));
}

absl::StatusOr<std::unique_ptr<RestoreSession>> PostgresEngine::StartRestore(
    const DatabaseTarget& target, const v1::Manifest& manifest, const std::string& work_dir) {
  RETURN_IF_ERROR(ValidatePgDatabaseName(target.database()));
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
    int timeout = options_.connect_timeout_s;
    on_failure = [target, timeout] {
      PgConn c;
      absl::Status connected = Connect(target, "postgres", timeout, &c);
      if (!connected.ok()) {
        LogWarn("agent", "cannot drop the database created for a failed restore: ", connected.message());
        return;
      }
      char* ident = PQescapeIdentifier(c.conn, target.database().c_str(), target.database().size());
      // FORCE (PostgreSQL 13+): the killed pg_restore's backend may not have
      // gone yet.
      std::string sql = absl::StrCat("DROP DATABASE IF EXISTS ", ident,
                                     PQserverVersion(c.conn) >= 130000 ? " WITH (FORCE)" : "");
      PQfreemem(ident);
      PGresult* r = PQexec(c.conn, sql.c_str());
      if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        LogWarn("agent", "cannot drop the database created for a failed restore: ",
                PQerrorMessage(c.conn));
      }
      PQclear(r);
    };
  }
  int major = 0;
  (void)absl::SimpleAtoi(server_version.substr(0, server_version.find('.')), &major);
  // The dump was written by a pg_dump of the manifest's version: pg_restore
  // must be at least that new, and new enough for the server.
  int dump_major = 0;
  (void)absl::SimpleAtoi(manifest.tool_version().substr(0, manifest.tool_version().find('.')),
                         &dump_major);
  absl::StatusOr<PgTools> tools = ToolsFor(std::max(major, dump_major));
  if (!tools.ok()) {
    if (on_failure) on_failure();
    return tools.status();
  }
  absl::StatusOr<PrivateFile> passfile = MakePassfile(target, work_dir);
  if (!passfile.ok()) {
    if (on_failure) on_failure();
    return passfile.status();
  }
  ProcessOptions po;
  // One transaction and stop at the first error: a failed restore changes nothing.
  po.argv = {tools->pg_restore, "--no-password", "--exit-on-error", "--single-transaction",
             "--dbname=" + QuotedDbnameConninfo(target.database())};
  po.env = ToolEnv(target, passfile->path(), options_.connect_timeout_s);
  po.pipe_stdin = true;
  absl::StatusOr<std::unique_ptr<Process>> p = options_.runner->Start(po);
  if (!p.ok()) {
    if (on_failure) on_failure();
    return p.status();
  }
  return std::unique_ptr<RestoreSession>(new PgRestoreSession(
      *std::move(p), *std::move(passfile), Describe(target), std::move(on_failure)));
}

}  // namespace dbdump
