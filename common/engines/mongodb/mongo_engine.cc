#include "common/engines/mongodb/mongo_engine.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "common/engines/mongodb/mongo_client.h"
#include "common/engines/mongodb/mongo_connection.h"
#include "common/engines/mongodb/mongo_dump_session.h"
#include "common/engines/mongodb/mongo_restore_session.h"
#include "common/engines/private_file.h"
#include "common/engines/restore_target.h"
#include "common/engines/tool_session.h"

namespace dbdump {

using mongo::ArchiveExpectation;
using mongo::ConfigFile;
using mongo::Connection;
using mongo::ConnectionArgs;
using mongo::ConnectionFor;
using mongo::ErrorFn;
using mongo::kExtension;
using mongo::MongoRestoreSession;
using mongo::MongoToolError;
using mongo::ToolEnv;
using v1::DatabaseTarget;

namespace {

// Test restores go into databases named so, and nothing else is dropped.
constexpr char kScratchPrefix[] = "dbdump_scratch_";

// "100.9.4" -> {100, 9}; legacy tools print "r4.2.24".
std::pair<int, int> MajorMinor(absl::string_view version) {
  absl::ConsumePrefix(&version, "r");
  std::vector<std::string> parts = absl::StrSplit(version, '.');
  int major = 0, minor = 0;
  // A part that does not parse stays 0 on purpose: an unknown version is
  // treated as the oldest.
  if (!parts.empty()) (void)absl::SimpleAtoi(parts[0], &major);
  if (parts.size() > 1) (void)absl::SimpleAtoi(parts[1], &minor);
  return {major, minor};
}

}  // namespace

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
  // Available only with both tools, new enough to take --config.
  absl::StatusOr<Tool> dump = FindTool("mongodump");
  if (!dump.ok() || !FindTool("mongorestore").ok()) return "";
  return dump->version;
}

v1::EngineCapabilities MongoEngine::Capabilities() const {
  v1::EngineCapabilities c;
  c.add_formats(kExtension);
  c.add_selective_options("include_namespaces");
  c.add_selective_options("exclude_namespaces");
  for (const char* o : {"clean", "dry_run", "jobs", "test_restore"}) c.add_restore_options(o);
  return c;
}

absl::StatusOr<std::string> MongoEngine::TestConnection(const DatabaseTarget& target) {
  if (!target.database().empty()) RETURN_IF_ERROR(ValidateMongoDatabaseName(target.database()));
  ASSIGN_OR_RETURN(Connection c, ConnectionFor(target, options_.connect_timeout_s));
  // A connection the tools could not use would pass in vain.
  RETURN_IF_ERROR(FindTool("mongodump").status());
  RETURN_IF_ERROR(FindTool("mongorestore").status());
  return mongo::ServerVersion(c, target.database());
}

absl::StatusOr<std::unique_ptr<RestoreSession>> MongoEngine::StartRestore(
    const DatabaseTarget& target, const v1::Manifest& manifest, const v1::RestoreOptions& options,
    const std::string& work_dir) {
  if (options.no_create()) {
    return absl::InvalidArgumentError(
        "restore option no_create is not supported for MongoDB: the server creates a database "
        "on its first write and the agent has no MongoDB client to check that it exists");
  }
  const std::string& into = target.database();
  RETURN_IF_ERROR(ValidateRestoreTarget(v1::ENGINE_MONGODB, into));
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
    if (absl::StartsWith(into, kScratchPrefix)) {
      absl::MutexLock l(&mu_);
      scratch_sources_[into] = from;
    }
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

absl::StatusOr<DatabaseTarget> MongoEngine::ScratchTarget(const DatabaseTarget& target,
                                                          const std::string& id,
                                                          const std::string&) {
  if (target.database().empty()) {
    return absl::FailedPreconditionError(
        "a backup of every database restores into the databases it was made from, not into a "
        "scratch database: test-restore a backup of one database instead");
  }
  DatabaseTarget scratch = target;
  scratch.set_database(absl::StrCat(kScratchPrefix, ScratchSuffix(id)));
  scratch.clear_dump_options();
  RETURN_IF_ERROR(ValidateMongoDatabaseName(scratch.database()));
  return scratch;
}

absl::StatusOr<std::vector<v1::TableInfo>> MongoEngine::InspectTables(
    const DatabaseTarget& target) {
  RETURN_IF_ERROR(ValidateMongoDatabaseName(target.database()));
  ASSIGN_OR_RETURN(Connection c, ConnectionFor(target, options_.connect_timeout_s));
  ASSIGN_OR_RETURN(std::vector<mongo::CollectionCount> counts,
                   mongo::CountDocuments(c, target.database()));
  // A scratch database holds the collections of the backed-up database:
  // they are named as the backup's manifest names them.
  std::string db = target.database();
  {
    absl::MutexLock l(&mu_);
    auto it = scratch_sources_.find(db);
    if (it != scratch_sources_.end()) db = it->second;
  }
  std::vector<v1::TableInfo> out;
  for (const mongo::CollectionCount& cc : counts) {
    v1::TableInfo t;
    t.set_name(absl::StrCat(db, ".", cc.name));
    t.set_rows(cc.documents);
    out.push_back(std::move(t));
  }
  return out;
}

absl::Status MongoEngine::DropScratch(const DatabaseTarget& target) {
  // Only ever a database this engine named for a test restore.
  if (!absl::StartsWith(target.database(), kScratchPrefix)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "refusing to drop MongoDB database \"", absl::CHexEscape(target.database()),
        "\": only scratch databases of test restores (", kScratchPrefix, "...) are dropped"));
  }
  RETURN_IF_ERROR(ValidateMongoDatabaseName(target.database()));
  ASSIGN_OR_RETURN(Connection c, ConnectionFor(target, options_.connect_timeout_s));
  RETURN_IF_ERROR(mongo::DropDatabase(c, target.database()));
  absl::MutexLock l(&mu_);
  scratch_sources_.erase(target.database());
  return absl::OkStatus();
}

}  // namespace dbdump
