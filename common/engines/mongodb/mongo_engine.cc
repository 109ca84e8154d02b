#include "common/engines/mongodb/mongo_engine.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/random/random.h"
#include "common/engines/mongodb/mongo_archive_prelude.h"
#include "common/engines/private_file.h"
#include "common/engines/tool_session.h"
#include "common/base/secret_ref.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace {

using v1::DatabaseTarget;

constexpr int kDefaultPort = 27017;
constexpr char kExtension[] = "archive";
constexpr char kDumpFormat[] = "mongodump archive";
constexpr char kNoTestRestore[] =
    "test restore of MongoDB needs a MongoDB client (mongosh) on the agent host to count and "
    "drop the scratch database, and the agent has only mongodump and mongorestore: use a dry "
    "run, which checks both checksums and has mongorestore read the archive";

// How the tools reach the server: everything but the password, which goes
// into the config file.
struct Connection {
  std::string uri;       // host and port only: mongodb://host:port/?authSource=admin
  std::string user;      // empty = no authentication
  std::string password;  // empty = none
  int timeout_s = 0;     // --dialTimeout
  std::string desc;      // for messages: mongodb://user@host:port/db
};

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
  // would otherwise authenticate against --db). No timeouts in the URI: the
  // tools copy its millisecond values into fields they read as seconds.
  c.uri = absl::StrCat("mongodb://", host_part, ":", port, "/?authSource=admin");
  c.timeout_s = timeout_s;
  c.desc = absl::StrCat("mongodb://", c.user.empty() ? "" : absl::CHexEscape(c.user) + "@",
                        host_part, ":", port, "/",
                        t.database().empty() ? "(all databases)" : absl::CHexEscape(t.database()));
  return c;
}

// The 0600 config file holding the password, or nothing without one.
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

// Connection arguments: --config, --uri, --username and the connect timeout
// in seconds (--dialTimeout), each one argument.
std::vector<std::string> ConnectionArgs(const Connection& c,
                                        const std::vector<PrivateFile>& config) {
  std::vector<std::string> args;
  if (!config.empty()) args.push_back("--config=" + config.front().path());
  args.push_back("--uri=" + c.uri);
  if (!c.user.empty()) args.push_back("--username=" + c.user);
  if (c.timeout_s > 0) args.push_back(absl::StrCat("--dialTimeout=", c.timeout_s));
  return args;
}

// Nothing inherited: PATH and a locale only.
std::map<std::string, std::string> ToolEnv() {
  return {{"PATH", "/usr/bin:/bin"}, {"LC_ALL", "C.UTF-8"}};
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

// The line of a tool's stderr that says what went wrong: the last
// "Failed: ..." line, else the last line.
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

// Maps a failed tool's stderr onto a status with a hint of what to do. The
// password never reaches the tools' messages (it is not in argv), and is
// masked here in case a tool ever echoes it.
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

// The --db / --collection / --excludeCollection arguments of a dump.
// mongodump has no --nsInclude: it dumps every database, one database, one
// collection (--collection, given once), or one database without some
// collections (--excludeCollection, within --db).
absl::StatusOr<std::vector<std::string>> SelectionArgs(const DatabaseTarget& t) {
  const v1::DumpOptions& o = t.dump_options();
  std::vector<std::string> args;
  if (o.include_namespaces_size() == 1) {
    ASSIGN_OR_RETURN(auto ns, SplitMongoNamespace(o.include_namespaces(0)));
    if (!t.database().empty() && ns.first != t.database()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "include namespace \"", absl::CHexEscape(o.include_namespaces(0)),
          "\" is not in the target's database \"", absl::CHexEscape(t.database()),
          "\": name a collection of that database"));
    }
    args.push_back("--db=" + ns.first);
    args.push_back("--collection=" + ns.second);
    return args;
  }
  if (t.database().empty()) {
    if (o.exclude_namespaces_size() > 0) {
      return absl::InvalidArgumentError(
          "exclude_namespaces needs a database on the target: mongodump leaves collections out "
          "(--excludeCollection) only within one database");
    }
    return args;
  }
  args.push_back("--db=" + t.database());
  for (const std::string& name : o.exclude_namespaces()) {
    ASSIGN_OR_RETURN(auto ns, SplitMongoNamespace(name));
    if (ns.first != t.database()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "exclude namespace \"", absl::CHexEscape(name), "\" is not in the dumped database \"",
          absl::CHexEscape(t.database()), "\": name a collection of that database"));
    }
    args.push_back("--excludeCollection=" + ns.second);
  }
  return args;
}

