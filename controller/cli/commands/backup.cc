// "backup run|list|show|test-restore|verify|copy|delete" (and "download", in
// backup_download.cc): the backups in the controller's
// catalogue. ("restore" is commands/restore.cc.)
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/base/status_macros.h"
#include "common/io/compression.h"
#include "common/storage/object_lock.h"
#include "controller/cli/args/cli_error.h"
#include "controller/cli/args/value_checks.h"
#include "controller/cli/client/controller_client.h"
#include "controller/cli/commands/backup_download.h"
#include "controller/cli/commands/command_context.h"
#include "controller/cli/commands/job_follow.h"
#include "controller/cli/commands/verb_table.h"
#include "controller/cli/output/formatting.h"
#include "controller/cli/output/table_printer.h"

namespace dbdump {
namespace {

// "age, 2 recipients: age1..., age1..." / "age, passphrase" / "none".
std::string ManifestEncryptionText(const v1::ManifestEncryption& e) {
  if (e.format().empty()) return "none";
  if (e.passphrase()) return "age, passphrase (scrypt)";
  return absl::StrCat("age, ", e.recipients_size(), " recipient",
                      e.recipients_size() == 1 ? "" : "s", ": ",
                      absl::StrJoin(e.recipients(), ", "));
}

absl::Status BackupRun(CommandContext& context, const ParsedArgs& args) {
  v1::StartBackupRequest req;
  req.set_database(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("database name", req.database()));
  absl::StatusOr<v1::Compression> compression = ParseCompression(args.Get("compression"));
  if (!compression.ok()) return UsageError(compression.status().message());
  req.set_compression(*compression);
  ASSIGN_OR_RETURN(int32_t level, args.GetInt32("level", 0));
  req.set_compression_level(level);

  ASSIGN_OR_RETURN(v1::StartBackupResponse resp, context.client().StartBackup(req));
  bool wait = args.Has("wait");
  if (context.json() && !wait) return context.PrintJson(resp);
  if (!context.json()) {
    context.out() << "backup job " << resp.job().id() << " queued for " << req.database() << "\n";
  }
  if (!wait) return absl::OkStatus();
  return FollowJobToEnd(context, resp.job().id(), "");
}

absl::Status BackupList(CommandContext& context, const ParsedArgs& args) {
  v1::ListBackupsRequest req;
  if (args.Has("database")) {
    req.set_database(args.Get("database"));
    RETURN_IF_ERROR(CheckName("database name", req.database()));
  }
  if (args.Has("state")) {
    const std::string state = args.Get("state");
    if (state == "completed") {
      req.set_state(v1::BACKUP_STATE_COMPLETED);
    } else if (state == "failed") {
      req.set_state(v1::BACKUP_STATE_FAILED);
    } else if (state == "deleted") {
      req.set_state(v1::BACKUP_STATE_DELETED);
    } else if (state == "missing") {
      req.set_state(v1::BACKUP_STATE_MISSING);
    } else {
      return UsageError("--state is completed, failed, deleted or missing");
    }
  }
  req.set_created_after(args.Get("since"));
  req.set_created_before(args.Get("until"));
  ASSIGN_OR_RETURN(uint32_t limit, args.GetUint32("limit", 100, 1, 1000));
  req.set_page_size(limit);
  req.set_page_token(args.Get("page-token"));
  ASSIGN_OR_RETURN(v1::ListBackupsResponse resp, context.client().ListBackups(req));
  if (context.json()) return context.PrintJson(resp);
  TablePrinter table(
      {"ID", "DATABASE", "STATE", "SIZE", "RAW", "RATIO", "COMPRESSION", "DURATION", "CREATED"});
  for (const v1::Backup& b : resp.backups()) {
    const v1::Manifest& m = b.manifest();
    table.AddRow(
        {b.id(), b.database(), BackupStateName(b.state()), HumanBytes(m.stored_size_bytes()),
         HumanBytes(m.raw_size_bytes()), RatioText(m.raw_size_bytes(), m.stored_size_bytes()),
         CompressionName(m.compression()), HumanSeconds(b.duration_s()), b.created_at()});
  }
  table.Print(context.out());
  if (!resp.next_page_token().empty()) {
    // On stderr, so the table stays the only thing on stdout.
    context.err() << "more backups: repeat with --page-token=" << resp.next_page_token() << "\n";
  }
  return absl::OkStatus();
}

absl::Status BackupShow(CommandContext& context, const ParsedArgs& args) {
  v1::GetBackupRequest req;
  req.set_id(args.positionals()[0]);
  RETURN_IF_ERROR(CheckId("backup id", req.id()));
  ASSIGN_OR_RETURN(v1::GetBackupResponse resp, context.client().GetBackup(req));
  if (context.json()) return context.PrintJson(resp);
  const v1::Backup& b = resp.backup();
  const v1::Manifest& m = b.manifest();
  std::string compression = CompressionName(m.compression());
  if (m.compression_level() != 0) {
    absl::StrAppend(&compression, " (level ", m.compression_level(), ")");
  }
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
      {"duration", HumanSeconds(b.duration_s())},
      {"engine", EngineName(m.engine())},
      {"server version", m.server_version()},
      {"tool version", m.tool_version()},
      {"dump format", m.dump_format()},
      {"compression", compression},
      {"dump object", m.dump_object()},
      {"raw size", ExactBytes(m.raw_size_bytes())},
      {"stored size", ExactBytes(m.stored_size_bytes())},
      {"ratio", RatioText(m.raw_size_bytes(), m.stored_size_bytes())},
      {"raw sha256", m.raw_sha256()},
      {"stored sha256", m.stored_sha256()},
      {"encryption", ManifestEncryptionText(m.encryption())},
      {"manifest version", absl::StrCat(m.format_version())}};
  if (!b.locked_until().empty()) {
    bool passed = TimeFromString(b.locked_until()) <= context.options().now();
    fields.insert(fields.begin() + 4,
                  {"object lock", absl::StrCat(passed ? "was locked (" : "locked (",
                                               LockModeName(b.lock_mode()), ") until ",
                                               b.locked_until(),
                                               passed ? "; may be deleted now" : "")});
  }
  if (b.state() == v1::BACKUP_STATE_MISSING) {
    fields.insert(fields.begin() + 4,
                  {"missing", absl::StrCat("since ", b.missing_since(), ": ", b.missing_reason(),
                                           " (it cannot be restored; see storage reconcile)")});
  }
  if (!b.found_at().empty()) {
    fields.push_back({"found", absl::StrCat(b.found_at(), " (catalogued by storage reconciliation "
                                                          "from a manifest found in storage)")});
  }
  std::string selective = DumpOptionsText(m.dump_options());
  fields.push_back({"dump options", selective.empty() ? "whole database" : selective});
  for (const v1::StoredObject& o : m.extra_objects()) {
    fields.push_back({o.role() + " object", absl::StrCat(o.object(), " (", o.dump_format(), ", ",
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
  fields.push_back({"tables", counted ? absl::StrCat(m.tables_size(), " (", rows, " rows)")
                                      : absl::StrCat(m.tables_size())});
  if (!b.verified_at().empty()) {
    fields.push_back({"verified", absl::StrCat(b.verified_at(), b.verify_error().empty()
                                                                    ? ": checksums match"
                                                                    : ": FAILED " + b.verify_error())});
  }
  if (b.test_restored_at().empty()) {
    fields.push_back({"test restore", "never"});
  } else {
    fields.push_back(
        {"test restore", absl::StrCat(b.test_restored_at(), b.test_restore_error().empty()
                                                                ? ": passed"
                                                                : ": FAILED " + b.test_restore_error())});
  }
  fields.push_back({"copies", b.copies().empty() ? "none" : absl::StrCat(b.copies_size())});
  PrintFields(context.out(), fields);
  if (!b.copies().empty()) {
    // Every copy destination with its own state; the primary is `storage`.
    context.out() << "\n";
    TablePrinter copies(
        {"COPY STORAGE", "STATE", "SIZE", "ATTEMPTS", "UPDATED", "LOCK", "VERIFIED", "ERROR"});
    for (const v1::BackupCopy& c : b.copies()) {
      std::string state(v1::BackupCopyState_Name(c.state()));
      state = absl::AsciiStrToLower(absl::StripPrefix(state, "BACKUP_COPY_STATE_"));
      std::string lock = "none";
      if (!c.locked_until().empty()) {
        std::string mode(v1::ObjectLockMode_Name(c.lock_mode()));
        lock = absl::StrCat(absl::AsciiStrToLower(absl::StripPrefix(mode, "OBJECT_LOCK_MODE_")),
                            " until ", c.locked_until());
      }
      std::string verified = "-";
      if (!c.verified_at().empty()) {
        verified = absl::StrCat(c.verified_at(), c.verify_error().empty() ? " ok" : " FAILED");
      }
      // The write's error, else a failed verification's.
      std::string error = !c.error().empty() ? c.error() : c.verify_error();
      copies.AddRow({c.storage(), state,
                     c.stored_size_bytes() > 0 ? HumanBytes(c.stored_size_bytes()) : "-",
                     absl::StrCat(c.attempts()),
                     c.state() == v1::BACKUP_COPY_STATE_DELETED ? c.deleted_at() : c.updated_at(),
                     lock, verified, error.empty() ? "-" : error});
    }
    copies.Print(context.out());
  }
  if (!b.test_restored_at().empty()) PrintRestoreReport(context.out(), b.test_restore_report());
  return absl::OkStatus();
}

absl::Status BackupTestRestore(CommandContext& context, const ParsedArgs& args) {
  v1::StartRestoreRequest req;
  req.set_backup_id(args.positionals()[0]);
  RETURN_IF_ERROR(CheckId("backup id", req.backup_id()));
  if (args.Has("via")) {
    req.set_via_database(args.Get("via"));
    RETURN_IF_ERROR(CheckName("database name", req.via_database()));
  }
  req.mutable_options()->set_test_restore(true);
  if (args.Has("identity")) {
    req.mutable_options()->set_identity_ref(args.Get("identity"));
    RETURN_IF_ERROR(CheckIdentityRef(req.options().identity_ref()));
  }
  ASSIGN_OR_RETURN(uint32_t jobs, args.GetUint32("jobs", 0, 1, 64));
  req.mutable_options()->set_jobs(jobs);
  return StartRestoreJob(context, req, args.Has("wait"));
}

absl::Status BackupVerify(CommandContext& context, const ParsedArgs& args) {
  v1::VerifyStoredBackupRequest req;
  req.set_backup_id(args.positionals()[0]);
  RETURN_IF_ERROR(CheckId("backup id", req.backup_id()));
  if (args.Has("storage")) {
    req.set_storage(args.Get("storage"));
    RETURN_IF_ERROR(CheckName("storage name", req.storage()));
  }
  ASSIGN_OR_RETURN(v1::VerifyStoredBackupResponse resp, context.client().VerifyBackup(req));
  if (context.json()) return context.PrintJson(resp);
  // The copy's result when a copy destination was named.
  std::string what = absl::StrCat("backup ", req.backup_id());
  std::string verified_at = resp.backup().verified_at();
  std::string error = resp.backup().verify_error();
  for (const v1::BackupCopy& c : resp.backup().copies()) {
    if (!req.storage().empty() && c.storage() == req.storage()) {
      what = absl::StrCat("the copy of backup ", req.backup_id(), " in ", c.storage());
      verified_at = c.verified_at();
      error = c.verify_error();
    }
  }
  if (!error.empty()) {
    return absl::DataLossError(absl::StrCat(what, " failed verification: ", error));
  }
  context.out() << what << " verified at " << verified_at;
  if (resp.backup().manifest().encryption().format().empty()) {
    context.out() << ": both sha256 checksums match the manifest\n";
  } else {
    context.out() << ": the stored sha256 matches the manifest (the backup is encrypted: its "
                     "chunks and raw checksum are checked by a restore or test restore, which "
                     "has the identity)\n";
  }
  return absl::OkStatus();
}

absl::Status BackupCopy(CommandContext& context, const ParsedArgs& args) {
  v1::CopyBackupRequest req;
  req.set_backup_id(args.positionals()[0]);
  RETURN_IF_ERROR(CheckId("backup id", req.backup_id()));
  if (!args.Has("to")) return UsageError("backup copy needs --to=STORAGE, a copy destination");
  req.set_storage(args.Get("to"));
  RETURN_IF_ERROR(CheckName("storage name", req.storage()));
  ASSIGN_OR_RETURN(v1::CopyBackupResponse resp, context.client().CopyBackup(req));
  bool wait = args.Has("wait");
  if (context.json() && !wait) return context.PrintJson(resp);
  if (!context.json()) {
    context.out() << "copy job " << resp.job().id() << " queued: backup " << req.backup_id()
                  << " to " << req.storage() << "\n";
  }
  if (!wait) return absl::OkStatus();
  return FollowJobToEnd(context, resp.job().id(), "");
}

// Asks nothing: naming the backup is the confirmation.
absl::Status BackupDelete(CommandContext& context, const ParsedArgs& args) {
  v1::DeleteBackupRequest req;
  req.set_id(args.positionals()[0]);
  RETURN_IF_ERROR(CheckId("backup id", req.id()));
  ASSIGN_OR_RETURN(v1::DeleteBackupResponse resp, context.client().DeleteBackup(req));
  if (context.json()) return context.PrintJson(resp);
  const int removed = resp.removed_keys_size();
  context.out() << "backup " << req.id() << " of " << resp.backup().database() << " deleted ("
                << removed << (removed == 1 ? " object" : " objects") << " removed from storage "
                << resp.backup().storage()
                << "); it stays in the catalogue as deleted\n";
  return absl::OkStatus();
}

}  // namespace

std::vector<VerbSpec> BackupVerbs() {
  VerbSpec run;
  run.noun = "backup";
  run.verb = "run";
  run.positionals = {"DATABASE"};
  run.flags = {ValueFlag("compression", "zstd|gzip|none"), ValueFlag("level", "N"),
               SwitchFlag("wait")};
  run.run = BackupRun;

  VerbSpec list;
  list.noun = "backup";
  list.verb = "list";
  list.flags = {ValueFlag("database", "NAME"), ValueFlag("state", "completed|failed|deleted|missing"),
                ValueFlag("since", "RFC3339"), ValueFlag("until", "RFC3339"),
                ValueFlag("limit", "N"), ValueFlag("page-token", "T")};
  list.run = BackupList;

  VerbSpec show;
  show.noun = "backup";
  show.verb = "show";
  show.positionals = {"BACKUP_ID"};
  show.run = BackupShow;

  VerbSpec test_restore;
  test_restore.noun = "backup";
  test_restore.verb = "test-restore";
  test_restore.positionals = {"BACKUP_ID"};
  test_restore.flags = {ValueFlag("via", "DATABASE"), ValueFlag("jobs", "N"),
                        ValueFlag("identity", "file:/path|env:NAME"), SwitchFlag("wait")};
  test_restore.run = BackupTestRestore;

  VerbSpec verify;
  verify.noun = "backup";
  verify.verb = "verify";
  verify.positionals = {"BACKUP_ID"};
  verify.flags = {ValueFlag("storage", "COPY_STORAGE")};
  verify.run = BackupVerify;

  VerbSpec copy;
  copy.noun = "backup";
  copy.verb = "copy";
  copy.positionals = {"BACKUP_ID"};
  copy.flags = {ValueFlag("to", "STORAGE"), SwitchFlag("wait")};
  copy.run = BackupCopy;

  VerbSpec remove;
  remove.noun = "backup";
  remove.verb = "delete";
  remove.positionals = {"BACKUP_ID"};
  remove.run = BackupDelete;
  return {run, list, show, test_restore, verify, copy, remove, BackupDownloadVerb()};
}

}  // namespace dbdump
