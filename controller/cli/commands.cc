#include "controller/cli/commands.h"

#include <cstdlib>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/storage/backup_layout.h"
#include "common/base/job_state.h"
#include "common/io/compression.h"
#include "common/base/names.h"
#include "common/s3/s3_client.h"
#include "common/base/status_macros.h"
#include "common/storage/storage.h"
#include "common/s3/sts_credentials_provider.h"
#include "controller/cli/cli_error.h"
#include "controller/cli/controller_client.h"
#include "controller/cli/formatting.h"
#include "controller/cli/progress_printer.h"
#include "controller/cli/s3_url.h"
#include "controller/cli/stored_backups.h"
#include "controller/cli/table_printer.h"

namespace dbdump {
namespace {

// Checks a user-given name or id, as a usage error: the command line is wrong.
absl::Status CheckName(const std::string& kind, const std::string& name) {
  absl::Status status = ValidateResourceName(kind, name);
  if (!status.ok()) return UsageError(status.message());
  return absl::OkStatus();
}

absl::Status CheckId(const std::string& kind, const std::string& id) {
  absl::Status status = ValidateId(kind, id);
  if (!status.ok()) return UsageError(status.message());
  return absl::OkStatus();
}

absl::Status CheckAbsolutePath(const std::string& flag, const std::string& path) {
  if (!absl::StartsWith(path, "/")) {
    return UsageError(absl::StrCat("--", flag, " must be an absolute path, not \"", path, "\""));
  }
  return absl::OkStatus();
}

// The value is not echoed: whoever mistypes this may have pasted a password.
absl::Status CheckPasswordRef(const std::string& ref) {
  bool file = absl::StartsWith(ref, "file:/");
  bool env = absl::StartsWith(ref, "env:") && ref.size() > 4;
  if (file || env) return absl::OkStatus();
  return UsageError(
      "--password-ref must be file:/absolute/path or env:NAME, naming where the agent reads "
      "the password");
}

absl::StatusOr<v1::Engine> ParseEngine(const std::string& name) {
  if (name == "postgres" || name == "postgresql") return v1::ENGINE_POSTGRES;
  if (name == "mysql" || name == "mariadb") return v1::ENGINE_MYSQL;
  if (name == "mongodb" || name == "mongo") return v1::ENGINE_MONGODB;
  if (name == "sqlite") return v1::ENGINE_SQLITE;
  return UsageError(absl::StrCat("unknown engine \"", name,
                                 "\": use --engine=postgres, mysql, mongodb or sqlite"));
}

// Flags of "database add" that choose what a backup holds.
constexpr const char* kDumpOptionFlags[] = {
    "format",        "schema-only",   "data-only",    "table",      "exclude-table",
    "schema",        "exclude-schema", "globals",     "also-database", "all-databases",
    "namespace",     "exclude-namespace"};

// The selective options given on the command line; the agent checks them
// against what the engine can honour when the database is added.
v1::DumpOptions ParseDumpOptions(const ParsedArgs& args) {
  v1::DumpOptions o;
  o.set_format(args.Get("format"));
  o.set_schema_only(args.Has("schema-only"));
  o.set_data_only(args.Has("data-only"));
  for (const std::string& v : args.GetAll("table")) o.add_include_tables(v);
  for (const std::string& v : args.GetAll("exclude-table")) o.add_exclude_tables(v);
  for (const std::string& v : args.GetAll("schema")) o.add_include_schemas(v);
  for (const std::string& v : args.GetAll("exclude-schema")) o.add_exclude_schemas(v);
  o.set_globals(args.Has("globals"));
  for (const std::string& v : args.GetAll("also-database")) o.add_databases(v);
  o.set_all_databases(args.Has("all-databases"));
  for (const std::string& v : args.GetAll("namespace")) o.add_include_namespaces(v);
  for (const std::string& v : args.GetAll("exclude-namespace")) o.add_exclude_namespaces(v);
  return o;
}

absl::StatusOr<v1::StorageKind> ParseStorageKind(const std::string& name) {
  if (name == "local") return v1::STORAGE_KIND_LOCAL;
  if (name == "s3") return v1::STORAGE_KIND_S3;
  return UsageError(
      absl::StrCat("unknown storage kind \"", name, "\": use --kind=local or --kind=s3"));
}

// Flags that say how to reach a bucket, shared by "storage add --kind=s3"
// and the "s3" verbs.
constexpr const char* kS3ConnectionFlags[] = {"endpoint",        "region",      "path-style",
                                              "role-arn",        "external-id", "sts-endpoint",
                                              "credentials-ref", "ca-file"};
// Flags of "storage add" that say how the agent writes there.
constexpr const char* kS3WriteFlags[] = {"bucket",        "sse",       "kms-key-id",
                                         "storage-class", "part-size", "upload-concurrency",
                                         "max-parts"};

// S3's multipart limits; the controller checks them too.
constexpr uint64_t kMinPartSizeBytes = uint64_t{5} << 20;
constexpr uint64_t kMaxPartSizeBytes = uint64_t{5} << 30;
constexpr uint32_t kMaxUploadConcurrency = 64;

absl::Status CheckEndpoint(const std::string& flag, const std::string& url) {
  // "https://KEY:SECRET@host" is not echoed back: it may hold a secret key.
  if (absl::StrContains(url, "@")) {
    return UsageError(absl::StrCat("--", flag,
                                   " carries no credentials: give http(s)://host[:port] and "
                                   "--credentials-ref=file:/path or the environment"));
  }
  std::string host;
  if (absl::StartsWith(url, "https://")) host = url.substr(8);
  if (absl::StartsWith(url, "http://")) host = url.substr(7);
  if (host.empty() || host.find_first_of("/?#@ ") != std::string::npos) {
    return UsageError(absl::StrCat(
        "--", flag, " must be http(s)://host[:port] without a path, not \"", url, "\""));
  }
  return absl::OkStatus();
}

absl::Status CheckPrefix(const std::string& prefix) {
  if (ValidateObjectKey(prefix).ok()) return absl::OkStatus();
  return UsageError(absl::StrCat("--prefix \"", prefix,
                                 "\" must be relative, without empty, \".\" or \"..\" segments"));
}

// Reads the connection flags into `dest`. `reader` says who reads the
// credentials file, e.g. "the agent".
absl::Status ApplyS3ConnectionFlags(const ParsedArgs& args, const std::string& reader,
                                    v1::StorageDestination* dest) {
  if (args.Has("endpoint")) {
    dest->set_endpoint(args.Get("endpoint"));
    RETURN_IF_ERROR(CheckEndpoint("endpoint", dest->endpoint()));
  }
  if (args.Has("region")) {
    dest->set_region(args.Get("region"));
    if (dest->region().find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") !=
        std::string::npos) {
      return UsageError(
          absl::StrCat("--region \"", dest->region(), "\" is not a region name such as eu-west-1"));
    }
  }
  dest->set_path_style(args.Has("path-style"));
  if (args.Has("role-arn")) {
    dest->set_role_arn(args.Get("role-arn"));
    absl::Status arn = ValidateRoleArn(dest->role_arn());
    if (!arn.ok()) return UsageError(absl::StrCat("--role-arn: ", arn.message()));
  }
  if (args.Has("external-id")) {
    if (!args.Has("role-arn")) {
      return UsageError("--external-id goes with the role it protects: add --role-arn=ARN");
    }
    dest->set_external_id(args.Get("external-id"));
  }
  if (args.Has("sts-endpoint")) {
    dest->set_sts_endpoint(args.Get("sts-endpoint"));
    RETURN_IF_ERROR(CheckEndpoint("sts-endpoint", dest->sts_endpoint()));
  }
  if (args.Has("credentials-ref")) {
    dest->set_credentials_ref(args.Get("credentials-ref"));
    // Not echoed: whoever gets this wrong may have pasted a key.
    if (!absl::StartsWith(dest->credentials_ref(), "file:/")) {
      return UsageError(absl::StrCat(
          "--credentials-ref must be file:/absolute/path, naming an AWS credentials file that ",
          reader, " reads; leave it out to use the environment of ", reader));
    }
  }
  if (args.Has("ca-file")) {
    dest->set_ca_file(args.Get("ca-file"));
    RETURN_IF_ERROR(CheckAbsolutePath("ca-file", dest->ca_file()));
  }
  return absl::OkStatus();
}

// The destination an s3://BUCKET[/PREFIX] argument and the connection flags
// name, for the "s3" verbs.
absl::StatusOr<v1::StorageDestination> BucketDestination(const ParsedArgs& args,
                                                         const std::string& url_text) {
  ASSIGN_OR_RETURN(S3Url url, ParseS3Url(url_text));
  v1::StorageDestination dest;
  dest.set_name("dbdumpctl");
  dest.set_kind(v1::STORAGE_KIND_S3);
  dest.set_bucket(url.bucket);
  dest.set_prefix(url.prefix);
  RETURN_IF_ERROR(ApplyS3ConnectionFlags(args, "dbdumpctl (on this machine)", &dest));
  return dest;
}

// The default opener of the s3 verbs: OpenStorage, with the credentials
// errors worded for dbdumpctl (common/ words them for the agent).
absl::StatusOr<std::unique_ptr<Storage>> OpenBucket(const v1::StorageDestination& dest) {
  if (dest.credentials_ref().empty()) {
    auto set = [](const char* name) {
      const char* value = getenv(name);
      return value != nullptr && *value != '\0';
    };
    bool keys = set("AWS_ACCESS_KEY_ID") && set("AWS_SECRET_ACCESS_KEY");
    if (!keys && !set("AWS_SHARED_CREDENTIALS_FILE")) {
      return absl::FailedPreconditionError(
          "no S3 credentials for dbdumpctl: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or "
          "AWS_SHARED_CREDENTIALS_FILE) in its environment, or pass --credentials-ref=file:/path");
    }
  }
  absl::StatusOr<std::unique_ptr<Storage>> storage = OpenStorage(dest);
  if (storage.ok()) return storage;
  return absl::Status(storage.status().code(),
                      absl::StrReplaceAll(storage.status().message(),
                                          {{" on the agent host", " on this machine"}}));
}

absl::Status WithContext(const absl::Status& status, const std::string& context) {
  if (status.ok() || IsUsageError(status)) return status;
  return absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
}

std::string Location(const v1::DatabaseTarget& target) {
  if (target.engine() == v1::ENGINE_SQLITE) return target.path();
  std::string location = target.host();
  if (target.port() != 0) absl::StrAppend(&location, ":", target.port());
  if (!target.database().empty()) absl::StrAppend(&location, "/", target.database());
  return location;
}

std::string Bytes(uint64_t bytes) {
  return absl::StrCat(bytes, " bytes (", HumanBytes(bytes), ")");
}

std::string Ratio(uint64_t raw, uint64_t stored) {
  std::string ratio = FormatRatio(raw, stored);
  return ratio == "-" ? ratio : absl::StrCat(ratio, "x");
}

}  // namespace

Commands::Commands(Options options) : options_(std::move(options)) {
  if (!options_.now) options_.now = [] { return absl::Now(); };
  if (options_.err == nullptr) options_.err = options_.out;
  if (!options_.open_storage) options_.open_storage = OpenBucket;
}

Commands::~Commands() = default;

ControllerClient& Commands::client() {
  if (client_ == nullptr) client_ = options_.connect();
  return *client_;
}

absl::Status Commands::PrintJson(const google::protobuf::Message& message) {
  ASSIGN_OR_RETURN(std::string json, ToJson(message));
  *options_.out << json;
  return absl::OkStatus();
}

absl::Status Commands::AgentsList(const ParsedArgs& args) {
  ASSIGN_OR_RETURN(v1::ListAgentsResponse resp, client().ListAgents(v1::ListAgentsRequest()));
  if (json()) return PrintJson(resp);
  TablePrinter table({"NAME", "ADDRESS", "VERSION", "ENGINES", "ONLINE", "LAST HEARTBEAT"});
  for (const v1::Agent& agent : resp.agents()) {
    std::string engines;
    for (int engine : agent.engines()) {
      if (!engines.empty()) engines += ",";
      engines += EngineName(static_cast<v1::Engine>(engine));
    }
    table.AddRow({agent.name(), agent.address(), agent.version(), engines,
                  agent.online() ? "yes" : "no", agent.last_heartbeat()});
  }
  table.Print(*options_.out);
  return absl::OkStatus();
}

absl::Status Commands::DatabaseAdd(const ParsedArgs& args) {
  v1::AddDatabaseRequest req;
  v1::DatabaseTarget* target = req.mutable_database();
  target->set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("database name", target->name()));
  ASSIGN_OR_RETURN(v1::Engine engine, ParseEngine(args.Get("engine")));
  target->set_engine(engine);
  target->set_agent(args.Get("agent"));
  RETURN_IF_ERROR(CheckName("agent name", target->agent()));
  req.set_storage(args.Get("storage"));
  RETURN_IF_ERROR(CheckName("storage name", req.storage()));
  req.set_skip_connection_test(args.Has("skip-connection-test"));