// Forwards the dump's bytes unchanged while their prelude is read.
class PreludeSource : public Source {
 public:
  PreludeSource(Source* from, MongoArchivePrelude* prelude) : from_(from), prelude_(prelude) {}
  absl::StatusOr<size_t> Read(char* data, size_t n) override {
    ASSIGN_OR_RETURN(size_t got, from_->Read(data, n));
    prelude_->Feed(data, got);
    return got;
  }

 private:
  Source* from_;
  MongoArchivePrelude* prelude_;
};

// A mongodump run: the tool's session, and what the archive's prelude says.
class MongoDumpSession : public DumpSession {
 public:
  MongoDumpSession(std::unique_ptr<ToolDumpSession> tool, Process* process, std::string desc,
                   std::string tool_version)
      : tool_(std::move(tool)),
        process_(process),
        source_(tool_->source(), &prelude_),
        desc_(std::move(desc)),
        tool_version_(std::move(tool_version)) {}
  Source* source() override { return &source_; }
  absl::Status Finish() override {
    RETURN_IF_ERROR(tool_->Finish());
    if (prelude_.bytes_seen() == 0) {
      // mongodump succeeds without output when --collection names nothing.
      return absl::NotFoundError(absl::StrCat(
          "mongodump wrote no archive for ", desc_, " (", ToolProblem(process_->StderrTail()),
          "): check the target's database and include namespace"));
    }
    if (prelude_.state() == MongoArchivePrelude::State::kNotAnArchive) {
      return absl::DataLossError(absl::StrCat("the output of mongodump for ", desc_,
                                              " is not a mongodump archive: ",
                                              prelude_.problem()));
    }
    if (prelude_.state() == MongoArchivePrelude::State::kReading) {
      return absl::DataLossError(absl::StrCat("the output of mongodump for ", desc_,
                                              " ends inside the archive prelude"));
    }
    return absl::OkStatus();
  }
  void Cancel() override { tool_->Cancel(); }
  std::string server_version() const override {
    return prelude_.server_version().empty() ? "unknown" : prelude_.server_version();
  }
  std::string tool_version() const override {
    return prelude_.tool_version().empty() ? tool_version_ : prelude_.tool_version();
  }
  std::string extension() const override { return kExtension; }
  std::string dump_format() const override { return kDumpFormat; }
  std::vector<v1::TableInfo> tables() const override {
    std::vector<v1::TableInfo> out;
    for (const MongoArchivePrelude::Namespace& ns : prelude_.namespaces()) {
      v1::TableInfo t;
      t.set_name(absl::StrCat(ns.db, ".", ns.collection));
      t.set_rows(-1);
      out.push_back(std::move(t));
    }
    return out;
  }

 private:
  std::unique_ptr<ToolDumpSession> tool_;
  Process* process_;  // owned by tool_
  MongoArchivePrelude prelude_;
  PreludeSource source_;
  std::string desc_;
  std::string tool_version_;
};

// What a restore may find in the archive: the databases the manifest lists
// (their collections were recorded from the same prelude at backup time), or,
// when it lists none, only the target database.
struct ArchiveExpectation {
  std::set<std::string> source_dbs;
  std::string target_db;
};

absl::Status CheckArchive(const MongoArchivePrelude& p, const ArchiveExpectation& want) {
  for (const MongoArchivePrelude::Namespace& ns : p.namespaces()) {
    if (!want.source_dbs.empty()) {
      if (want.source_dbs.count(ns.db) == 0) {
        return absl::FailedPreconditionError(absl::StrCat(
            "the archive holds database \"", absl::CHexEscape(ns.db),
            "\", which the backup's manifest does not list: nothing was restored; check that "
            "the manifest belongs to this backup"));
      }
    } else if (!want.target_db.empty() && ns.db != want.target_db) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the archive holds database \"", absl::CHexEscape(ns.db),
          "\" but the backup's manifest lists no collections, so it cannot be renamed into \"",
          absl::CHexEscape(want.target_db),
          "\": nothing was restored; restore into a target without a database name"));
    }
  }
  return absl::OkStatus();
}

