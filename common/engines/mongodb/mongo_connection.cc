#include "common/engines/mongodb/mongo_connection.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/base/secret_ref.h"
#include "common/base/status_macros.h"
#include "common/engines/mongodb/mongo_names.h"

namespace dbdump {
namespace mongo {
namespace {

using v1::DatabaseTarget;

constexpr int kDefaultPort = 27017;

bool IsHostName(absl::string_view h) {
  if (h.empty() || h.size() > 253 || h.front() == '-' || h.front() == '.') return false;
  for (char c : h) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ||
          c == '_')) {
      return false;
    }
  }
  return true;
}

bool IsIpv6Literal(absl::string_view h) {
  if (h.find(':') == absl::string_view::npos) return false;
  for (char c : h) {
    if (!(absl::ascii_isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) {
      return false;
    }
  }
  return true;
}

// The tools log "<time>\t<message>"; the message of a line.
absl::string_view LogMessage(absl::string_view line) {
  line = absl::StripAsciiWhitespace(line);
  size_t tab = line.find('\t');
  if (tab != absl::string_view::npos && !line.empty() &&
      absl::ascii_isdigit(static_cast<unsigned char>(line.front()))) {
    line = absl::StripAsciiWhitespace(line.substr(tab + 1));
  }
  return line;
}

}  // namespace

absl::StatusOr<Connection> ConnectionFor(const DatabaseTarget& t, int timeout_s) {
  std::string host = t.host().empty() ? "localhost" : t.host();
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::string host_part;
  if (IsIpv6Literal(host)) {
    host_part = absl::StrCat("[", host, "]");
  } else if (IsHostName(host)) {
    host_part = host;
  } else {
    // Checked here because the host goes into the connection string.
    return absl::InvalidArgumentError(absl::StrCat(
        "MongoDB host \"", absl::CHexEscape(t.host()),
        "\" is not a host name or IP address: set the target's host to one"));
  }
  if (t.port() > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("MongoDB port ", t.port(), " is out of range: set a port from 1 to 65535"));
  }
  uint32_t port = t.port() == 0 ? kDefaultPort : t.port();
  Connection c;
  c.user = t.user();
  ASSIGN_OR_RETURN(c.password, ResolveSecretRef(t.password_ref()));
  if (!c.user.empty() && c.password.empty()) {
    // The tools would prompt for it on their stdin, which is the archive.
    return absl::FailedPreconditionError(absl::StrCat(
        "MongoDB user \"", absl::CHexEscape(c.user),
        "\" has no password: set the target's password reference"));
  }
  if (c.user.empty() && !c.password.empty()) {
    return absl::InvalidArgumentError(
        "the target has a password reference but no user: set the MongoDB user");
  }
  // Users are looked up in admin, whatever database is dumped (the tools
  // would otherwise authenticate against --db). Without a user nothing is
  // said about authentication: the tools' driver takes an authSource alone
  // as a request to authenticate, which a server without users refuses. No
  // timeouts in the URI: the tools copy its millisecond values into fields
  // they read as seconds.
  c.uri = absl::StrCat("mongodb://", host_part, ":", port, "/",
                       c.user.empty() ? "" : "?authSource=admin");
  c.timeout_s = timeout_s;
  c.desc = absl::StrCat("mongodb://", c.user.empty() ? "" : absl::CHexEscape(c.user) + "@",
                        host_part, ":", port, "/",
                        t.database().empty() ? "(all databases)" : absl::CHexEscape(t.database()));
  return c;
}

absl::StatusOr<std::vector<PrivateFile>> ConfigFile(const Connection& c, const std::string& dir) {
  std::vector<PrivateFile> files;
  if (c.password.empty()) return files;
  absl::StatusOr<std::string> quoted = YamlDoubleQuoted(c.password);
  if (!quoted.ok()) {
    return absl::FailedPreconditionError(
        "the MongoDB password is not valid UTF-8, which the tools' YAML config file cannot "
        "carry: store it as UTF-8 text");
  }
  ASSIGN_OR_RETURN(
      PrivateFile f,
      PrivateFile::Create(dir, "mongo-config", ".yaml",
                          absl::StrCat("# dbdump: credentials of one MongoDB tool run\n",
                                       "password: ", *quoted, "\n")));
  files.push_back(std::move(f));
  return files;
}

