#include "common/engines/mysql/mysql_client.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/base/database_tls.h"
#include "common/base/status_macros.h"
#include "common/engines/tls_key_file.h"
#include "common/engines/mysql/mysql_names.h"

namespace dbdump {
namespace mysql {
namespace {

using v1::DatabaseTarget;

// Option files are read line by line into a fixed buffer; far longer than
// any real password or host name.
constexpr size_t kMaxOptionValueBytes = 2048;

// The TLS options of [client], which both tools read.
//
// MariaDB's client (10.11, what Debian ships) has no ssl-mode: `ssl` asks for
// TLS but falls back to a plain connection when the server offers none;
// ssl-ca makes it verify the chain; only ssl-verify-server-cert (chain and
// host name) refuses a server without TLS. So REQUIRED and VERIFY_CA cannot
// stop a downgrade with these tools; TestConnection checks that the session
// used TLS, and the docs recommend VERIFY_IDENTITY. Oracle MySQL's tools
// (`ssl_mode`) take ssl-mode, which enforces each mode itself.
template <typename AddFn>
absl::Status AddTlsOptions(const DatabaseTarget& t, const std::string& tls_key_file,
                           bool ssl_mode, std::string* client, AddFn& add) {
  const v1::DatabaseTls& tls = t.tls();
  if (tls.mode() == v1::DATABASE_TLS_MODE_UNSPECIFIED) return absl::OkStatus();
  if (tls.mode() == v1::DATABASE_TLS_MODE_DISABLE) {
    absl::StrAppend(client, ssl_mode ? "ssl-mode=DISABLED\n" : "skip-ssl\n");
    return absl::OkStatus();
  }
  // "localhost" would otherwise mean the unix socket, where no TLS is used.
  absl::StrAppend(client, "protocol=TCP\n");
  if (ssl_mode) {
    absl::StrAppend(client, "ssl-mode=", DatabaseTlsModeName(v1::ENGINE_MYSQL, tls.mode()), "\n");
  } else {
    absl::StrAppend(client, "ssl\n");
    if (tls.mode() == v1::DATABASE_TLS_MODE_VERIFY_FULL) {
      absl::StrAppend(client, "ssl-verify-server-cert\n");
    }
  }
  RETURN_IF_ERROR(add(client, "ssl-ca", tls.ca_file()));
  RETURN_IF_ERROR(add(client, "ssl-cert", tls.cert_file()));
  RETURN_IF_ERROR(add(client, "ssl-key", tls_key_file));
  return absl::OkStatus();
}

// An option file for both tools: the connection in [client], what only the
// client understands in [mysql] (mariadb-dump would reject it there).
absl::StatusOr<std::string> OptionFileText(const DatabaseTarget& t, const std::string& password,
                                           const std::string& database, int connect_timeout_s,
                                           const std::string& tls_key_file, bool ssl_mode) {
  std::string client = "[client]\n";
  auto add = [](std::string* section, const char* key,
                const std::string& value) -> absl::Status {
    if (value.empty()) return absl::OkStatus();
    if (value.size() > kMaxOptionValueBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("the ", key, " of the target is longer than ", kMaxOptionValueBytes,
                       " bytes: the MySQL tools cannot take it"));
    }
    absl::StatusOr<std::string> quoted = QuoteOptionFileValue(value);
    if (!quoted.ok()) {
      // Never the value itself: it may be the password.
      return absl::InvalidArgumentError(absl::StrCat(
          "the ", key, " of the target contains a NUL byte: the MySQL tools cannot take it"));
    }
    absl::StrAppend(section, key, "=", *quoted, "\n");
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(add(&client, "host", t.host()));
  if (t.port() != 0) absl::StrAppend(&client, "port=", t.port(), "\n");
  RETURN_IF_ERROR(add(&client, "user", t.user()));
  RETURN_IF_ERROR(add(&client, "password", password));
  absl::StrAppend(&client, "default-character-set=utf8mb4\n");
  RETURN_IF_ERROR(AddTlsOptions(t, tls_key_file, ssl_mode, &client, add));
  std::string mysql = "[mysql]\n";
  absl::StrAppend(&mysql, "connect-timeout=", connect_timeout_s, "\n");
  absl::StrAppend(&mysql, "max-allowed-packet=1073741824\n");
  RETURN_IF_ERROR(add(&mysql, "database", database));
  return absl::StrCat(client, mysql, "[mysqldump]\nmax-allowed-packet=1073741824\n");
}

}  // namespace

bool HexDecode(absl::string_view hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    int v = 0;
    for (size_t j = i; j < i + 2; ++j) {
      char c = hex[j];
      int d = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                     : -1;
      if (d < 0) return false;
      v = v * 16 + d;
    }
    out->push_back(static_cast<char>(v));
  }
  return true;
}

std::string Describe(const DatabaseTarget& t, const std::string& database) {
  return absl::StrCat("mysql://", t.user().empty() ? "" : t.user() + "@",
                      t.host().empty() ? "localhost" : t.host(), ":",
                      t.port() == 0 ? 3306u : t.port(), "/", database);
}

std::map<std::string, std::string> ToolEnv() {
  return {
      {"PATH", "/usr/bin:/bin"},
      {"LC_ALL", "C.UTF-8"},
      {"HOME", "/nonexistent"},
      {"MYSQL_TEST_LOGIN_FILE", "/nonexistent/.mylogin.cnf"},
  };
}

absl::Status MysqlError(absl::string_view what, const std::string& desc, const std::string& text,
                        int exit_code, const std::string& secret) {
  std::string all = text;
  if (secret.size() >= 4) all = absl::StrReplaceAll(all, {{secret, "<redacted>"}});
  std::string detail;
  for (absl::string_view line : absl::StrSplit(all, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StrContains(line, "Deprecated program name")) continue;
    bool is_error = absl::StrContains(line, "ERROR") || absl::StrContains(line, "rror:");
    if (detail.empty() || is_error) detail = std::string(line);
    if (is_error) break;
  }
  if (detail.empty()) detail = absl::StrCat("exit code ", exit_code);
  if (detail.size() > 400) detail = detail.substr(0, 400) + "...";
  std::string head = absl::StrCat(what, " ", desc);
  // TLS: which setting of the target to look at.
  if (absl::StrContains(all, "Validation of SSL server certificate failed")) {
    return absl::FailedPreconditionError(absl::StrCat(
        head, ": the server's TLS certificate does not name the host (", detail,
        "); give --host as the certificate names it"));
  }
  if (absl::StrContains(all, "TLS/SSL error") &&
      (absl::StrContains(all, "certificate") || absl::StrContains(all, "verify"))) {
    return absl::FailedPreconditionError(absl::StrCat(
        head, ": the server's TLS certificate is not trusted (", detail,
        "); check that --tls-ca-file holds the CA that signed the server's certificate"));
  }
  if (absl::StrContains(all, "SSL is required, but the server does not support it")) {
    return absl::FailedPreconditionError(absl::StrCat(
        head, ": ", detail, "; enable TLS on the server or lower --tls-mode"));
  }
  if (absl::StrContains(all, "insecure transport")) {
    return absl::PermissionDeniedError(absl::StrCat(
        head, ": the server refuses connections without TLS (", detail,
        "); set --tls-mode=VERIFY_IDENTITY with --tls-ca-file"));
  }
  if (absl::StrContains(all, "Access denied")) {
    if (absl::StrContains(all, "using password")) {
      return absl::PermissionDeniedError(absl::StrCat(
          head, ": authentication failed (", detail,
          "); check the user and the password reference"));
    }
    return absl::PermissionDeniedError(absl::StrCat(
        head, ": permission denied (", detail,
        "); grant the user the privileges this needs"));
  }
  if (absl::StrContains(all, "Unknown database")) {
    return absl::NotFoundError(
        absl::StrCat(head, ": database not found (", detail, "); check the database name"));
  }
  if (absl::StrContains(all, "Can't connect") || absl::StrContains(all, "Unknown server host") ||
      absl::StrContains(all, "Unknown MySQL server host") ||
      absl::StrContains(all, "Connection refused")) {
    return absl::UnavailableError(absl::StrCat(
        head, ": database server unreachable (", detail,
        "); check host and port and that the server is running"));
  }
  if (absl::StrContains(all, "Lost connection") || absl::StrContains(all, "has gone away")) {
    // A statement larger than the server's max_allowed_packet ends the
    // connection the same way a crash does.
    return absl::UnavailableError(absl::StrCat(
        head, ": connection to the database server lost (", detail,
        "); check that the server is running and that its max_allowed_packet holds the "
        "largest row"));
  }
  if (absl::StrContains(all, "Couldn't find table")) {
    return absl::NotFoundError(absl::StrCat(head, ": ", detail, "; check the table names"));
  }
  return absl::FailedPreconditionError(absl::StrCat(head, ": ", detail));
}

absl::StatusOr<ClientFiles> MakeOptionFile(const std::string& dir, const DatabaseTarget& t,
                                           const std::string& password,
                                           const std::string& database, int connect_timeout_s,
                                           bool ssl_mode) {
  ASSIGN_OR_RETURN(TlsKeyFile key, TlsKeyFile::ForTool(t, dir));
  ASSIGN_OR_RETURN(std::string text, OptionFileText(t, password, database, connect_timeout_s,
                                                    key.path(), ssl_mode));
  ASSIGN_OR_RETURN(PrivateFile option_file,
                   PrivateFile::Create(dir, "mysql-client", ".cnf", text));
  return ClientFiles{std::move(option_file), key.TakePrivateFile()};
}

void ClientFiles::MoveInto(std::vector<PrivateFile>* files) {
  files->push_back(std::move(option_file));
  if (tls_key) files->push_back(*std::move(tls_key));
  tls_key.reset();
}

void ClientFiles::Remove() {
  option_file.Remove();
  if (tls_key) tls_key->Remove();
}

std::vector<std::vector<std::string>> Rows(const std::string& out) {
  std::vector<std::vector<std::string>> rows;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    rows.push_back(absl::StrSplit(line, '\t'));
  }
  return rows;
}

}  // namespace mysql
}  // namespace dbdump