// A mongorestore run. The archive's prelude is held back and checked before
// mongorestore sees a byte. mongorestore --dryRun reads only the prelude and
// exits: the rest of the stream is then still read (for the checksums) and
// dropped, and the tool's exit code decides.
class MongoRestoreSession : public RestoreSession {
 public:
  MongoRestoreSession(std::unique_ptr<ToolRestoreSession> tool, Process* process, bool dry_run,
                      ArchiveExpectation want, std::string desc)
      : tool_(std::move(tool)),
        process_(process),
        dry_run_(dry_run),
        gate_(this),
        want_(std::move(want)),
        desc_(std::move(desc)) {}
  Sink* sink() override { return &gate_; }
  absl::Status Finish() override {
    RETURN_IF_ERROR(tool_->Finish());
    if (dry_run_) return absl::OkStatus();
    // With --stopOnError a failed insert fails the run; this catches a tool
    // that reports failed documents and still exits 0.
    std::string tail = process_->StderrTail();
    size_t at = tail.rfind(" document(s) failed to restore");
    if (at != std::string::npos) {
      size_t start = at;
      while (start > 0 && absl::ascii_isdigit(static_cast<unsigned char>(tail[start - 1]))) {
        --start;
      }
      int64_t failed = 0;
      if (absl::SimpleAtoi(tail.substr(start, at - start), &failed) && failed > 0) {
        return absl::FailedPreconditionError(absl::StrCat(
            "mongorestore into ", desc_, " could not restore ", failed,
            " documents: see the agent log, or restore with clean"));
      }
    }
    return absl::OkStatus();
  }
  void Cancel() override { tool_->Cancel(); }
  uint32_t listed_entries() const override {
    return dry_run_ ? static_cast<uint32_t>(prelude_.namespaces().size()) : 0;
  }
  std::string summary() const override {
    if (!dry_run_) return "";
    std::set<std::string> dbs;
    for (const auto& ns : prelude_.namespaces()) dbs.insert(ns.db);
    size_t n = prelude_.namespaces().size();
    return absl::StrCat("mongorestore --dryRun accepted the archive: ", n, " collection",
                        n == 1 ? "" : "s", dbs.empty() ? "" : " in ", absl::StrJoin(dbs, ", "));
  }

 private:
  class Gate : public Sink {
   public:
    explicit Gate(MongoRestoreSession* s) : s_(s) {}
    absl::Status Write(const char* data, size_t n) override {
      if (released_) return Forward(data, n);
      s_->prelude_.Feed(data, n);
      held_.append(data, n);
      switch (s_->prelude_.state()) {
        case MongoArchivePrelude::State::kReading:
          return absl::OkStatus();
        case MongoArchivePrelude::State::kNotAnArchive:
          return absl::DataLossError(absl::StrCat("the backup is not a mongodump archive (",
                                                  s_->prelude_.problem(),
                                                  "): nothing was restored"));
        case MongoArchivePrelude::State::kTooLarge:
          return absl::FailedPreconditionError(
              "the archive's prelude is larger than the 64 MiB the agent checks before a "
              "restore: nothing was restored");
        case MongoArchivePrelude::State::kComplete:
          break;
      }
      RETURN_IF_ERROR(CheckArchive(s_->prelude_, s_->want_));
      released_ = true;
      std::string held = std::move(held_);
      held_.clear();
      return Forward(held.data(), held.size());
    }
    absl::Status Finish() override {
      if (!released_) {
        return absl::DataLossError(
            "the backup ends inside the mongodump archive prelude: nothing was restored");
      }
      return s_->tool_->sink()->Finish();
    }