std::vector<std::string> ConnectionArgs(const Connection& c,
                                        const std::vector<PrivateFile>& config) {
  std::vector<std::string> args;
  if (!config.empty()) args.push_back("--config=" + config.front().path());
  args.push_back("--uri=" + c.uri);
  if (!c.user.empty()) args.push_back("--username=" + c.user);
  if (c.timeout_s > 0) args.push_back(absl::StrCat("--dialTimeout=", c.timeout_s));
  return args;
}

std::map<std::string, std::string> ToolEnv() {
  return {{"PATH", "/usr/bin:/bin"}, {"LC_ALL", "C.UTF-8"}};
}

std::string ToolProblem(const std::string& tail) {
  std::string last;
  std::string failed;
  for (absl::string_view line : absl::StrSplit(tail, '\n')) {
    absl::string_view msg = LogMessage(line);
    // "try 'mongodump --help' ..." follows an option error and says nothing.
    if (msg.empty() || absl::StartsWith(msg, "try '")) continue;
    last = std::string(msg);
    if (absl::ConsumePrefix(&msg, "Failed: ")) failed = std::string(msg);
  }
  return failed.empty() ? last : failed;
}

absl::Status MongoToolError(const std::string& what, const std::string& desc, int exit_code,
                            const std::string& tail, const std::string& password) {
  std::string detail = ToolProblem(tail);
  if (!password.empty()) detail = absl::StrReplaceAll(detail, {{password, "<password>"}});
  if (detail.empty()) detail = absl::StrCat("exit code ", exit_code, ", no message");
  std::string head = absl::StrCat(what, " ", desc, ": ");
  if (absl::StrContains(detail, "AuthenticationFailed") ||
      absl::StrContains(detail, "Authentication failed") ||
      absl::StrContains(detail, "auth error")) {
    return absl::PermissionDeniedError(absl::StrCat(
        head, "authentication failed (", detail,
        "); check the user and the password reference (users are looked up in admin)"));
  }
  if (absl::StrContains(detail, "Unauthorized") || absl::StrContains(detail, "not authorized") ||
      absl::StrContains(detail, "requires authentication")) {
    return absl::PermissionDeniedError(absl::StrCat(
        head, "the user lacks a privilege (", detail,
        "); grant it the backup role to dump or the restore role to restore"));
  }
  if (absl::StrContains(detail, "server selection") ||
      absl::StrContains(detail, "connection refused") ||
      absl::StrContains(detail, "no reachable servers") ||
      absl::StrContains(detail, "i/o timeout") || absl::StrContains(detail, "no such host")) {
    return absl::UnavailableError(absl::StrCat(
        head, "database server unreachable (", detail,
        "); check host and port and that the server is running"));
  }
  if (absl::StrContains(detail, "E11000") || absl::StrContains(detail, "duplicate key")) {
    return absl::AlreadyExistsError(absl::StrCat(
        head, detail,
        "; the target already holds documents with the same _id: restore with clean to drop "
        "the backed-up collections first"));
  }
  if (absl::StrContains(detail, "does not appear to be a mongodump archive")) {
    return absl::DataLossError(absl::StrCat(head, detail));
  }
  return absl::FailedPreconditionError(absl::StrCat(head, detail));
}

ToolErrorFn ErrorFn(std::string what, std::string desc, std::string password) {
  return [what = std::move(what), desc = std::move(desc), password = std::move(password)](
             int code, const std::string& tail) {
    return MongoToolError(what, desc, code, tail, password);
  };
}

}  // namespace mongo
}  // namespace dbdump