  *target->mutable_dump_options() = ParseDumpOptions(args);
  if (engine == v1::ENGINE_SQLITE) {
    for (const char* flag : kDumpOptionFlags) {
      if (args.Has(flag)) {
        return UsageError(absl::StrCat("--", flag,
                                       " does not apply to sqlite databases: a backup is always "
                                       "the whole database file"));
      }
    }
    for (const char* flag : {"host", "port", "user", "dbname", "password-ref"}) {
      if (args.Has(flag)) {
        return UsageError(absl::StrCat("--", flag,
                                       " does not apply to sqlite databases: give "
                                       "only --path=/abs/file.db"));
      }
    }
    if (!args.Has("path")) {
      return UsageError("missing --path=/abs/file.db: sqlite databases need the file's path");
    }
    target->set_path(args.Get("path"));
    RETURN_IF_ERROR(CheckAbsolutePath("path", target->path()));
  } else {
    if (args.Has("path")) {
      return UsageError("--path is for sqlite databases: give the others --dbname=DB");
    }
    ASSIGN_OR_RETURN(uint32_t port, args.GetUint32("port", 0, 1, 65535));
    target->set_host(args.Get("host"));
    target->set_port(port);
    target->set_user(args.Get("user"));
    target->set_database(args.Get("dbname"));
    if (args.Has("password-ref")) {
      target->set_password_ref(args.Get("password-ref"));
      RETURN_IF_ERROR(CheckPasswordRef(target->password_ref()));
    }
  }

