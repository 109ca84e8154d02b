#include "common/engines/postgres/postgres_connection.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "common/base/database_tls.h"
#include "common/base/secret_ref.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace pg {

using v1::DatabaseTarget;

namespace {

// Escapes a pgpass field: backslash and colon.
std::string PgpassEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == ':') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

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
  // TLS: which setting of the target to look at, since OpenSSL's words
  // alone do not say.
  if (absl::StrContains(msg, "certificate verify failed")) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, " ", target_desc, ": the server's TLS certificate is not trusted (", detail,
        "); check that --tls-ca-file holds the CA that signed the server's certificate"));
  }
  if (absl::StrContains(msg, "does not match host name")) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, " ", target_desc, ": the server's TLS certificate is for another host name (",
        detail, "); give --host as the certificate names it, or use --tls-mode=verify-ca"));
  }
  if (absl::StrContains(msg, "server does not support SSL")) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, " ", target_desc, ": ", detail,
        "; enable ssl on the server or lower --tls-mode"));
  }
  if (absl::StrContains(msg, "no encryption") && absl::StrContains(msg, "pg_hba.conf")) {
    return absl::PermissionDeniedError(absl::StrCat(
        what, " ", target_desc, ": the server refuses connections without TLS (", detail,
        "); set --tls-mode=verify-full with --tls-ca-file"));
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

std::string MissingRoleHint() {
  return "restore into this server with --no-owner --no-privileges (objects then belong to the "
         "restoring user, or to --owner=ROLE), or create the backup's roles first (restore "
         "--globals, for a backup taken with --globals)";
}

std::string Describe(const DatabaseTarget& t) {
  return absl::StrCat("postgresql://", t.user().empty() ? "" : t.user() + "@", t.host(), ":",
                      t.port(), "/", t.database());
}

absl::Status Connect(const DatabaseTarget& t, const std::string& dbname, int timeout_s,
                     PgConn* out) {
  ASSIGN_OR_RETURN(std::string password, ResolveSecretRef(t.password_ref()));
  // libpq reads the key while connecting; the file need not outlive this.
  ASSIGN_OR_RETURN(TlsKeyFile key, TlsKeyFile::InProcess(t));
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
  add("sslmode", DatabaseTlsModeName(v1::ENGINE_POSTGRES, t.tls().mode()));
  add("sslrootcert", t.tls().ca_file());
  add("sslcert", t.tls().cert_file());
  add("sslkey", key.path());
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

int MajorVersion(const std::string& version) {
  int major = 0;
  // 0 (unknown) for an unparsable version is intended: callers treat it as
  // older than any version they check for.
  (void)absl::SimpleAtoi(version.substr(0, version.find('.')), &major);
  return major;
}

std::string ServerVersion(PGconn* conn) {
  const char* v = PQparameterStatus(conn, "server_version");
  std::string s = v ? v : "";
  return s.substr(0, s.find(' '));
}

std::map<std::string, std::string> ToolEnv(const DatabaseTarget& t, const std::string& passfile,
                                           int timeout_s, const std::string& tls_key_file) {
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
  // libpq's documented variables: the tools take the same TLS settings as
  // our own connections, and none of them is in argv.
  std::string mode = DatabaseTlsModeName(v1::ENGINE_POSTGRES, t.tls().mode());
  if (!mode.empty()) env["PGSSLMODE"] = mode;
  if (!t.tls().ca_file().empty()) env["PGSSLROOTCERT"] = t.tls().ca_file();
  if (!t.tls().cert_file().empty()) env["PGSSLCERT"] = t.tls().cert_file();
  if (!tls_key_file.empty()) env["PGSSLKEY"] = tls_key_file;
  return env;
}

absl::StatusOr<ToolConnection> PrepareTool(const DatabaseTarget& t, const std::string& work_dir,
                                          int timeout_s) {
  ToolConnection c;
  ASSIGN_OR_RETURN(PrivateFile passfile, MakePassfile(t, work_dir));
  ASSIGN_OR_RETURN(TlsKeyFile key, TlsKeyFile::ForTool(t, work_dir));
  c.env = ToolEnv(t, passfile.path(), timeout_s, key.path());
  c.files.push_back(std::move(passfile));
  if (std::optional<PrivateFile> f = key.TakePrivateFile()) c.files.push_back(*std::move(f));
  return c;
}

absl::StatusOr<PrivateFile> MakePassfile(const DatabaseTarget& t, const std::string& work_dir) {
  ASSIGN_OR_RETURN(std::string password, ResolveSecretRef(t.password_ref()));
  return PrivateFile::Create(work_dir, "pgpass", "",
                             absl::StrCat("*:*:*:*:", PgpassEscape(password), "\n"));
}

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

}  // namespace pg
}  // namespace dbdump
