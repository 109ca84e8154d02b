// MongoEngine's dump: which databases and collections, and mongodump
// started on them.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/engines/mongodb/mongo_connection.h"
#include "common/engines/mongodb/mongo_dump_session.h"
#include "common/engines/mongodb/mongo_engine.h"
#include "common/engines/tool_session.h"

namespace dbdump {

using mongo::ConfigFile;
using mongo::Connection;
using mongo::ConnectionArgs;
using mongo::ConnectionFor;
using mongo::ErrorFn;
using mongo::kDumpFormat;
using mongo::kExtension;
using mongo::MongoDumpSession;
using mongo::ToolEnv;
using v1::DatabaseTarget;

namespace {

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

}  // namespace

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

}  // namespace dbdump