  ASSIGN_OR_RETURN(v1::AddDatabaseResponse resp, client().AddDatabase(req));
  if (json()) return PrintJson(resp);
  std::string name =
      resp.database().target().name().empty() ? target->name() : resp.database().target().name();
  *options_.out << "database \"" << name << "\" added";
  if (!resp.database().server_version().empty()) {
    *options_.out << " (" << resp.database().server_version() << ")";
  }
  *options_.out << "\n";
  return absl::OkStatus();
}

absl::Status Commands::DatabaseList(const ParsedArgs& args) {
  ASSIGN_OR_RETURN(v1::ListDatabasesResponse resp,
                   client().ListDatabases(v1::ListDatabasesRequest()));
  if (json()) return PrintJson(resp);
  TablePrinter table({"NAME", "ENGINE", "AGENT", "STORAGE", "LOCATION", "SERVER"});
  for (const v1::Database& db : resp.databases()) {
    const v1::DatabaseTarget& t = db.target();
    table.AddRow({t.name(), EngineName(t.engine()), t.agent(), db.storage(), Location(t),
                  db.server_version()});
  }
  table.Print(*options_.out);
  return absl::OkStatus();
}

absl::Status Commands::DatabaseRemove(const ParsedArgs& args) {
  v1::RemoveDatabaseRequest req;
  req.set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("database name", req.name()));
  ASSIGN_OR_RETURN(v1::RemoveDatabaseResponse resp, client().RemoveDatabase(req));
  if (json()) return PrintJson(resp);
  *options_.out << "database \"" << req.name() << "\" removed\n";
  return absl::OkStatus();
}

