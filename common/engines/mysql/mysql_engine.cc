#include "common/engines/mysql/mysql_engine.h"

#include <algorithm>
#include <cerrno>
#include <set>
#include <thread>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/engines/tool_session.h"
#include "common/io/fd_io.h"
#include "common/base/log.h"
#include "common/base/names.h"
#include "common/base/secret_ref.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace {

using v1::DatabaseTarget;
using v1::DumpOptions;

constexpr char kScratchPrefix[] = "dbdump_scratch_";
constexpr size_t kMaxNameChars = 64;
// Option files are read line by line into a fixed buffer; far longer than
// any real password or host name.
constexpr size_t kMaxOptionValueBytes = 2048;

// Schemas of the server itself: never part of an all-databases backup (a
// restore could not recreate them over a running server's own).
bool IsSystemSchema(const std::string& name) {
  return name == "information_schema" || name == "performance_schema" || name == "mysql" ||
         name == "sys";
}

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

size_t Utf8Chars(absl::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

// Character set and collation names go into SQL unquoted, so only plain
// words are used.
bool IsPlainWord(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

std::string Describe(const DatabaseTarget& t, const std::string& database) {
  return absl::StrCat("mysql://", t.user().empty() ? "" : t.user() + "@",
                      t.host().empty() ? "localhost" : t.host(), ":",
                      t.port() == 0 ? 3306u : t.port(), "/", database);
}

// Environment of the tools: nothing inherited. HOME points nowhere so no
// ~/.my.cnf or ~/.mylogin.cnf can add options, and there is no MYSQL_PWD.
std::map<std::string, std::string> ToolEnv() {
  return {
      {"PATH", "/usr/bin:/bin"},
      {"LC_ALL", "C.UTF-8"},
      {"HOME", "/nonexistent"},
      {"MYSQL_TEST_LOGIN_FILE", "/nonexistent/.mylogin.cnf"},
  };
}

// Turns the stderr of a failed client or dump tool into a status saying
// what is wrong and what to do. `secret` is cut out of the text should a
// tool ever echo it.
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

// An option file for both tools: the connection in [client], what only the
// client understands in [mysql] (mariadb-dump would reject it there).
absl::StatusOr<std::string> OptionFileText(const DatabaseTarget& t, const std::string& password,
                                           const std::string& database, int connect_timeout_s) {
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
  std::string mysql = "[mysql]\n";
  absl::StrAppend(&mysql, "connect-timeout=", connect_timeout_s, "\n");
  absl::StrAppend(&mysql, "max-allowed-packet=1073741824\n");
  RETURN_IF_ERROR(add(&mysql, "database", database));
  return absl::StrCat(client, mysql, "[mysqldump]\nmax-allowed-packet=1073741824\n");
}

absl::StatusOr<PrivateFile> MakeOptionFile(const std::string& dir, const DatabaseTarget& t,
                                           const std::string& password,
                                           const std::string& database, int connect_timeout_s) {
  ASSIGN_OR_RETURN(std::string text, OptionFileText(t, password, database, connect_timeout_s));
  return PrivateFile::Create(dir, "mysql-client", ".cnf", text);
}

// Batch output ("a\tb\n" rows) of the client, split into fields.
std::vector<std::vector<std::string>> Rows(const std::string& out) {
  std::vector<std::vector<std::string>> rows;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    rows.push_back(absl::StrSplit(line, '\t'));
  }
  return rows;
}

// What a restore or dump needs to know about a server. Names come back
// hex-encoded so no byte of them can disturb the parsing.
struct SchemaInfo {
  int64_t objects = 0;  // tables, views, routines and events
  std::string charset;
  std::string collation;
};
struct ServerState {
  std::string version;
  std::map<std::string, SchemaInfo> schemas;
  // (schema, table) of every table and view; `base` says which are tables.
  std::set<std::pair<std::string, std::string>> relations;
  std::set<std::pair<std::string, std::string>> base_tables;
};

constexpr char kStateSql[] =
    "SELECT 'v', VERSION();\n"
    "SELECT 'd', HEX(SCHEMA_NAME), DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
    "FROM information_schema.SCHEMATA;\n"
    "SELECT 'o', HEX(TABLE_SCHEMA), COUNT(*) FROM information_schema.TABLES "
    "GROUP BY HEX(TABLE_SCHEMA);\n"
    "SELECT 'o', HEX(ROUTINE_SCHEMA), COUNT(*) FROM information_schema.ROUTINES "
    "GROUP BY HEX(ROUTINE_SCHEMA);\n"
    "SELECT 'o', HEX(EVENT_SCHEMA), COUNT(*) FROM information_schema.EVENTS "
    "GROUP BY HEX(EVENT_SCHEMA);\n";
constexpr char kRelationsSql[] =
    "SELECT 't', HEX(TABLE_SCHEMA), HEX(TABLE_NAME), TABLE_TYPE = 'BASE TABLE' "
    "FROM information_schema.TABLES "
    "WHERE TABLE_SCHEMA NOT IN ('information_schema', 'performance_schema');\n";

absl::StatusOr<ServerState> ParseState(const std::string& out) {
  ServerState st;
  auto bad = [] {
    return absl::InternalError("unexpected output from the mysql client while reading the catalog");
  };
  for (const std::vector<std::string>& row : Rows(out)) {
    const std::string& tag = row[0];
    std::string a, b;
    if (tag == "v" && row.size() == 2) {
      st.version = row[1];
    } else if (tag == "d" && row.size() == 4) {
      if (!HexDecode(row[1], &a)) return bad();
      st.schemas[a].charset = row[2];
      st.schemas[a].collation = row[3];
    } else if (tag == "o" && row.size() == 3) {
      int64_t n = 0;
      if (!HexDecode(row[1], &a) || !absl::SimpleAtoi(row[2], &n)) return bad();
      st.schemas[a].objects += n;
    } else if (tag == "t" && row.size() == 4) {
      if (!HexDecode(row[1], &a) || !HexDecode(row[2], &b)) return bad();
      st.relations.insert({a, b});
      if (row[3] == "1") st.base_tables.insert({a, b});
    } else {
      return bad();
    }
  }
  if (st.version.empty()) return bad();
  return st;
}

// CREATE DATABASE with the character set and collation it had.
std::string CreateDatabaseSql(const std::string& name, const SchemaInfo& info) {
  std::string sql = absl::StrCat("CREATE DATABASE ", QuoteMysqlIdentifier(name));
  if (IsPlainWord(info.charset) && IsPlainWord(info.collation)) {
    absl::StrAppend(&sql, " CHARACTER SET ", info.charset, " COLLATE ", info.collation);
  }
  return sql + ";\n";
}

absl::Status ValidateOptions(const DumpOptions& o) {
  if (!o.format().empty() && o.format() != "sql") {
    return absl::InvalidArgumentError(absl::StrCat(
        "dump option format \"", o.format(),
        "\" is not available for MySQL: its only format is sql; leave format empty"));
  }
  if (o.include_schemas_size() > 0 || o.exclude_schemas_size() > 0) {
    return absl::InvalidArgumentError(
        "dump options include_schemas/exclude_schemas are PostgreSQL options: for MySQL use "
        "databases, include_tables or exclude_tables");
  }
  if (o.globals()) {
    return absl::InvalidArgumentError(
        "dump option globals is a PostgreSQL option (roles and tablespaces): MySQL has no "
        "equivalent here; turn it off");
  }
  if (o.include_namespaces_size() > 0 || o.exclude_namespaces_size() > 0) {
    return absl::InvalidArgumentError(
        "dump options include_namespaces/exclude_namespaces are MongoDB options: for MySQL use "
        "include_tables or exclude_tables");
  }
  if (o.schema_only() && o.data_only()) {
    return absl::InvalidArgumentError(
        "dump options schema_only and data_only exclude each other: pick one");
  }
  if (o.all_databases() && o.databases_size() > 0) {
    return absl::InvalidArgumentError(
        "dump option all_databases already covers every database: leave databases empty");
  }
  if (o.include_tables_size() > 0 && (o.all_databases() || o.databases_size() > 0)) {
    return absl::InvalidArgumentError(
        "dump option include_tables needs a single database: drop databases/all_databases or "
        "include_tables");
  }
  for (const std::string& db : o.databases()) {
    RETURN_IF_ERROR(ValidateMysqlName("database name in dump option databases", db));
  }
  for (const auto* list : {&o.include_tables(), &o.exclude_tables()}) {
    for (const std::string& t : *list) {
      if (t.empty() || t.find('\0') != std::string::npos || Utf8Chars(t) > 2 * kMaxNameChars + 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            "table name \"", absl::CHexEscape(t),
            "\" in the dump options is not a MySQL table name: give \"table\" or \"db.table\""));
      }
    }
  }
  return absl::OkStatus();
}

