#include "controller/cli/commands.h"

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/compression.h"
#include "common/names.h"
#include "common/status_macros.h"
#include "controller/cli/cli_error.h"
#include "controller/cli/controller_client.h"
#include "controller/cli/formatting.h"
#include "controller/cli/progress_printer.h"
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
  if (name == "postgres") return v1::ENGINE_POSTGRES;
  if (name == "sqlite") return v1::ENGINE_SQLITE;
  return UsageError(
      absl::StrCat("unknown engine \"", name, "\": use --engine=postgres or --engine=sqlite"));
}

absl::StatusOr<v1::StorageKind> ParseStorageKind(const std::string& name) {
  if (name == "local") return v1::STORAGE_KIND_LOCAL;
  return UsageError(absl::StrCat("unknown storage kind \"", name, "\": use --kind=local"));
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

  if (engine == v1::ENGINE_SQLITE) {
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
      return UsageError("--path is for sqlite databases: give postgres ones --dbname=DB");
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
  storage->set_path(args.Get("path"));
  RETURN_IF_ERROR(CheckAbsolutePath("path", storage->path()));
  storage->set_prefix(args.Get("prefix"));

  ASSIGN_OR_RETURN(v1::AddStorageResponse resp, client().AddStorage(req));
  if (json()) return PrintJson(resp);
  const v1::StorageDestination& added = resp.has_storage() ? resp.storage() : *storage;
  *options_.out << "storage \"" << added.name() << "\" added (" << StorageKindName(added.kind())
                << " " << added.path() << ")\n";
  return absl::OkStatus();
}

absl::Status Commands::StorageList(const ParsedArgs& args) {
  ASSIGN_OR_RETURN(v1::ListStoragesResponse resp, client().ListStorages(v1::ListStoragesRequest()));
  if (json()) return PrintJson(resp);
  TablePrinter table({"NAME", "KIND", "PATH", "PREFIX"});
  for (const v1::StorageDestination& s : resp.storages()) {
    table.AddRow({s.name(), StorageKindName(s.kind()), s.path(), s.prefix()});
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
  PrintFields(*options_.out,
              {{"id", b.id()},
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
               {"manifest version", absl::StrCat(m.format_version())}});
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

  ASSIGN_OR_RETURN(v1::StartRestoreResponse resp, client().StartRestore(req));
  bool wait = args.Has("wait");
  if (json() && !wait) return PrintJson(resp);
  if (!json()) {
    *options_.out << "restore job " << resp.job().id() << " queued: backup " << req.backup_id()
                  << " into " << req.target() << "\n";
  }
  if (!wait) return absl::OkStatus();
  return Follow(resp.job().id(), req.target());
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
  if (!any || !IsTerminal(last.state())) {
    return absl::UnavailableError(absl::StrCat("the controller stopped streaming job ", job_id,
                                               " before it finished: run \"dbdumpctl job wait ",
                                               job_id, "\" to follow it again"));
  }
  if (last.restore_target().empty()) last.set_restore_target(restore_target);
  return PrintOutcome(last);
}

absl::Status Commands::PrintOutcome(const v1::Job& job) {
  if (json()) RETURN_IF_ERROR(PrintJson(job));
  if (job.state() != v1::JOB_STATE_SUCCEEDED) {
    std::string message = absl::StrCat("job ", job.id(), " ", JobStateName(job.state()));
    if (!job.error().empty()) absl::StrAppend(&message, ": ", job.error());
    return JobEndedError(message);
  }
  if (json()) return absl::OkStatus();

  if (job.kind() == v1::JOB_KIND_RESTORE) {
    *options_.out << "restore completed into " << job.restore_target() << "\n";
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