absl::Status Commands::StorageAdd(const ParsedArgs& args) {
  v1::AddStorageRequest req;
  v1::StorageDestination* storage = req.mutable_storage();
  storage->set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("storage name", storage->name()));
  ASSIGN_OR_RETURN(v1::StorageKind kind, ParseStorageKind(args.Get("kind")));
  storage->set_kind(kind);
  if (args.Has("prefix")) {
    storage->set_prefix(args.Get("prefix"));
    RETURN_IF_ERROR(CheckPrefix(storage->prefix()));
  }
  if (args.Has("probe-agent")) {
    if (args.Has("skip-probe")) {
      return UsageError("--probe-agent and --skip-probe contradict each other: give one of them");
    }
    req.set_probe_agent(args.Get("probe-agent"));
    RETURN_IF_ERROR(CheckName("agent name", req.probe_agent()));
  }
  req.set_skip_probe(args.Has("skip-probe"));

  if (kind == v1::STORAGE_KIND_LOCAL) {
    std::vector<std::string> s3_only(std::begin(kS3ConnectionFlags), std::end(kS3ConnectionFlags));
    s3_only.insert(s3_only.end(), std::begin(kS3WriteFlags), std::end(kS3WriteFlags));
    for (const std::string& flag : s3_only) {
      if (args.Has(flag)) {
        return UsageError(absl::StrCat(
            "--", flag, " is for s3 storage: local storage takes --path=/abs/dir [--prefix=P]"));
      }
    }
    if (!args.Has("path")) {
      return UsageError("missing --path=/abs/dir: local storage needs the directory to write to");
    }
    storage->set_path(args.Get("path"));
    RETURN_IF_ERROR(CheckAbsolutePath("path", storage->path()));
  } else {
    if (args.Has("path")) {
      return UsageError("--path is for local storage: s3 storage takes --bucket=B [--prefix=P]");
    }
    if (!args.Has("bucket")) {
      return UsageError("missing --bucket=B: s3 storage needs the bucket to write to");
    }
    storage->set_bucket(args.Get("bucket"));
    absl::Status bucket = ValidateBucketName(storage->bucket());
    if (!bucket.ok()) return UsageError(absl::StrCat("--bucket: ", bucket.message()));
    RETURN_IF_ERROR(ApplyS3ConnectionFlags(args, "the agent (on its host)", storage));
    storage->set_sse(args.Get("sse"));
    if (args.Has("sse") && storage->sse() != "AES256" && storage->sse() != "aws:kms") {
      return UsageError(
          absl::StrCat("--sse must be AES256 or aws:kms, not \"", storage->sse(), "\""));
    }
    if (args.Has("kms-key-id")) {
      if (storage->sse() != "aws:kms") {
        return UsageError("--kms-key-id needs --sse=aws:kms");
      }
      storage->set_kms_key_id(args.Get("kms-key-id"));
    }
    storage->set_storage_class(args.Get("storage-class"));
    ASSIGN_OR_RETURN(uint64_t part_size, args.GetByteSize("part-size", 0));
    if (args.Has("part-size") && (part_size < kMinPartSizeBytes || part_size > kMaxPartSizeBytes)) {
      return UsageError(
          absl::StrCat("--part-size must be from 5MiB to 5GiB (S3's part limits), not \"",
                       args.Get("part-size"), "\""));
    }
    storage->set_part_size_bytes(part_size);
    ASSIGN_OR_RETURN(uint32_t concurrency,
                     args.GetUint32("upload-concurrency", 0, 1, kMaxUploadConcurrency));
    storage->set_upload_concurrency(concurrency);
    // Servers other than AWS may allow fewer parts (Swift's s3api: 1000).
    ASSIGN_OR_RETURN(uint32_t max_parts, args.GetUint32("max-parts", 0, 10, 10000));
    storage->set_max_parts(max_parts);
  }

  ASSIGN_OR_RETURN(v1::AddStorageResponse resp, client().AddStorage(req));
  if (json()) return PrintJson(resp);
  const v1::StorageDestination& added = resp.has_storage() ? resp.storage() : *storage;
  *options_.out << "storage \"" << added.name() << "\" added (";
  if (added.kind() == v1::STORAGE_KIND_S3) {
    *options_.out << StorageLocation(added) << (req.skip_probe() ? ", not probed" : ", probed");
  } else {
    *options_.out << StorageKindName(added.kind()) << " " << StorageLocation(added)
                  << (req.skip_probe() ? ", not probed" : "");
  }
  *options_.out << ")\n";
  return absl::OkStatus();
}