// A dry run: reads the whole dump, checks that it is one and counts its
// CREATE TABLE statements. Touches no database.
class MysqlDryRunSession : public RestoreSession {
 public:
  MysqlDryRunSession()
      : scan_([](absl::string_view line) { return absl::StartsWith(line, "CREATE TABLE"); }) {}
  Sink* sink() override { return &sink_; }
  absl::Status Finish() override {
    RETURN_IF_ERROR(sink_.Finish());
    if (!IsMysqlDumpHeader(sink_.first_line)) {
      return absl::DataLossError(
          "not a mysql dump: the stream does not start with a mysqldump or mariadb-dump "
          "header; check that the backup was made by the MySQL engine");
    }
    return absl::OkStatus();
  }
  void Cancel() override {}
  uint32_t listed_entries() const override { return scan_.count(); }
  std::string summary() const override {
    return FormatCount("%d tables in the SQL dump", scan_.count());
  }

 private:
  // Keeps the first line (or its first 4 KiB) and passes everything on.
  class HeaderSink : public Sink {
   public:
    explicit HeaderSink(LineCounter* next) : next_(next) {}
    absl::Status Write(const char* data, size_t n) override {
      if (!have_first_) {
        absl::string_view chunk(data, n);
        size_t nl = chunk.find('\n');
        absl::StrAppend(&first_line, chunk.substr(0, nl));
        if (nl != absl::string_view::npos || first_line.size() >= 4096) have_first_ = true;
        if (first_line.size() > 4096) first_line.resize(4096);
      }
      return next_->Write(data, n);
    }
    absl::Status Finish() override {
      if (finished_) return absl::OkStatus();
      finished_ = true;
      return next_->Finish();
    }
    std::string first_line;