   private:
    absl::Status Forward(const char* data, size_t n) {
      if (tool_stopped_) return absl::OkStatus();
      absl::Status st = s_->tool_->sink()->Write(data, n);
      if (!st.ok() && s_->dry_run_) {
        tool_stopped_ = true;
        return absl::OkStatus();
      }
      return st;
    }
    MongoRestoreSession* s_;
    std::string held_;
    bool released_ = false;
    bool tool_stopped_ = false;
  };

  std::unique_ptr<ToolRestoreSession> tool_;
  Process* process_;  // owned by tool_
  bool dry_run_;
  MongoArchivePrelude prelude_;
  Gate gate_;
  ArchiveExpectation want_;
  std::string desc_;
};

// "100.9.4" -> {100, 9}; legacy tools print "r4.2.24".
std::pair<int, int> MajorMinor(absl::string_view version) {
  absl::ConsumePrefix(&version, "r");
  std::vector<std::string> parts = absl::StrSplit(version, '.');
  int major = 0, minor = 0;
  if (!parts.empty()) (void)absl::SimpleAtoi(parts[0], &major);
  if (parts.size() > 1) (void)absl::SimpleAtoi(parts[1], &minor);
  return {major, minor};
}

}  // namespace

absl::Status ValidateMongoDatabaseName(const std::string& name) {
  if (name.empty()) return absl::InvalidArgumentError("MongoDB database name is empty");
  if (name.size() > 63) {
    return absl::InvalidArgumentError(absl::StrCat("MongoDB database name \"",
                                                   absl::CHexEscape(name),
                                                   "\" is longer than 63 bytes"));
  }
  for (char c : name) {
    if (c == '/' || c == '\\' || c == '.' || c == ' ' || c == '"' || c == '$' || c == '\0') {
      return absl::InvalidArgumentError(absl::StrCat(
          "MongoDB database name \"", absl::CHexEscape(name),
          "\" is not allowed: MongoDB database names cannot contain / \\ . \" $, spaces or NUL"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::pair<std::string, std::string>> SplitMongoNamespace(const std::string& ns) {
  size_t dot = ns.find('.');
  if (dot == std::string::npos || dot == 0) {
    return absl::InvalidArgumentError(absl::StrCat("MongoDB namespace \"", absl::CHexEscape(ns),
                                                   "\" must be \"database.collection\""));
  }
  if (ns.size() > 255) {
    return absl::InvalidArgumentError(absl::StrCat(
        "MongoDB namespace \"", absl::CHexEscape(ns), "\" is longer than 255 bytes"));
  }
  std::string db = ns.substr(0, dot);
  std::string collection = ns.substr(dot + 1);
  RETURN_IF_ERROR(ValidateMongoDatabaseName(db));
  if (collection.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "MongoDB namespace \"", absl::CHexEscape(ns), "\" has no collection after the dot"));
  }
  if (collection.find('$') != std::string::npos || collection.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("collection name in MongoDB namespace \"", absl::CHexEscape(ns),
                     "\" is not allowed: MongoDB collection names cannot contain $ or NUL"));
  }
  return std::make_pair(db, collection);
}

absl::StatusOr<std::string> YamlDoubleQuoted(absl::string_view s) {
  std::string out = "\"";
  size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (b == '\\' || b == '"') {
        out.push_back('\\');
        out.push_back(static_cast<char>(b));
      } else if (b < 0x20 || b == 0x7F) {
        out += absl::StrFormat("\\x%02X", b);
      } else {
        out.push_back(static_cast<char>(b));
      }
      ++i;
      continue;
    }
    // One UTF-8 sequence: its length, the smallest code point it may encode
    // (no overlong forms), and its value.
    size_t len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 0;
    if (len == 0 || b > 0xF4 || i + len > s.size()) {
      return absl::InvalidArgumentError("text is not valid UTF-8");
    }
    uint32_t cp = b & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return absl::InvalidArgumentError("text is not valid UTF-8");
      cp = cp << 6 | (c & 0x3F);
    }
    static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return absl::InvalidArgumentError("text is not valid UTF-8");
    }
    // YAML folds these line breaks and may drop a byte order mark: escaped,
    // they survive as they are.
    if (cp == 0x85 || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF) {
      out += absl::StrFormat("\\u%04X", cp);
    } else {
      out.append(s.data() + i, len);
    }
    i += len;
  }
  out.push_back('"');
  return out;
}