absl::Status Commands::StorageList(const ParsedArgs& args) {
  ASSIGN_OR_RETURN(v1::ListStoragesResponse resp, client().ListStorages(v1::ListStoragesRequest()));
  if (json()) return PrintJson(resp);
  TablePrinter table({"NAME", "KIND", "LOCATION", "REGION", "ENDPOINT", "ROLE"});
  for (const v1::StorageDestination& s : resp.storages()) {
    table.AddRow({s.name(), StorageKindName(s.kind()), StorageLocation(s), s.region(), s.endpoint(),
                  s.role_arn()});
  }
  table.Print(*options_.out);
  return absl::OkStatus();
}

absl::Status Commands::StorageRemove(const ParsedArgs& args) {
  v1::RemoveStorageRequest req;
  req.set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("storage name", req.name()));
  ASSIGN_OR_RETURN(v1::RemoveStorageResponse resp, client().RemoveStorage(req));
  if (json()) return PrintJson(resp);
  *options_.out << "storage \"" << req.name() << "\" removed\n";
  return absl::OkStatus();
}

absl::Status Commands::BackupRun(const ParsedArgs& args) {
  v1::StartBackupRequest req;
  req.set_database(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("database name", req.database()));
  absl::StatusOr<v1::Compression> compression = ParseCompression(args.Get("compression"));
  if (!compression.ok()) return UsageError(compression.status().message());
  req.set_compression(*compression);
  ASSIGN_OR_RETURN(int32_t level, args.GetInt32("level", 0));
  req.set_compression_level(level);

  ASSIGN_OR_RETURN(v1::StartBackupResponse resp, client().StartBackup(req));
  bool wait = args.Has("wait");
  if (json() && !wait) return PrintJson(resp);
  if (!json()) {
    *options_.out << "backup job " << resp.job().id() << " queued for " << req.database() << "\n";
  }
  if (!wait) return absl::OkStatus();
  return Follow(resp.job().id(), "");
}

absl::Status Commands::BackupList(const ParsedArgs& args) {
  v1::ListBackupsRequest req;
  if (args.Has("database")) {
    req.set_database(args.Get("database"));
    RETURN_IF_ERROR(CheckName("database name", req.database()));
  }
  ASSIGN_OR_RETURN(v1::ListBackupsResponse resp, client().ListBackups(req));
  if (json()) return PrintJson(resp);
  TablePrinter table(
      {"ID", "DATABASE", "STATE", "SIZE", "RAW", "RATIO", "COMPRESSION", "DURATION", "CREATED"});
  for (const v1::Backup& b : resp.backups()) {
    const v1::Manifest& m = b.manifest();
    table.AddRow(
        {b.id(), b.database(), BackupStateName(b.state()), HumanBytes(m.stored_size_bytes()),
         HumanBytes(m.raw_size_bytes()), Ratio(m.raw_size_bytes(), m.stored_size_bytes()),
         CompressionName(m.compression()), FormatSeconds(b.duration_s()) + "s", b.created_at()});
  }
  table.Print(*options_.out);
  return absl::OkStatus();
}