   private:
    LineCounter* next_;
    bool have_first_ = false;
    bool finished_ = false;
  };
  LineCounter scan_;
  HeaderSink sink_{&scan_};
};

// Runs a data-only restore as one transaction: autocommit goes off before
// the first row, and COMMIT follows only once the whole dump has arrived
// (the agent finishes the sink only after both checksums matched), so a
// restore that fails or stops early leaves no row behind.
class OneTransactionSession : public RestoreSession {
 public:
  explicit OneTransactionSession(std::unique_ptr<RestoreSession> inner)
      : inner_(std::move(inner)), sink_(inner_->sink()) {}
  Sink* sink() override { return &sink_; }
  absl::Status Finish() override { return inner_->Finish(); }
  void Cancel() override { inner_->Cancel(); }

 private:
  class Wrapper : public Sink {
   public:
    explicit Wrapper(Sink* next) : next_(next) {}
    absl::Status Write(const char* data, size_t n) override {
      RETURN_IF_ERROR(Begin());
      return next_->Write(data, n);
    }
    absl::Status Finish() override {
      if (finished_) return absl::OkStatus();
      finished_ = true;
      RETURN_IF_ERROR(Begin());
      static constexpr char kCommit[] = "\nCOMMIT;\n";
      RETURN_IF_ERROR(next_->Write(kCommit, sizeof kCommit - 1));
      return next_->Finish();
    }

   private:
    absl::Status Begin() {
      if (begun_) return absl::OkStatus();
      begun_ = true;
      static constexpr char kBegin[] = "SET autocommit = 0;\n";
      return next_->Write(kBegin, sizeof kBegin - 1);
    }
    Sink* next_;
    bool begun_ = false;
    bool finished_ = false;
  };
  std::unique_ptr<RestoreSession> inner_;
  Wrapper sink_;
};

}  // namespace

absl::Status ValidateMysqlName(absl::string_view kind, const std::string& name) {
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(kind, " is empty: give one"));
  if (name.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(kind, " \"", absl::CHexEscape(name), "\" contains a NUL byte: MySQL names cannot"));
  }
  if (Utf8Chars(name) > kMaxNameChars) {
    return absl::InvalidArgumentError(absl::StrCat(
        kind, " \"", name, "\" is longer than ", kMaxNameChars, " characters: MySQL names cannot be"));
  }
  if (name.back() == ' ') {
    return absl::InvalidArgumentError(
        absl::StrCat(kind, " \"", name, "\" ends with a space: MySQL names cannot"));
  }
  return absl::OkStatus();
}

std::string QuoteMysqlIdentifier(absl::string_view name) {
  return absl::StrCat("`", absl::StrReplaceAll(name, {{"`", "``"}}), "`");
}

