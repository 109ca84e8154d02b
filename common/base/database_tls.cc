#include "common/base/database_tls.h"

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace dbdump {

using v1::DatabaseTlsMode;

namespace {

constexpr const char* kPgModes = "disable, allow, prefer, require, verify-ca, verify-full";
constexpr const char* kMysqlModes = "DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY";

// A path the agent opens on its host: absolute, one line (it goes into
// option files and environment variables), no "." or ".." segment that
// would make it mean something else than it reads.
absl::Status CheckAgentPath(const char* flag, const std::string& path) {
  if (path.empty()) return absl::OkStatus();
  if (path[0] != '/' || path.find_first_of(std::string("\n\r\0", 3)) != std::string::npos ||
      absl::StrContains(path + "/", "/../") || absl::StrContains(path + "/", "/./")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, " must be an absolute path on the agent's host (one line, no \".\" or "
        "\"..\" segments), e.g. /etc/dbdump/db-ca.pem"));
  }
  return absl::OkStatus();
}

// The key reference's shape; the message never repeats it, since whoever
// mistypes it may have pasted the key.
absl::Status CheckKeyRef(const std::string& ref) {
  if (absl::StartsWith(ref, "file:")) {
    return CheckAgentPath("tls-key-ref file:", ref.substr(5)).ok()
               ? absl::OkStatus()
               : absl::InvalidArgumentError(
                     "--tls-key-ref file:PATH needs an absolute path on the agent's host, e.g. "
                     "file:/etc/dbdump/client.key (mode 0600)");
  }
  if (absl::StartsWith(ref, "env:") && ref.size() > 4) {
    for (char c : ref.substr(4)) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
        return absl::InvalidArgumentError("--tls-key-ref env:NAME must name a variable");
      }
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      "--tls-key-ref must be file:/absolute/path or env:NAME, naming where the agent reads the "
      "client key on its host; the key itself is never sent to dbdump");
}

}  // namespace

absl::StatusOr<DatabaseTlsMode> ParseDatabaseTlsMode(const std::string& text) {
  std::string m = absl::StrReplaceAll(absl::AsciiStrToLower(text), {{"_", "-"}});
  if (m == "disable" || m == "disabled") return v1::DATABASE_TLS_MODE_DISABLE;
  if (m == "allow") return v1::DATABASE_TLS_MODE_ALLOW;
  if (m == "prefer" || m == "preferred") return v1::DATABASE_TLS_MODE_PREFER;
  if (m == "require" || m == "required") return v1::DATABASE_TLS_MODE_REQUIRE;
  if (m == "verify-ca") return v1::DATABASE_TLS_MODE_VERIFY_CA;
  if (m == "verify-full" || m == "verify-identity") return v1::DATABASE_TLS_MODE_VERIFY_FULL;
  return absl::InvalidArgumentError(absl::StrCat("unknown --tls-mode \"", text,
                                                 "\": PostgreSQL has ", kPgModes,
                                                 "; MySQL/MariaDB has ", kMysqlModes));
}

std::string DatabaseTlsModeName(v1::Engine engine, DatabaseTlsMode mode) {
  bool mysql = engine == v1::ENGINE_MYSQL;
  switch (mode) {
    case v1::DATABASE_TLS_MODE_DISABLE: return mysql ? "DISABLED" : "disable";
    case v1::DATABASE_TLS_MODE_ALLOW: return mysql ? "ALLOW" : "allow";
    case v1::DATABASE_TLS_MODE_PREFER: return mysql ? "PREFERRED" : "prefer";
    case v1::DATABASE_TLS_MODE_REQUIRE: return mysql ? "REQUIRED" : "require";
    case v1::DATABASE_TLS_MODE_VERIFY_CA: return mysql ? "VERIFY_CA" : "verify-ca";
    case v1::DATABASE_TLS_MODE_VERIFY_FULL: return mysql ? "VERIFY_IDENTITY" : "verify-full";
    default: return "";
  }
}

bool TlsModeVerifiesServer(DatabaseTlsMode mode) {
  return mode == v1::DATABASE_TLS_MODE_VERIFY_CA || mode == v1::DATABASE_TLS_MODE_VERIFY_FULL;
}

bool HasDatabaseTls(const v1::DatabaseTarget& t) {
  const v1::DatabaseTls& tls = t.tls();
  return tls.mode() != v1::DATABASE_TLS_MODE_UNSPECIFIED || !tls.ca_file().empty() ||
         !tls.cert_file().empty() || !tls.key_ref().empty();
}

absl::Status ValidateDatabaseTls(const v1::DatabaseTarget& t) {
  if (!HasDatabaseTls(t)) return absl::OkStatus();
  const v1::DatabaseTls& tls = t.tls();
  if (t.engine() != v1::ENGINE_POSTGRES && t.engine() != v1::ENGINE_MYSQL) {
    return absl::InvalidArgumentError(
        "the --tls-* flags are for postgres and mysql databases only");
  }
  bool mysql = t.engine() == v1::ENGINE_MYSQL;
  if (!v1::DatabaseTlsMode_IsValid(tls.mode())) {
    return absl::InvalidArgumentError(absl::StrCat("unknown TLS mode ", tls.mode()));
  }
  if (tls.mode() == v1::DATABASE_TLS_MODE_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TLS files were given without --tls-mode: say how strict the connection is (",
        mysql ? kMysqlModes : kPgModes, "; ", mysql ? "VERIFY_IDENTITY" : "verify-full",
        " checks the server's certificate and host name)"));
  }
  if (mysql && tls.mode() == v1::DATABASE_TLS_MODE_ALLOW) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls-mode=allow is PostgreSQL's; MySQL/MariaDB has ", kMysqlModes));
  }
  if (tls.mode() == v1::DATABASE_TLS_MODE_DISABLE &&
      (!tls.ca_file().empty() || !tls.cert_file().empty() || !tls.key_ref().empty())) {
    return absl::InvalidArgumentError(
        "--tls-mode=disable uses no TLS: leave out --tls-ca-file, --tls-cert-file and "
        "--tls-key-ref, or pick a mode that uses them");
  }
  if (absl::Status s = CheckAgentPath("tls-ca-file", tls.ca_file()); !s.ok()) return s;
  if (absl::Status s = CheckAgentPath("tls-cert-file", tls.cert_file()); !s.ok()) return s;
  if (!tls.key_ref().empty()) {
    if (absl::Status s = CheckKeyRef(tls.key_ref()); !s.ok()) return s;
  }
  if (!tls.key_ref().empty() && tls.cert_file().empty()) {
    return absl::InvalidArgumentError(
        "--tls-key-ref is the key of a client certificate: give --tls-cert-file=/path too");
  }
  if (!tls.cert_file().empty() && tls.key_ref().empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert-file needs its private key: give --tls-key-ref=file:/path or env:NAME");
  }
  if (TlsModeVerifiesServer(tls.mode()) && tls.ca_file().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls-mode=", DatabaseTlsModeName(t.engine(), tls.mode()),
        " checks the server's certificate against a CA: give --tls-ca-file=/path (on the "
        "agent's host) with the CA that signed it, e.g. the cloud provider's bundle"));
  }
  return absl::OkStatus();
}

}  // namespace dbdump