absl::Status Commands::BackupShow(const ParsedArgs& args) {
  v1::GetBackupRequest req;
  req.set_id(args.positionals()[0]);
  RETURN_IF_ERROR(CheckId("backup id", req.id()));
  ASSIGN_OR_RETURN(v1::GetBackupResponse resp, client().GetBackup(req));
  if (json()) return PrintJson(resp);
  const v1::Backup& b = resp.backup();
  const v1::Manifest& m = b.manifest();
  std::string compression = CompressionName(m.compression());
  if (m.compression_level() != 0)
    absl::StrAppend(&compression, " (level ", m.compression_level(), ")");
  std::vector<std::pair<std::string, std::string>> fields = {
              {"id", b.id()},
               {"database", b.database()},
               {"storage", b.storage()},
               {"state", BackupStateName(b.state())},
               {"job", b.job_id()},
               {"agent", m.agent()},
               {"created", b.created_at()},
               {"started", m.started_at()},
               {"finished", m.finished_at()},
               {"duration", FormatSeconds(b.duration_s()) + "s"},
               {"engine", EngineName(m.engine())},
               {"server version", m.server_version()},
               {"tool version", m.tool_version()},
               {"dump format", m.dump_format()},
               {"compression", compression},
               {"dump object", m.dump_object()},
               {"raw size", Bytes(m.raw_size_bytes())},
               {"stored size", Bytes(m.stored_size_bytes())},
               {"ratio", Ratio(m.raw_size_bytes(), m.stored_size_bytes())},
               {"raw sha256", m.raw_sha256()},
               {"stored sha256", m.stored_sha256()},
               {"encryption key", m.encryption_key_id().empty() ? "none" : m.encryption_key_id()},
               {"manifest version", absl::StrCat(m.format_version())}};
  std::vector<std::pair<std::string, std::string>>& more = fields;
  std::string selective = DumpOptionsText(m.dump_options());
  more.push_back({"dump options", selective.empty() ? "whole database" : selective});
  for (const v1::StoredObject& o : m.extra_objects()) {
    more.push_back({o.role() + " object", absl::StrCat(o.object(), " (", o.dump_format(), ", ",
                                                     HumanBytes(o.raw_size_bytes()), " raw)")});
  }
  int64_t rows = 0;
  bool counted = false;
  for (const v1::TableInfo& t : m.tables()) {
    if (t.rows() >= 0) {
      rows += t.rows();
      counted = true;
    }
  }
  more.push_back({"tables", counted ? absl::StrCat(m.tables_size(), " (", rows, " rows)")
                                    : absl::StrCat(m.tables_size())});
  if (!b.verified_at().empty()) {
    more.push_back({"verified", absl::StrCat(b.verified_at(), b.verify_error().empty()
                                                                  ? ": checksums match"
                                                                  : ": FAILED " + b.verify_error())});
  }
  if (b.test_restored_at().empty()) {
    more.push_back({"test restore", "never"});
  } else {
    more.push_back({"test restore",
                    absl::StrCat(b.test_restored_at(), b.test_restore_error().empty()
                                                           ? ": passed"
                                                           : ": FAILED " + b.test_restore_error())});
  }
  PrintFields(*options_.out, fields);
  if (!b.test_restored_at().empty()) PrintRestoreReport(*options_.out, b.test_restore_report());
  return absl::OkStatus();
}

absl::Status Commands::Restore(const ParsedArgs& args) {
  v1::StartRestoreRequest req;
  req.set_backup_id(args.positionals()[0]);
  RETURN_IF_ERROR(CheckId("backup id", req.backup_id()));
  req.set_target(args.Get("target"));
  if (args.Has("via")) {
    req.set_via_database(args.Get("via"));
    RETURN_IF_ERROR(CheckName("database name", req.via_database()));
  }
  v1::RestoreOptions* o = req.mutable_options();
  o->set_clean(args.Has("clean"));
  o->set_no_create(args.Has("no-create"));
  o->set_dry_run(args.Has("dry-run"));
  ASSIGN_OR_RETURN(uint32_t jobs, args.GetUint32("jobs", 0, 1, 64));
  o->set_jobs(jobs);
  if (o->dry_run() && (o->clean() || o->no_create() || args.Has("target"))) {
    return UsageError("--dry-run touches no database: drop --target, --clean and --no-create");
  }
  return StartRestoreJob(req, args.Has("wait"));
}