absl::StatusOr<std::string> QuoteOptionFileValue(absl::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    switch (c) {
      case '\0':
        return absl::InvalidArgumentError("an option file value cannot hold a NUL byte");
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

bool IsMysqlDumpHeader(absl::string_view first_line) {
  first_line = absl::StripTrailingAsciiWhitespace(first_line);
  // MariaDB 10.5.25/10.11.8 and later open with a line that puts the client
  // in sandbox mode; older dumps and MySQL's open with the comment.
  return first_line == "/*M!999999\\- enable the sandbox mode */" ||
         absl::StartsWith(first_line, "-- MariaDB dump") ||
         absl::StartsWith(first_line, "-- MySQL dump");
}

MysqlEngine::MysqlEngine(MysqlEngineOptions options) : options_(std::move(options)) {}

std::string MysqlEngine::PrivateDir() const {
  if (!options_.private_dir.empty()) return options_.private_dir;
  const char* tmp = getenv("TMPDIR");
  return tmp != nullptr && tmp[0] == '/' ? tmp : "/tmp";
}

absl::StatusOr<MysqlEngine::Tools> MysqlEngine::FindTools() {
  Tools t;
  t.dump = FindExecutable("mariadb-dump", options_.search_path);
  if (t.dump.empty()) t.dump = FindExecutable("mysqldump", options_.search_path);
  t.client = FindExecutable("mariadb", options_.search_path);
  if (t.client.empty()) t.client = FindExecutable("mysql", options_.search_path);
  if (t.dump.empty() || t.client.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        t.dump.empty() ? "mariadb-dump (or mysqldump)" : "the mariadb (or mysql) client",
        " is not installed on the agent host: install mariadb-client"));
  }
  {
    absl::MutexLock l(&mu_);
    auto it = version_cache_.find(t.dump);
    if (it != version_cache_.end()) {
      t.version = it->second;
      return t;
    }
  }
  // "mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)",
  // "mariadb-dump from 11.4.2-MariaDB, client 10.19 for Linux (x86_64)",
  // "mysqldump  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)".
  absl::StatusOr<std::string> text = RunAndCapture(options_.runner, {{t.dump, "--version"}, ToolEnv()});
  if (!text.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot run ", t.dump, " --version: ", text.status().message()));
  }
  std::vector<std::string> words = absl::StrSplit(*text, ' ', absl::SkipWhitespace());
  std::string version;
  for (const char* marker : {"Distrib", "from", "Ver"}) {
    auto it = std::find(words.begin(), words.end(), marker);
    if (it != words.end() && it + 1 != words.end()) {
      version = std::string(absl::StripSuffix(absl::StripAsciiWhitespace(*(it + 1)), ","));
      break;
    }
  }
  if (version.empty()) version = std::string(absl::StripAsciiWhitespace(*text));
  std::string base = t.dump.substr(t.dump.rfind('/') + 1);
  t.version = absl::StrCat(base, " ", version);
  absl::MutexLock l(&mu_);
  version_cache_[t.dump] = t.version;
  return t;
}

std::string MysqlEngine::ToolVersion() {
  absl::StatusOr<Tools> t = FindTools();
  return t.ok() ? t->version : "";
}

v1::EngineCapabilities MysqlEngine::Capabilities() const {
  v1::EngineCapabilities c;
  c.add_formats("sql");
  for (const char* o :
       {"schema_only", "data_only", "include_tables", "exclude_tables", "databases", "all_databases"}) {
    c.add_selective_options(o);
  }
  for (const char* o : {"clean", "dry_run", "test_restore", "no_create"}) c.add_restore_options(o);
  return c;
}

absl::Status MysqlEngine::ValidateDumpOptions(const DumpOptions& options) const {
  return ValidateOptions(options);
}

