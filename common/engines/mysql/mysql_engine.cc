#include "common/engines/mysql/mysql_engine.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/base/names.h"
#include "common/base/secret_ref.h"
#include "common/base/database_tls.h"
#include "common/base/status_macros.h"
#include "common/engines/mysql/mysql_catalog.h"
#include "common/engines/mysql/mysql_client.h"
#include "common/engines/tool_session.h"
#include "common/io/fd_io.h"

namespace dbdump {

using mysql::Describe;
using mysql::HexDecode;
using mysql::kScratchPrefix;
using mysql::MakeOptionFile;
using mysql::MysqlError;
using mysql::Rows;
using mysql::ToolEnv;
using v1::DatabaseTarget;
using v1::DumpOptions;

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
  for (const char* o : {"clean", "dry_run", "test_restore", "no_create", "definers"}) {
    c.add_restore_options(o);
  }
  return c;
}

absl::StatusOr<std::string> MysqlEngine::RunSql(const Tools& tools, const DatabaseTarget& target,
                                                const std::string& database,
                                                const std::string& sql, const std::string& dir,
                                                absl::string_view what) {
  ASSIGN_OR_RETURN(std::string password, ResolveSecretRef(target.password_ref()));
  ASSIGN_OR_RETURN(mysql::ClientFiles file,
                   MakeOptionFile(dir, target, password, database, options_.connect_timeout_s,
                                  UsesSslMode(tools)));
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
    // A write fails only when the client stopped reading, i.e. exited: its
    // exit code and stderr, checked below, say why better than EPIPE would.
    (void)sink.Write(sql.data(), sql.size());
    (void)sink.Finish();  // closes stdin, same reasoning
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
  // The session's cipher too: MariaDB's client falls back to a plain
  // connection under REQUIRED and VERIFY_CA when the server offers no TLS,
  // so whether TLS was used is checked here (see mysql_client.cc).
  ASSIGN_OR_RETURN(std::string out,
                   RunSql(tools, target, target.database(),
                          "SELECT VERSION();\nSHOW SESSION STATUS LIKE 'Ssl_cipher';\n",
                          PrivateDir(), "cannot connect to"));
  std::vector<std::vector<std::string>> rows = mysql::Rows(out);
  std::string version = rows.empty() ? "" : std::string(absl::StripAsciiWhitespace(rows[0][0]));
  std::string cipher = rows.size() > 1 && rows[1].size() > 1 ? rows[1][1] : "";
  v1::DatabaseTlsMode mode = target.tls().mode();
  if (cipher.empty() && (mode == v1::DATABASE_TLS_MODE_REQUIRE ||
                         mode == v1::DATABASE_TLS_MODE_VERIFY_CA ||
                         mode == v1::DATABASE_TLS_MODE_VERIFY_FULL)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the server at ", Describe(target, target.database()), " answered without TLS although "
        "--tls-mode=", DatabaseTlsModeName(v1::ENGINE_MYSQL, mode), ": enable TLS on the server "
        "(MariaDB's client does not refuse a plain connection under REQUIRED or VERIFY_CA; "
        "VERIFY_IDENTITY does)"));
  }
  if (version.empty()) {
    return absl::InternalError(absl::StrCat("the server at ", Describe(target, target.database()),
                                            " returned no version"));
  }
  // Tables named with --table must exist now, not first at the next backup.
  const DumpOptions& o = target.dump_options();
  if (o.include_tables_size() > 0 && !target.database().empty()) {
    ASSIGN_OR_RETURN(std::string catalog,
                     RunSql(tools, target, "", absl::StrCat(mysql::kStateSql, mysql::kRelationsSql),
                            PrivateDir(), "cannot list the tables of"));
    ASSIGN_OR_RETURN(mysql::ServerState state, mysql::ParseState(catalog));
    RETURN_IF_ERROR(mysql::IncludedTables(state, target.database(),
                                          {o.include_tables().begin(), o.include_tables().end()})
                        .status());
  }
  return version;
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