std::string MongoNsPatternEscape(absl::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '\\' || c == '*') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

MongoEngine::MongoEngine(MongoEngineOptions options) : options_(std::move(options)) {}

std::string MongoEngine::VersionOf(const std::string& path) {
  {
    absl::MutexLock l(&mu_);
    auto it = version_cache_.find(path);
    if (it != version_cache_.end()) return it->second;
  }
  // "mongodump version: 100.9.4\ngit version: ...\n"
  ProcessOptions po;
  po.argv = {path, "--version"};
  po.env = ToolEnv();
  absl::StatusOr<std::string> text = RunAndCapture(options_.runner, po);
  if (!text.ok()) return "";
  std::string first(absl::StripAsciiWhitespace(text->substr(0, text->find('\n'))));
  size_t at = first.find("version: ");
  if (at == std::string::npos) return "";
  std::string version(absl::StripAsciiWhitespace(first.substr(at + 9)));
  absl::MutexLock l(&mu_);
  version_cache_[path] = version;
  return version;
}

absl::StatusOr<MongoEngine::Tool> MongoEngine::FindTool(const std::string& name) {
  Tool t;
  t.path = FindExecutable(name, options_.search_path);
  if (t.path.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        name, " is not installed on the agent host: install the MongoDB Database Tools "
              "(100.3.0 or newer) into ", options_.search_path));
  }
  t.version = VersionOf(t.path);
  if (t.version.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot run ", t.path, " --version: reinstall the MongoDB Database Tools"));
  }
  auto [major, minor] = MajorMinor(t.version);
  if (major < 100 || (major == 100 && minor < 3)) {
    return absl::FailedPreconditionError(absl::StrCat(
        name, " ", t.version, " is too old: dbdump passes the password in a --config file, "
        "which needs the MongoDB Database Tools 100.3.0 or newer; install them"));
  }
  return t;
}

std::string MongoEngine::ToolVersion() {
  std::string path = FindExecutable("mongodump", options_.search_path);
  return path.empty() ? "" : VersionOf(path);
}

v1::EngineCapabilities MongoEngine::Capabilities() const {
  v1::EngineCapabilities c;
  c.add_formats(kExtension);
  c.add_selective_options("include_namespaces");
  c.add_selective_options("exclude_namespaces");
  for (const char* o : {"clean", "dry_run", "jobs"}) c.add_restore_options(o);
  return c;
}