absl::StatusOr<std::string> MysqlEngine::RunSql(const Tools& tools, const DatabaseTarget& target,
                                                const std::string& database,
                                                const std::string& sql, const std::string& dir,
                                                absl::string_view what) {
  ASSIGN_OR_RETURN(std::string password, ResolveSecretRef(target.password_ref()));
  ASSIGN_OR_RETURN(PrivateFile file, MakeOptionFile(dir, target, password, database,
                                                    options_.connect_timeout_s));
  ProcessOptions po;
  // --binary-mode: no client command (\!, source, system) in the SQL is
  // ever interpreted; it all goes to the server.
  po.argv = {tools.client, "--defaults-file=" + file.path(), "--batch", "--skip-column-names",
             "--binary-mode"};
  po.env = ToolEnv();
  po.pipe_stdin = true;
  po.pipe_stdout = true;
  ASSIGN_OR_RETURN(std::unique_ptr<Process> p, options_.runner->Start(po));
  // Written on a thread of its own: a long script and a long answer must
  // not wait on each other's pipes.
  int in = p->ReleaseStdin();
  std::thread writer([in, &sql] {
    FdSink sink(in, /*close_on_finish=*/true);
    (void)sink.Write(sql.data(), sql.size());
    (void)sink.Finish();
  });
  std::string out;
  char buf[16 * 1024];
  while (true) {
    ssize_t n = ::read(p->stdout_fd(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  writer.join();
  int code = p->Wait();
  file.Remove();
  if (code != 0) {
    return MysqlError(what, Describe(target, database), p->StderrTail(), code, password);
  }
  return out;
}

absl::StatusOr<std::string> MysqlEngine::TestConnection(const DatabaseTarget& target) {
  if (!target.database().empty()) {
    RETURN_IF_ERROR(ValidateMysqlName("database name", target.database()));
  }
  ASSIGN_OR_RETURN(Tools tools, FindTools());
  ASSIGN_OR_RETURN(std::string out, RunSql(tools, target, target.database(), "SELECT VERSION();\n",
                                           PrivateDir(), "cannot connect to"));
  std::string version(absl::StripAsciiWhitespace(out));
  if (version.empty()) {
    return absl::InternalError(absl::StrCat("the server at ", Describe(target, target.database()),
                                            " returned no version"));
  }
  return version;
}

absl::StatusOr<std::unique_ptr<DumpSession>> MysqlEngine::StartDump(const DatabaseTarget& target,
                                                                    const std::string& work_dir) {
  const DumpOptions& o = target.dump_options();
  RETURN_IF_ERROR(ValidateOptions(o));
  const std::string& main_db = target.database();
  bool multi = o.all_databases() || o.databases_size() > 0;
  if (!multi && main_db.empty()) {
    return absl::InvalidArgumentError(
        "the target has no database: set its database, or databases/all_databases in its dump "
        "options");
  }
  if (!main_db.empty()) RETURN_IF_ERROR(ValidateMysqlName("database name", main_db));
  ASSIGN_OR_RETURN(Tools tools, FindTools());
  // One look at the catalog first: a clear error for a wrong password or a
  // missing database before the dump starts, and the tables for the
  // manifest.
  ASSIGN_OR_RETURN(std::string out, RunSql(tools, target, "", absl::StrCat(kStateSql, kRelationsSql),
                                           work_dir, "cannot connect to"));
  ASSIGN_OR_RETURN(ServerState st, ParseState(out));

  std::vector<std::string> dbs;
  if (o.all_databases()) {
    for (const auto& [name, info] : st.schemas) {
      if (!IsSystemSchema(name)) dbs.push_back(name);
    }
    if (dbs.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the server at ", Describe(target, ""), " has no database besides its own system "
          "schemas: nothing to back up"));
    }
  } else {
    if (!main_db.empty()) dbs.push_back(main_db);
    for (const std::string& d : o.databases()) {
      if (std::find(dbs.begin(), dbs.end(), d) == dbs.end()) dbs.push_back(d);
    }
  }
  for (const std::string& d : dbs) {
    if (st.schemas.count(d) == 0) {
      return absl::NotFoundError(absl::StrCat("database \"", d, "\" not found on ",
                                              Describe(target, ""), ": check the database name"));
    }
  }

  // Tables to leave out, as "db.table" (what --ignore-table matches), and
  // the tables to dump of a single database.
  std::set<std::string> ignored;
  for (const std::string& e : o.exclude_tables()) {
    if (!multi) {
      // A table of the database, or "db.table" naming it.
      if (st.relations.count({main_db, e}) == 0 && absl::StartsWith(e, main_db + ".") &&
          st.relations.count({main_db, e.substr(main_db.size() + 1)}) > 0) {
        ignored.insert(e);
      } else {
        ignored.insert(absl::StrCat(main_db, ".", e));
      }
    } else if (e.find('.') != std::string::npos) {
      ignored.insert(e);
    } else if (!main_db.empty()) {
      ignored.insert(absl::StrCat(main_db, ".", e));
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "dump option exclude_tables: \"", e,
          "\" needs its database (db.table) when several databases are dumped"));
    }
  }
  std::vector<std::string> included;
  for (const std::string& e : o.include_tables()) {
    std::string name = e;
    if (st.relations.count({main_db, e}) == 0 && absl::StartsWith(e, main_db + ".")) {
      name = e.substr(main_db.size() + 1);
    }
    if (st.relations.count({main_db, name}) == 0) {
      return absl::NotFoundError(absl::StrCat("dump option include_tables: no table or view \"", e,
                                              "\" in database \"", main_db,
                                              "\"; check the table name"));
    }
    included.push_back(name);
  }

  DumpInfo info;
  info.server_version = st.version;
  info.tool_version = tools.version;
  info.extension = "sql";
  info.dump_format = "mysql sql";
  for (const auto& [db, table] : st.base_tables) {
    if (std::find(dbs.begin(), dbs.end(), db) == dbs.end()) continue;
    if (ignored.count(absl::StrCat(db, ".", table)) > 0) continue;
    if (!included.empty() && std::find(included.begin(), included.end(), table) == included.end()) {
      continue;
    }
    v1::TableInfo ti;
    ti.set_name(multi ? absl::StrCat(db, ".", table) : table);
    // InnoDB's counts are estimates and counting is not cheap.
    ti.set_rows(-1);
    info.tables.push_back(ti);
  }

  ASSIGN_OR_RETURN(std::string password, ResolveSecretRef(target.password_ref()));
  ASSIGN_OR_RETURN(PrivateFile file,
                   MakeOptionFile(work_dir, target, password, "", options_.connect_timeout_s));
  ProcessOptions po;
  // --defaults-file first (the tools require it there). Nothing is dropped
  // on restore unless asked (--skip-add-drop-table); binary data as hex so
  // the dump is plain text; one consistent snapshot of InnoDB tables.
  po.argv = {tools.dump,          "--defaults-file=" + file.path(),
             "--single-transaction", "--quick",
             "--hex-blob",        "--skip-add-drop-table",
             "--skip-dump-date",  "--no-tablespaces",
             "--default-character-set=utf8mb4"};
  if (o.data_only()) {
    // No LOCK TABLES or ALTER TABLE ... DISABLE KEYS: they would commit
    // implicitly, and a data-only restore runs as one transaction.
    po.argv.insert(po.argv.end(),
                   {"--no-create-info", "--skip-triggers", "--skip-add-locks", "--skip-disable-keys"});
  } else {
    po.argv.insert(po.argv.end(), {"--routines", "--events", "--triggers"});
  }
  if (o.schema_only()) po.argv.push_back("--no-data");
  for (const std::string& t : ignored) po.argv.push_back("--ignore-table=" + t);
  if (multi) po.argv.push_back("--databases");
  // Names after "--": never parsed as options, whatever they look like.
  po.argv.push_back("--");
  if (multi) {
    po.argv.insert(po.argv.end(), dbs.begin(), dbs.end());
  } else {
    po.argv.push_back(main_db);
    po.argv.insert(po.argv.end(), included.begin(), included.end());
  }
  po.env = ToolEnv();
  po.pipe_stdout = true;
  ASSIGN_OR_RETURN(std::unique_ptr<Process> p, options_.runner->Start(po));
  std::vector<PrivateFile> files;
  files.push_back(std::move(file));
  std::string desc = Describe(target, multi ? "" : main_db);
  ToolErrorFn on_error = [desc, tool = tools.dump](int code, const std::string& err) {
    return MysqlError(absl::StrCat(tool.substr(tool.rfind('/') + 1), " failed for"), desc, err,
                      code, "");
  };
  return std::unique_ptr<DumpSession>(
      new ToolDumpSession(std::move(p), std::move(files), std::move(on_error), std::move(info)));
}