absl::Status Commands::BackupTestRestore(const ParsedArgs& args) {
  v1::StartRestoreRequest req;
  req.set_backup_id(args.positionals()[0]);
  RETURN_IF_ERROR(CheckId("backup id", req.backup_id()));
  if (args.Has("via")) {
    req.set_via_database(args.Get("via"));
    RETURN_IF_ERROR(CheckName("database name", req.via_database()));
  }
  req.mutable_options()->set_test_restore(true);
  ASSIGN_OR_RETURN(uint32_t jobs, args.GetUint32("jobs", 0, 1, 64));
  req.mutable_options()->set_jobs(jobs);
  return StartRestoreJob(req, args.Has("wait"));
}

absl::Status Commands::StartRestoreJob(const v1::StartRestoreRequest& req, bool wait) {
  ASSIGN_OR_RETURN(v1::StartRestoreResponse resp, client().StartRestore(req));
  if (resp.job().restore_target().empty()) resp.mutable_job()->set_restore_target(req.target());
  if (json() && !wait) return PrintJson(resp);
  if (!json()) {
    const v1::RestoreOptions& o = req.options();
    std::string what = o.test_restore() ? "test restore"
                       : o.dry_run()    ? "dry run"
                                        : "restore";
    *options_.out << what << " job " << resp.job().id() << " queued: backup " << req.backup_id();
    if (!o.test_restore() && !o.dry_run()) *options_.out << " into " << resp.job().restore_target();
    *options_.out << "\n";
  }
  if (!wait) return absl::OkStatus();
  return Follow(resp.job().id(), resp.job().restore_target());
}

absl::Status Commands::JobList(const ParsedArgs& args) {
  v1::ListJobsRequest req;
  if (args.Has("database")) {
    req.set_database(args.Get("database"));
    RETURN_IF_ERROR(CheckName("database name", req.database()));
  }
  ASSIGN_OR_RETURN(uint32_t limit, args.GetUint32("limit", 0, 1, UINT32_MAX));
  req.set_limit(limit);
  ASSIGN_OR_RETURN(v1::ListJobsResponse resp, client().ListJobs(req));
  if (json()) return PrintJson(resp);
  TablePrinter table({"ID", "KIND", "DATABASE", "STATE", "BACKUP", "IN", "OUT", "ERROR"});
  for (const v1::Job& job : resp.jobs()) {
    table.AddRow({job.id(), JobKindName(job.kind()), job.database(), JobStateName(job.state()),
                  job.backup_id(), HumanBytes(job.progress().bytes_in()),
                  HumanBytes(job.progress().bytes_out()), job.error()});
  }
  table.Print(*options_.out);
  return absl::OkStatus();
}

absl::Status Commands::JobShow(const ParsedArgs& args) {
  v1::GetJobRequest req;
  req.set_id(args.positionals()[0]);
  RETURN_IF_ERROR(CheckId("job id", req.id()));
  ASSIGN_OR_RETURN(v1::GetJobResponse resp, client().GetJob(req));
  if (json()) return PrintJson(resp);
  const v1::Job& job = resp.job();
  PrintFields(*options_.out, {{"id", job.id()},
                              {"kind", JobKindName(job.kind())},
                              {"state", JobStateName(job.state())},
                              {"database", job.database()},
                              {"agent", job.agent()},
                              {"backup", job.backup_id()},
                              {"restore target", job.restore_target()},
                              {"in", Bytes(job.progress().bytes_in())},
                              {"out", Bytes(job.progress().bytes_out())},
                              {"elapsed", FormatSeconds(job.progress().elapsed_s()) + "s"},
                              {"created", job.created_at()},
                              {"started", job.started_at()},
                              {"finished", job.finished_at()},
                              {"error", job.error()}});
  return absl::OkStatus();
}

absl::Status Commands::JobWait(const ParsedArgs& args) {
  const std::string& id = args.positionals()[0];
  RETURN_IF_ERROR(CheckId("job id", id));
  return Follow(id, "");
}

absl::Status Commands::S3List(const ParsedArgs& args) {
  const std::string& url = args.positionals()[0];
  ASSIGN_OR_RETURN(v1::StorageDestination dest, BucketDestination(args, url));
  StoredBackupsListing listing;
  listing.prefix = dest.prefix();
  if (args.Has("database")) {
    listing.database = args.Get("database");
    RETURN_IF_ERROR(CheckName("database name", listing.database));
  }
  listing.format = options_.format;
  listing.out = options_.out;
  listing.err = options_.err;
  absl::StatusOr<std::unique_ptr<Storage>> storage = options_.open_storage(dest);
  RETURN_IF_ERROR(WithContext(storage.status(), absl::StrCat("cannot open ", url)));
  return WithContext(ListStoredBackups(storage->get(), listing),
                     absl::StrCat("cannot list the backups in ", url));
}