absl::Status MongoEngine::ValidateDumpOptions(const v1::DumpOptions& o) const {
  if (!o.format().empty() && o.format() != kExtension) {
    return absl::InvalidArgumentError(absl::StrCat(
        "format \"", absl::CHexEscape(o.format()),
        "\" is not supported for MongoDB: its one format is \"archive\" (mongodump --archive)"));
  }
  auto unsupported = [](const char* option, const char* instead) {
    return absl::InvalidArgumentError(
        absl::StrCat(option, " is not supported for MongoDB: ", instead));
  };
  if (o.schema_only()) {
    return unsupported("schema_only", "mongodump always dumps documents with their metadata");
  }
  if (o.data_only()) {
    return unsupported("data_only", "mongodump always dumps documents with their metadata");
  }
  if (o.include_tables_size() > 0) {
    return unsupported("include_tables", "use include_namespaces (\"database.collection\")");
  }
  if (o.exclude_tables_size() > 0) {
    return unsupported("exclude_tables", "use exclude_namespaces (\"database.collection\")");
  }
  if (o.include_schemas_size() > 0 || o.exclude_schemas_size() > 0) {
    return unsupported(o.include_schemas_size() > 0 ? "include_schemas" : "exclude_schemas",
                       "MongoDB has no schemas; use include_namespaces or exclude_namespaces");
  }
  if (o.globals()) {
    return unsupported("globals",
                       "leave the target's database empty to dump every database, admin's users "
                       "and roles included");
  }
  if (o.databases_size() > 0 || o.all_databases()) {
    return unsupported(o.databases_size() > 0 ? "databases" : "all_databases",
                       "leave the target's database empty to dump every database");
  }
  if (o.include_namespaces_size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "include_namespaces lists ", o.include_namespaces_size(),
        " namespaces but mongodump dumps at most one collection per run (--collection): back "
        "up each as a target of its own, or use exclude_namespaces"));
  }
  if (o.include_namespaces_size() > 0 && o.exclude_namespaces_size() > 0) {
    return absl::InvalidArgumentError(
        "include_namespaces and exclude_namespaces cannot be combined for MongoDB (mongodump "
        "refuses --collection with --excludeCollection): use one of them");
  }
  for (const std::string& ns : o.include_namespaces()) {
    RETURN_IF_ERROR(SplitMongoNamespace(ns).status());
  }
  for (const std::string& ns : o.exclude_namespaces()) {
    RETURN_IF_ERROR(SplitMongoNamespace(ns).status());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> MongoEngine::TestConnection(const DatabaseTarget& target) {
  if (!target.database().empty()) RETURN_IF_ERROR(ValidateMongoDatabaseName(target.database()));
  ASSIGN_OR_RETURN(Connection c, ConnectionFor(target, options_.connect_timeout_s));
  ASSIGN_OR_RETURN(Tool dump, FindTool("mongodump"));
  ASSIGN_OR_RETURN(std::vector<PrivateFile> config,
                   ConfigFile(c, options_.work_dir.empty() ? "/tmp" : options_.work_dir));
  // A collection that cannot exist: mongodump connects, authenticates,
  // lists the database, finds nothing and exits 0 without writing.
  absl::BitGen gen;
  std::string probe =
      absl::StrFormat("dbdump-connection-probe-%016x", absl::Uniform<uint64_t>(gen));
  ProcessOptions po;
  po.argv = {dump.path};
  for (std::string& a : ConnectionArgs(c, config)) po.argv.push_back(std::move(a));
  po.argv.push_back("--db=" + (target.database().empty() ? "admin" : target.database()));
  po.argv.push_back("--collection=" + probe);
  po.argv.push_back("--archive");  // stdout, which is /dev/null
  po.env = ToolEnv();
  ASSIGN_OR_RETURN(std::unique_ptr<Process> p, options_.runner->Start(po));
  int code = p->Wait();
  for (PrivateFile& f : config) f.Remove();
  if (code != 0) {
    return MongoToolError("cannot connect to", c.desc, code, p->StderrTail(), c.password);
  }
  return absl::StrCat("unknown (mongodump ", dump.version,
                      " connected; each backup records the server version from its archive)");
}

absl::StatusOr<std::unique_ptr<DumpSession>> MongoEngine::StartDump(const DatabaseTarget& target,
                                                                    const std::string& work_dir) {
  RETURN_IF_ERROR(ValidateDumpOptions(target.dump_options()));
  if (!target.database().empty()) RETURN_IF_ERROR(ValidateMongoDatabaseName(target.database()));
  ASSIGN_OR_RETURN(std::vector<std::string> selection, SelectionArgs(target));
  ASSIGN_OR_RETURN(Connection c, ConnectionFor(target, options_.connect_timeout_s));
  ASSIGN_OR_RETURN(Tool dump, FindTool("mongodump"));
  ASSIGN_OR_RETURN(std::vector<PrivateFile> config, ConfigFile(c, work_dir));
  ProcessOptions po;
  po.argv = {dump.path};
  for (std::string& a : ConnectionArgs(c, config)) po.argv.push_back(std::move(a));
  for (std::string& a : selection) po.argv.push_back(std::move(a));
  // The archive goes to stdout, uncompressed: our own compressor follows.
  po.argv.push_back("--archive");
  po.env = ToolEnv();
  po.pipe_stdout = true;
  ASSIGN_OR_RETURN(std::unique_ptr<Process> p, options_.runner->Start(po));
  Process* process = p.get();
  DumpInfo info{"unknown", dump.version, kExtension, kDumpFormat, {}};
  auto tool = std::make_unique<ToolDumpSession>(std::move(p), std::move(config),
                                                ErrorFn("mongodump failed for", c.desc, c.password),
                                                std::move(info));
  return std::unique_ptr<DumpSession>(
      new MongoDumpSession(std::move(tool), process, c.desc, dump.version));
}

absl::StatusOr<std::unique_ptr<RestoreSession>> MongoEngine::StartRestore(
    const DatabaseTarget& target, const v1::Manifest& manifest, const v1::RestoreOptions& options,
    const std::string& work_dir) {
  if (options.no_create()) {
    return absl::InvalidArgumentError(
        "restore option no_create is not supported for MongoDB: the server creates a database "
        "on its first write and the agent has no MongoDB client to check that it exists");
  }
  if (options.test_restore()) return absl::UnimplementedError(kNoTestRestore);
  const std::string& into = target.database();
  if (!into.empty()) RETURN_IF_ERROR(ValidateMongoDatabaseName(into));
  ArchiveExpectation want;
  want.target_db = into;
  for (const v1::TableInfo& t : manifest.tables()) {
    size_t dot = t.name().find('.');
    if (dot != std::string::npos && dot > 0) want.source_dbs.insert(t.name().substr(0, dot));
  }
  std::vector<std::string> rename;
  if (!into.empty() && !want.source_dbs.empty()) {
    if (want.source_dbs.size() > 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the backup holds ", want.source_dbs.size(), " databases (",
          absl::StrJoin(want.source_dbs, ", "),
          "), which cannot all be restored into database \"", absl::CHexEscape(into),
          "\": restore into a target without a database name to restore each under its own"));
    }
    const std::string& from = *want.source_dbs.begin();
    if (from != into) {
      rename = {absl::StrCat("--nsFrom=", MongoNsPatternEscape(from), ".*"),
                absl::StrCat("--nsTo=", MongoNsPatternEscape(into), ".*")};
    }
  }
  ASSIGN_OR_RETURN(Connection c, ConnectionFor(target, options_.connect_timeout_s));
  ASSIGN_OR_RETURN(Tool restore, FindTool("mongorestore"));
  ASSIGN_OR_RETURN(std::vector<PrivateFile> config, ConfigFile(c, work_dir));
  ProcessOptions po;
  po.argv = {restore.path};
  for (std::string& a : ConnectionArgs(c, config)) po.argv.push_back(std::move(a));
  // The archive comes on stdin. Any failed insert fails the run, rather than
  // mongorestore's default of going on and exiting 0.
  po.argv.push_back("--archive");
  po.argv.push_back("--stopOnError");
  if (options.clean()) po.argv.push_back("--drop");
  if (options.dry_run()) po.argv.push_back("--dryRun");
  po.argv.push_back(absl::StrCat("--numParallelCollections=", std::max<uint32_t>(options.jobs(), 1)));
  for (std::string& a : rename) po.argv.push_back(std::move(a));
  po.env = ToolEnv();
  po.pipe_stdin = true;
  ASSIGN_OR_RETURN(std::unique_ptr<Process> p, options_.runner->Start(po));
  Process* process = p.get();
  ToolRestoreSession::Options so;
  so.process = std::move(p);
  so.files = std::move(config);
  so.on_error = ErrorFn(options.dry_run() ? "mongorestore --dryRun failed for"
                                          : "mongorestore failed for",
                        c.desc, c.password);
  auto tool = std::make_unique<ToolRestoreSession>(std::move(so));
  return std::unique_ptr<RestoreSession>(new MongoRestoreSession(
      std::move(tool), process, options.dry_run(), std::move(want), c.desc));
}

absl::StatusOr<DatabaseTarget> MongoEngine::ScratchTarget(const DatabaseTarget&,
                                                          const std::string&,
                                                          const std::string&) {
  return absl::UnimplementedError(kNoTestRestore);
}

absl::StatusOr<std::vector<v1::TableInfo>> MongoEngine::InspectTables(const DatabaseTarget&) {
  return absl::UnimplementedError(kNoTestRestore);
}

absl::Status MongoEngine::DropScratch(const DatabaseTarget&) {
  return absl::UnimplementedError(kNoTestRestore);
}

}  // namespace dbdump