absl::StatusOr<std::unique_ptr<RestoreSession>> MysqlEngine::StartRestore(
    const DatabaseTarget& target, const v1::Manifest& manifest, const v1::RestoreOptions& options,
    const std::string& work_dir) {
  if (options.dry_run()) return std::unique_ptr<RestoreSession>(new MysqlDryRunSession());
  const DumpOptions& dumped = manifest.dump_options();
  bool multi = dumped.all_databases() || dumped.databases_size() > 0;
  const std::string& db = target.database();
  if (multi && options.test_restore()) {
    return absl::FailedPreconditionError(
        "a backup of several databases restores into the databases it was made from, not into "
        "a scratch database: test-restore a single-database backup instead");
  }
  if (dumped.data_only() && options.clean()) {
    return absl::InvalidArgumentError(
        "clean would drop the tables a data-only backup restores its rows into: restore "
        "without clean");
  }
  if (multi && options.clean() && dumped.all_databases()) {
    return absl::InvalidArgumentError(
        "clean is not available for a backup of all databases: drop the databases yourself "
        "first, or restore without clean into a server that does not have them");
  }
  if (!multi && db.empty()) {
    return absl::InvalidArgumentError("the restore target has no database: give one");
  }
  if (!db.empty()) RETURN_IF_ERROR(ValidateMysqlName("database name", db));
  for (const std::string& d : dumped.databases()) {
    RETURN_IF_ERROR(ValidateMysqlName("database name in the backup's databases", d));
  }
  ASSIGN_OR_RETURN(Tools tools, FindTools());
  ASSIGN_OR_RETURN(std::string out,
                   RunSql(tools, target, "", kStateSql, work_dir, "cannot connect to"));
  ASSIGN_OR_RETURN(ServerState st, ParseState(out));
  std::string server = Describe(target, "");
  auto run = [&](const std::string& sql, absl::string_view what) -> absl::Status {
    return RunSql(tools, target, "", sql, work_dir, what).status();
  };

  // How a failed restore is undone: databases it created are dropped, and
  // databases that were empty (or that clean emptied) are emptied again.
  std::vector<std::string> drop_on_failure;
  std::map<std::string, std::string> empty_on_failure;  // name -> CREATE DATABASE
  if (!multi) {
    auto it = st.schemas.find(db);
    std::string q = QuoteMysqlIdentifier(db);
    if (dumped.data_only()) {
      // Rows only: into the tables that are there, nothing created, nothing
      // to empty; the transaction undoes a failure.
      if (it == st.schemas.end()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "database \"", db, "\" does not exist on ", server,
            ": a data-only backup restores rows into existing tables; restore the schema first"));
      }
    } else if (it == st.schemas.end()) {
      if (options.no_create()) {
        return absl::NotFoundError(absl::StrCat(
            "database \"", db, "\" does not exist on ", server,
            " and no_create is set: create it first or restore without no_create"));
      }
      RETURN_IF_ERROR(run(absl::StrCat("CREATE DATABASE ", q, ";\n"), "cannot create the database on"));
      drop_on_failure.push_back(db);
    } else {
      std::string create = CreateDatabaseSql(db, it->second);
      if (it->second.objects > 0) {
        if (!options.clean()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "database \"", db, "\" already has ", it->second.objects,
              " tables, views, routines or events: pass --clean to replace them or restore "
              "into another database"));
        }
        RETURN_IF_ERROR(run(absl::StrCat("DROP DATABASE ", q, ";\n", create),
                            "cannot drop and recreate the database (clean) on"));
      }
      empty_on_failure[db] = create;
    }
  } else {
    if (absl::StartsWith(db, kScratchPrefix)) {
      // The dump would go to the databases it names, not to the scratch one.
      return absl::FailedPreconditionError(
          "a backup of several databases restores into the databases it was made from, not "
          "into a scratch database: test-restore a single-database backup instead");
    }
    // The dump names its databases (CREATE DATABASE IF NOT EXISTS, USE):
    // the ones listed in the backup, and for all databases those its tables
    // are in.
    std::vector<std::string> listed;
    if (!dumped.all_databases()) {
      if (!db.empty()) listed.push_back(db);
      for (const std::string& d : dumped.databases()) {
        if (std::find(listed.begin(), listed.end(), d) == listed.end()) listed.push_back(d);
      }
    }
    auto is_listed = [&](const std::string& name) {
      return std::find(listed.begin(), listed.end(), name) != listed.end();
    };
    auto in_backup = [&](const std::string& name) {
      if (is_listed(name)) return true;
      for (const v1::TableInfo& t : manifest.tables()) {
        if (absl::StartsWith(t.name(), name + ".")) return true;
      }
      return false;
    };
    std::vector<std::string> busy;
    for (const auto& [name, info] : st.schemas) {
      if (IsSystemSchema(name) || !in_backup(name)) continue;
      if (info.objects > 0 && !dumped.data_only()) busy.push_back(name);
    }
    if (options.no_create()) {
      for (const std::string& d : listed) {
        if (st.schemas.count(d) == 0) {
          return absl::NotFoundError(absl::StrCat(
              "database \"", d, "\" does not exist on ", server,
              " and no_create is set: create it first or restore without no_create"));
        }
      }
    }
    if (!busy.empty() && !options.clean()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "databases of the backup already hold tables, views, routines or events on ", server,
          ": ", absl::StrJoin(busy, ", "),
          "; pass --clean to replace them (a backup of several databases restores into the "
          "databases it was made from)"));
    }
    for (const std::string& b : busy) {
      if (!is_listed(b)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "database \"", b, "\" holds tables of the backup but is not in its database list: "
            "drop it yourself or restore into the original target"));
      }
    }
    std::string clean_sql;
    for (const auto& [name, info] : st.schemas) {
      if (IsSystemSchema(name) || !in_backup(name)) continue;
      std::string create = CreateDatabaseSql(name, info);
      if (options.clean() && is_listed(name)) {
        absl::StrAppend(&clean_sql, "DROP DATABASE ", QuoteMysqlIdentifier(name), ";\n", create);
      }
      // Rows of a data-only backup go into existing tables: never emptied.
      if (!dumped.data_only()) empty_on_failure[name] = create;
    }
    if (!clean_sql.empty()) RETURN_IF_ERROR(run(clean_sql, "cannot drop the databases (clean) on"));
    for (const std::string& d : listed) {
      if (st.schemas.count(d) == 0) drop_on_failure.push_back(d);
    }
  }

  std::function<void()> on_failure;
  {
    std::set<std::string> before;
    for (const auto& [name, info] : st.schemas) before.insert(name);
    // For several databases, the catalog also says which databases
    // appeared that the backup's tables are in (whatever the restore
    // target's name).
    bool look_for_new = multi;
    std::vector<std::string> table_names;
    for (const v1::TableInfo& t : manifest.tables()) table_names.push_back(t.name());
    on_failure = [this, tools, target, work_dir, drop_on_failure, empty_on_failure, before,
                  look_for_new, table_names] {
      std::vector<std::string> drop = drop_on_failure;
      if (look_for_new) {
        absl::StatusOr<std::string> now =
            RunSql(tools, target, "", kStateSql, work_dir, "cannot read the catalog of");
        absl::StatusOr<ServerState> st = now.ok() ? ParseState(*now) : now.status();
        if (st.ok()) {
          for (const auto& [name, info] : st->schemas) {
            if (before.count(name) > 0 || IsSystemSchema(name)) continue;
            for (const std::string& t : table_names) {
              if (absl::StartsWith(t, name + ".")) {
                drop.push_back(name);
                break;
              }
            }
          }
        }
      }
      std::string sql;
      for (const std::string& d : drop) {
        absl::StrAppend(&sql, "DROP DATABASE IF EXISTS ", QuoteMysqlIdentifier(d), ";\n");
      }
      for (const auto& [name, create] : empty_on_failure) {
        absl::StrAppend(&sql, "DROP DATABASE IF EXISTS ", QuoteMysqlIdentifier(name), ";\n", create);
      }
      if (sql.empty()) return;
      absl::Status undone =
          RunSql(tools, target, "", sql, work_dir, "cannot undo the failed restore on").status();
      if (!undone.ok()) {
        LogWarn("agent", "cannot undo a failed restore: ", undone.message());
      }
    };
  }
  auto fail = [&](absl::Status st) {
    if (on_failure) on_failure();
    return st;
  };

  absl::StatusOr<std::string> password = ResolveSecretRef(target.password_ref());
  if (!password.ok()) return fail(password.status());
  absl::StatusOr<PrivateFile> file = MakeOptionFile(work_dir, target, *password, multi ? "" : db,
                                                    options_.connect_timeout_s);
  if (!file.ok()) return fail(file.status());
  ProcessOptions po;
  // Stops at the first error; --binary-mode keeps NUL bytes and \r\n as
  // they are and interprets no client command (\!, source) of the dump.
  // No reconnect: a new session would carry on without the statements
  // (and the transaction) of the lost one.
  po.argv = {tools.client, "--defaults-file=" + file->path(), "--batch", "--binary-mode",
             "--skip-reconnect"};
  po.env = ToolEnv();
  po.pipe_stdin = true;
  absl::StatusOr<std::unique_ptr<Process>> p = options_.runner->Start(po);
  if (!p.ok()) return fail(p.status());
  ToolRestoreSession::Options so;
  so.process = *std::move(p);
  so.files.push_back(*std::move(file));
  std::string desc = Describe(target, multi ? "" : db);
  std::string client = tools.client.substr(tools.client.rfind('/') + 1);
  so.on_error = [desc, client](int code, const std::string& err) {
    return MysqlError(absl::StrCat("restore with ", client, " failed for"), desc, err, code, "");
  };
  so.on_failure = std::move(on_failure);
  auto session = std::make_unique<ToolRestoreSession>(std::move(so));
  if (dumped.data_only()) {
    return std::unique_ptr<RestoreSession>(new OneTransactionSession(std::move(session)));
  }
  return std::unique_ptr<RestoreSession>(std::move(session));
}