absl::Status Commands::S3Restore(const ParsedArgs& args) {
  const std::string& url = args.positionals()[0];
  ASSIGN_OR_RETURN(v1::StorageDestination dest, BucketDestination(args, url));
  StoredBackupRestore restore;
  restore.destination = dest;
  restore.source = url;
  restore.backup_id = args.positionals()[1];
  RETURN_IF_ERROR(CheckId("backup id", restore.backup_id));
  restore.database = args.Get("database");
  RETURN_IF_ERROR(CheckName("database name", restore.database));
  restore.target = args.Get("target");
  restore.connection.set_host(args.Get("host"));
  ASSIGN_OR_RETURN(uint32_t port, args.GetUint32("port", 0, 1, 65535));
  restore.connection.set_port(port);
  restore.connection.set_user(args.Get("user"));
  if (args.Has("password-ref")) {
    restore.connection.set_password_ref(args.Get("password-ref"));
    RETURN_IF_ERROR(CheckPasswordRef(restore.connection.password_ref()));
  }
  restore.format = options_.format;
  restore.out = options_.out;
  restore.stdout_is_tty = options_.stdout_is_tty;
  restore.now = options_.now;
  restore.handle_interrupts = options_.handle_interrupts;
  absl::StatusOr<std::unique_ptr<Storage>> storage = options_.open_storage(dest);
  RETURN_IF_ERROR(WithContext(storage.status(), absl::StrCat("cannot open ", url)));
  return RestoreStoredBackup(storage->get(), restore);
}

absl::Status Commands::Follow(const std::string& job_id, const std::string& restore_target) {
  v1::FollowJobRequest req;
  req.set_id(job_id);
  ProgressPrinter progress({options_.out, options_.stdout_is_tty, options_.now});
  v1::Job last;
  bool any = false;
  absl::Status status = client().FollowJob(req, [&](const v1::Job& job) {
    last = job;
    any = true;
    // JSON mode prints only the final record, so stdout stays one document.
    if (!json()) progress.Update(job);
  });
  progress.Finish();
  if (!status.ok()) return status;
  if (!any || !IsTerminalJobState(last.state())) {
    return absl::UnavailableError(absl::StrCat("the controller stopped streaming job ", job_id,
                                               " before it finished: run \"dbdumpctl job wait ",
                                               job_id, "\" to follow it again"));
  }
  if (last.restore_target().empty()) last.set_restore_target(restore_target);
  return PrintOutcome(last);
}

absl::Status Commands::PrintOutcome(const v1::Job& job) {
  if (json()) RETURN_IF_ERROR(PrintJson(job));
  if (!json() && job.has_restore_report()) PrintRestoreReport(*options_.out, job.restore_report());
  if (job.state() != v1::JOB_STATE_SUCCEEDED) {
    std::string message = absl::StrCat("job ", job.id(), " ", JobStateName(job.state()));
    if (!job.error().empty()) absl::StrAppend(&message, ": ", job.error());
    return JobEndedError(message);
  }
  if (json()) return absl::OkStatus();

  if (job.kind() == v1::JOB_KIND_RESTORE) {
    if (job.restore_options().test_restore()) {
      *options_.out << "test restore of backup " << job.backup_id() << " passed\n";
    } else if (job.restore_options().dry_run()) {
      *options_.out << "dry run of backup " << job.backup_id()
                    << " passed: nothing was restored\n";
    } else {
      *options_.out << "restore completed into " << job.restore_target() << "\n";
    }
    return absl::OkStatus();
  }
  // Sizes come from the catalogue entry, which holds what the manifest
  // recorded; the job's counters are the fallback should that lookup fail.
  // The time is the agent's own measure, finer than the catalogue's.
  uint64_t raw = job.progress().bytes_in();
  uint64_t stored = job.progress().bytes_out();
  double seconds = job.progress().elapsed_s();
  v1::GetBackupRequest req;
  req.set_id(job.backup_id());
  absl::StatusOr<v1::GetBackupResponse> backup = client().GetBackup(req);
  if (backup.ok() && backup->has_backup()) {
    raw = backup->backup().manifest().raw_size_bytes();
    stored = backup->backup().manifest().stored_size_bytes();
    if (seconds <= 0) seconds = backup->backup().duration_s();
  }
  *options_.out << "backup " << job.backup_id() << " completed: " << HumanBytes(raw) << " -> "
                << HumanBytes(stored) << " (" << Ratio(raw, stored) << ") in "
                << FormatSeconds(seconds) << "s\n";
  return absl::OkStatus();
}

}  // namespace dbdump