absl::StatusOr<DatabaseTarget> MysqlEngine::ScratchTarget(const DatabaseTarget& target,
                                                          const std::string& id,
                                                          const std::string& work_dir) {
  const DumpOptions& o = target.dump_options();
  if (o.all_databases() || o.databases_size() > 0) {
    return absl::FailedPreconditionError(
        "a backup of several databases restores into the databases it was made from, not into "
        "a scratch database: test-restore a single-database backup instead");
  }
  DatabaseTarget scratch = target;
  scratch.set_database(absl::StrCat(kScratchPrefix, ScratchSuffix(id)));
  scratch.clear_dump_options();
  return scratch;
}

absl::StatusOr<std::vector<v1::TableInfo>> MysqlEngine::InspectTables(const DatabaseTarget& target) {
  RETURN_IF_ERROR(ValidateMysqlName("database name", target.database()));
  ASSIGN_OR_RETURN(Tools tools, FindTools());
  // The database is the client's default database: no name in the SQL.
  ASSIGN_OR_RETURN(
      std::string out,
      RunSql(tools, target, target.database(),
             "SELECT 't', HEX(TABLE_NAME) FROM information_schema.TABLES "
             "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE';\n",
             PrivateDir(), "cannot list the tables of"));
  std::vector<std::string> names;
  for (const std::vector<std::string>& row : Rows(out)) {
    std::string name;
    if (row.size() != 2 || row[0] != "t" || !HexDecode(row[1], &name)) {
      return absl::InternalError("unexpected output from the mysql client while listing tables");
    }
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  std::vector<v1::TableInfo> tables;
  if (names.empty()) return tables;
  std::string sql;
  for (const std::string& n : names) {
    absl::StrAppend(&sql, "SELECT COUNT(*) FROM ", QuoteMysqlIdentifier(n), ";\n");
  }
  ASSIGN_OR_RETURN(out, RunSql(tools, target, target.database(), sql, PrivateDir(),
                               "cannot count the rows of the tables of"));
  std::vector<std::vector<std::string>> rows = Rows(out);
  if (rows.size() != names.size()) {
    return absl::InternalError("unexpected output from the mysql client while counting rows");
  }
  for (size_t i = 0; i < names.size(); ++i) {
    int64_t n = 0;
    if (rows[i].size() != 1 || !absl::SimpleAtoi(rows[i][0], &n)) {
      return absl::InternalError("unexpected output from the mysql client while counting rows");
    }
    v1::TableInfo t;
    t.set_name(names[i]);
    t.set_rows(n);
    tables.push_back(t);
  }
  return tables;
}

absl::Status MysqlEngine::DropScratch(const DatabaseTarget& target) {
  // Only ever a database this engine named: never a user's.
  if (!absl::StartsWith(target.database(), kScratchPrefix)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "database \"", target.database(), "\" is not a scratch database (", kScratchPrefix,
        "...): refusing to drop it"));
  }
  RETURN_IF_ERROR(ValidateMysqlName("database name", target.database()));
  ASSIGN_OR_RETURN(Tools tools, FindTools());
  return RunSql(tools, target, "",
                absl::StrCat("DROP DATABASE IF EXISTS ", QuoteMysqlIdentifier(target.database()), ";\n"),
                PrivateDir(), "cannot drop the scratch database on")
      .status();
}

}  // namespace dbdump
