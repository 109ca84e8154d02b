// "storage add|list|show|update|remove|reconcile": where the agents write backups, a local
// directory on the agent's host or an S3 bucket.
#include <cstdint>
#include <iterator>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "common/s3/s3_client.h"
#include "common/storage/backup_layout.h"
#include "common/storage/object_lock.h"
#include "controller/cli/args/cli_error.h"
#include "controller/cli/args/value_checks.h"
#include "controller/cli/client/controller_client.h"
#include "controller/cli/commands/command_context.h"
#include "controller/cli/commands/flag_groups.h"
#include "controller/cli/commands/verb_table.h"
#include "controller/cli/output/formatting.h"
#include "controller/cli/output/table_printer.h"

namespace dbdump {
namespace {

absl::StatusOr<v1::StorageKind> ParseStorageKind(const std::string& name) {
  if (name == "local") return v1::STORAGE_KIND_LOCAL;
  if (name == "s3") return v1::STORAGE_KIND_S3;
  return UsageError(
      absl::StrCat("unknown storage kind \"", name, "\": use --kind=local or --kind=s3"));
}

// Flags of "storage add" that say how the agent writes to a bucket.
constexpr const char* kS3WriteFlags[] = {"bucket",        "sse",       "kms-key-id",
                                         "storage-class", "part-size", "upload-concurrency",
                                         "max-parts",     "object-lock", "object-lock-retain",
                                         "object-lock-until-retention"};

// S3's multipart limits; the controller checks them too.
constexpr uint64_t kMinPartSizeBytes = uint64_t{5} << 20;
constexpr uint64_t kMaxPartSizeBytes = uint64_t{5} << 30;
constexpr uint32_t kMaxUploadConcurrency = 64;

absl::Status CheckPrefix(const std::string& prefix) {
  if (ValidateObjectKey(prefix).ok()) return absl::OkStatus();
  return UsageError(absl::StrCat("--prefix \"", prefix,
                                 "\" must be relative, without empty, \".\" or \"..\" segments"));
}

// Records `path` in `mask` (null for "storage add", which sends everything).
void Touch(google::protobuf::FieldMask* mask, const std::string& path) {
  if (mask != nullptr) mask->add_paths(path);
}

absl::Status SetBucket(const ParsedArgs& args, v1::StorageDestination* storage) {
  storage->set_bucket(args.Get("bucket"));
  absl::Status bucket = ValidateBucketName(storage->bucket());
  if (!bucket.ok()) return UsageError(absl::StrCat("--bucket: ", bucket.message()));
  return absl::OkStatus();
}

// --object-lock=governance|compliance|none with --object-lock-retain=PERIOD
// and/or --object-lock-until-retention: the whole lock is replaced (one
// update mask path), so an update names all it wants.
absl::Status ApplyObjectLockFlags(const ParsedArgs& args, v1::StorageDestination* storage,
                                  google::protobuf::FieldMask* mask) {
  bool retain = args.Has("object-lock-retain");
  bool until = args.Has("object-lock-until-retention");
  if (!args.Has("object-lock")) {
    if (retain || until) {
      return UsageError(absl::StrCat("--", retain ? "object-lock-retain" : "object-lock-until-retention",
                                     " needs --object-lock=governance or --object-lock=compliance"));
    }
    return absl::OkStatus();
  }
  const std::string mode = args.Get("object-lock");
  v1::ObjectLock lock;
  if (mode == "governance") {
    lock.set_mode(v1::OBJECT_LOCK_MODE_GOVERNANCE);
  } else if (mode == "compliance") {
    lock.set_mode(v1::OBJECT_LOCK_MODE_COMPLIANCE);
  } else if (mode != "none") {
    return UsageError(absl::StrCat("--object-lock must be governance, compliance or none, not \"",
                                   mode, "\""));
  }
  if (mode == "none") {
    if (retain || until) {
      return UsageError("--object-lock=none takes neither --object-lock-retain nor "
                        "--object-lock-until-retention");
    }
  } else {
    if (!retain && !until) {
      return UsageError(absl::StrCat("--object-lock=", mode, " needs a period "
                                     "(--object-lock-retain=30d) or --object-lock-until-retention"));
    }
    if (retain) {
      ASSIGN_OR_RETURN(uint64_t s, ParseDurationFlag(args, "object-lock-retain"));
      if (s == 0) return UsageError("--object-lock-retain must be longer than 0");
      lock.set_retain_s(s);
    }
    lock.set_until_retention(until);
  }
  if (mode == "none") {
    storage->clear_object_lock();
  } else {
    *storage->mutable_object_lock() = lock;
  }
  Touch(mask, "object_lock");
  return absl::OkStatus();
}

// --sse, --kms-key-id, --storage-class, --part-size, --upload-concurrency,
// --max-parts: each given one is checked, set and recorded in `mask` (null
// for "storage add": a new destination).
absl::Status ApplyS3WriteFlags(const ParsedArgs& args, v1::StorageDestination* storage,
                               google::protobuf::FieldMask* mask) {
  if (args.Has("sse")) {
    storage->set_sse(args.Get("sse"));
    if (storage->sse() != "AES256" && storage->sse() != "aws:kms") {
      return UsageError(
          absl::StrCat("--sse must be AES256 or aws:kms, not \"", storage->sse(), "\""));
    }
    Touch(mask, "sse");
  }
  if (args.Has("kms-key-id")) {
    // A new destination has no KMS encryption unless --sse=aws:kms says so;
    // an updated one may have it already.
    if (mask == nullptr && storage->sse() != "aws:kms") {
      return UsageError("--kms-key-id needs --sse=aws:kms");
    }
    storage->set_kms_key_id(args.Get("kms-key-id"));
    Touch(mask, "kms_key_id");
  }
  if (args.Has("storage-class")) {
    storage->set_storage_class(args.Get("storage-class"));
    Touch(mask, "storage_class");
  }
  if (args.Has("part-size")) {
    ASSIGN_OR_RETURN(uint64_t part_size, args.GetByteSize("part-size", 0));
    if (part_size < kMinPartSizeBytes || part_size > kMaxPartSizeBytes) {
      return UsageError(
          absl::StrCat("--part-size must be from 5MiB to 5GiB (S3's part limits), not \"",
                       args.Get("part-size"), "\""));
    }
    storage->set_part_size_bytes(part_size);
    Touch(mask, "part_size_bytes");
  }
  if (args.Has("upload-concurrency")) {
    ASSIGN_OR_RETURN(uint32_t n, args.GetUint32("upload-concurrency", 0, 1, kMaxUploadConcurrency));
    storage->set_upload_concurrency(n);
    Touch(mask, "upload_concurrency");
  }
  if (args.Has("max-parts")) {
    // Servers other than AWS may allow fewer parts (Swift's s3api: 1000).
    ASSIGN_OR_RETURN(uint32_t n, args.GetUint32("max-parts", 0, 10, 10000));
    storage->set_max_parts(n);
    Touch(mask, "max_parts");
  }
  return ApplyObjectLockFlags(args, storage, mask);
}

// --probe-agent / --skip-probe of "storage add" and "storage update".
template <typename Request>
absl::Status ApplyProbeFlags(const ParsedArgs& args, Request* req) {
  if (args.Has("probe-agent")) {
    if (args.Has("skip-probe")) {
      return UsageError("--probe-agent and --skip-probe contradict each other: give one of them");
    }
    req->set_probe_agent(args.Get("probe-agent"));
    RETURN_IF_ERROR(CheckName("agent name", req->probe_agent()));
  }
  req->set_skip_probe(args.Has("skip-probe"));
  return absl::OkStatus();
}

// The flags "storage add" and "storage update" share: every setting but the
// kind, the S3 connection's, and the probe's.
std::vector<FlagSpec> StorageSettingFlags() {
  std::vector<FlagSpec> flags = {ValueFlag("path", "/abs/dir"),
                                 ValueFlag("prefix", "P"),
                                 ValueFlag("bucket", "B"),
                                 ValueFlag("sse", "AES256|aws:kms"),
                                 ValueFlag("kms-key-id", "K"),
                                 ValueFlag("storage-class", "C"),
                                 ValueFlag("part-size", "SIZE"),
                                 ValueFlag("upload-concurrency", "N"),
                                 ValueFlag("max-parts", "N"),
                                 ValueFlag("object-lock", "governance|compliance|none"),
                                 ValueFlag("object-lock-retain", "DURATION"),
                                 SwitchFlag("object-lock-until-retention"),
                                 ValueFlag("probe-agent", "AGENT"),
                                 SwitchFlag("skip-probe")};
  const FlagGroup s3 = S3ConnectionFlags();
  flags.insert(flags.end(), s3.flags.begin(), s3.flags.end());
  return flags;
}

absl::Status StorageAdd(CommandContext& context, const ParsedArgs& args) {
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
  RETURN_IF_ERROR(ApplyProbeFlags(args, &req));

  if (kind == v1::STORAGE_KIND_LOCAL) {
    std::vector<std::string> s3_only;
    for (const FlagSpec& flag : S3ConnectionFlags().flags) s3_only.push_back(flag.name);
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
    RETURN_IF_ERROR(SetBucket(args, storage));
    RETURN_IF_ERROR(ApplyS3ConnectionFlags(args, "the agent (on its host)", storage));
    RETURN_IF_ERROR(ApplyS3WriteFlags(args, storage, /*mask=*/nullptr));
  }

  ASSIGN_OR_RETURN(v1::AddStorageResponse resp, context.client().AddStorage(req));
  if (context.json()) return context.PrintJson(resp);
  const v1::StorageDestination& added = resp.has_storage() ? resp.storage() : *storage;
  std::ostream& out = context.out();
  out << "storage \"" << added.name() << "\" added (";
  if (added.kind() == v1::STORAGE_KIND_S3) {
    out << StorageLocation(added) << (req.skip_probe() ? ", not probed" : ", probed");
  } else {
    out << StorageKindName(added.kind()) << " " << StorageLocation(added)
        << (req.skip_probe() ? ", not probed" : "");
  }
  out << ")\n";
  return absl::OkStatus();
}

absl::Status StorageList(CommandContext& context, const ParsedArgs& args) {
  v1::ListStoragesRequest req;
  RETURN_IF_ERROR(ApplyPageFlags(args, &req));
  ASSIGN_OR_RETURN(v1::ListStoragesResponse resp, context.client().ListStorages(req));
  if (context.json()) return context.PrintJson(resp);
  // The lock's column only where some storage locks (surplus cells drop).
  std::vector<std::string> header = {"NAME", "KIND", "LOCATION", "REGION", "ENDPOINT", "ROLE"};
  for (const v1::StorageDestination& s : resp.storages()) {
    if (HasObjectLock(s)) {
      header.push_back("OBJECT LOCK");
      break;
    }
  }
  TablePrinter table(header);
  for (const v1::StorageDestination& s : resp.storages()) {
    table.AddRow({s.name(), StorageKindName(s.kind()), StorageLocation(s), s.region(), s.endpoint(),
                  s.role_arn(), HasObjectLock(s) ? DescribeObjectLock(s.object_lock()) : ""});
  }
  table.Print(context.out());
  PrintNextPage(context, "storages", resp.next_page_token());
  return absl::OkStatus();
}

absl::Status StorageShow(CommandContext& context, const ParsedArgs& args) {
  v1::GetStorageRequest req;
  req.set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("storage name", req.name()));
  ASSIGN_OR_RETURN(v1::GetStorageResponse resp, context.client().GetStorage(req));
  if (context.json()) return context.PrintJson(resp);
  const v1::StorageDestination& s = resp.storage();
  std::vector<std::pair<std::string, std::string>> fields = {
      {"name", s.name()}, {"kind", StorageKindName(s.kind())}, {"location", StorageLocation(s)}};
  if (s.kind() == v1::STORAGE_KIND_S3) {
    fields.insert(fields.end(), {{"region", s.region()},
                                 {"endpoint", s.endpoint()},
                                 {"path style", s.path_style() ? "yes" : "no"},
                                 {"role", s.role_arn()},
                                 {"sts endpoint", s.sts_endpoint()},
                                 {"credentials ref", s.credentials_ref()},
                                 {"profile", s.profile()},
                                 {"sse", s.sse()},
                                 {"storage class", s.storage_class()},
                                 {"ca file", s.ca_file()},
                                 {"object lock", DescribeObjectLock(s.object_lock())}});
  }
  PrintFields(context.out(), fields);
  return absl::OkStatus();
}

// Each flag given sets one field and names it in the update mask. S3
// connection flags are checked as "storage add" checks them.
absl::Status StorageUpdate(CommandContext& context, const ParsedArgs& args) {
  v1::UpdateStorageRequest req;
  req.set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("storage name", req.name()));
  v1::StorageDestination* storage = req.mutable_storage();
  google::protobuf::FieldMask* mask = req.mutable_update_mask();
  if (args.Has("path")) {
    storage->set_path(args.Get("path"));
    RETURN_IF_ERROR(CheckAbsolutePath("path", storage->path()));
    mask->add_paths("path");
  }
  if (args.Has("prefix")) {
    storage->set_prefix(args.Get("prefix"));
    RETURN_IF_ERROR(CheckPrefix(storage->prefix()));
    mask->add_paths("prefix");
  }
  if (args.Has("bucket")) {
    RETURN_IF_ERROR(SetBucket(args, storage));
    mask->add_paths("bucket");
  }
  RETURN_IF_ERROR(ApplyS3ConnectionFlags(args, "the agent (on its host)", storage));
  for (const FlagSpec& flag : S3ConnectionFlags().flags) {
    if (args.Has(flag.name)) mask->add_paths(absl::StrReplaceAll(flag.name, {{"-", "_"}}));
  }
  RETURN_IF_ERROR(ApplyS3WriteFlags(args, storage, mask));
  if (mask->paths().empty()) {
    return UsageError(
        "nothing to update: give the fields to change, e.g. --region=R or --ca-file=F");
  }
  RETURN_IF_ERROR(ApplyProbeFlags(args, &req));
  ASSIGN_OR_RETURN(v1::UpdateStorageResponse resp, context.client().UpdateStorage(req));
  if (context.json()) return context.PrintJson(resp);
  context.out() << "storage \"" << req.name()
                << "\" updated: " << absl::StrJoin(mask->paths(), ", ")
                << (req.skip_probe() ? " (not probed)" : "") << "\n";
  return absl::OkStatus();
}

absl::Status StorageRemove(CommandContext& context, const ParsedArgs& args) {
  v1::RemoveStorageRequest req;
  req.set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("storage name", req.name()));
  ASSIGN_OR_RETURN(v1::RemoveStorageResponse resp, context.client().RemoveStorage(req));
  if (context.json()) return context.PrintJson(resp);
  context.out() << "storage \"" << req.name() << "\" removed\n";
  return absl::OkStatus();
}

const char* ActionKindName(v1::ReconcileActionKind k) {
  switch (k) {
    case v1::RECONCILE_ACTION_ADOPT: return "adopt";
    case v1::RECONCILE_ACTION_MARK_MISSING: return "missing";
    case v1::RECONCILE_ACTION_MARK_FOUND: return "found";
    case v1::RECONCILE_ACTION_REMOVE_OBJECT: return "remove";
    case v1::RECONCILE_ACTION_ABORT_UPLOAD: return "abort";
    case v1::RECONCILE_ACTION_KEEP: return "keep";
    default: return "?";
  }
}

absl::Status StorageReconcile(CommandContext& context, const ParsedArgs& args) {
  v1::ReconcileStorageRequest req;
  req.set_name(args.positionals()[0]);
  RETURN_IF_ERROR(CheckName("storage name", req.name()));
  req.set_dry_run(args.Has("dry-run"));
  if (args.Has("min-age")) {
    ASSIGN_OR_RETURN(uint64_t min_age_s, ParseDurationFlag(args, "min-age"));
    if (min_age_s == 0 || min_age_s > UINT32_MAX) {
      return UsageError("--min-age must be at least 1s (leftovers younger than it are kept)");
    }
    req.set_min_age_s(static_cast<uint32_t>(min_age_s));
  }
  if (args.Has("via")) {
    req.set_agent(args.Get("via"));
    RETURN_IF_ERROR(CheckName("agent name", req.agent()));
  }
  ASSIGN_OR_RETURN(v1::ReconcileStorageResponse resp, context.client().ReconcileStorage(req));
  if (context.json()) return context.PrintJson(resp);
  TablePrinter table({"ACTION", "BACKUP", "KEY", "REASON", "DONE"});
  int done = 0, failed = 0;
  for (const v1::ReconcileAction& a : resp.actions()) {
    std::string state = a.error().empty() ? (a.done() ? "yes" : "no") : "error: " + a.error();
    if (a.done()) ++done;
    if (!a.error().empty()) ++failed;
    std::string backup = a.backup_id().empty() ? "" : absl::StrCat(a.database(), "/", a.backup_id());
    table.AddRow({ActionKindName(a.kind()), backup, a.key(), a.reason(), state});
  }
  if (resp.actions_size() > 0) table.Print(context.out());
  context.out() << "storage \"" << req.name() << "\" reconciled through agent \"" << resp.agent()
                << "\"" << (resp.dry_run() ? " (dry run: nothing changed)" : "") << ": "
                << resp.objects_seen() << " objects (" << resp.objects_ignored()
                << " outside dbdump's layout, left alone), " << resp.manifests_seen()
                << " manifests, " << resp.backups_catalogued() << " backups catalogued; "
                << resp.actions_size() << " actions, " << done << " done, " << failed
                << " failed\n";
  return failed > 0 ? absl::AbortedError(absl::StrCat(failed, " actions failed: see the table"))
                    : absl::OkStatus();
}

}  // namespace

std::vector<VerbSpec> StorageVerbs() {
  VerbSpec add;
  add.noun = "storage";
  add.verb = "add";
  add.positionals = {"NAME"};
  add.flags = {ValueFlag("kind", "local|s3", /*required=*/true)};
  const std::vector<FlagSpec> settings = StorageSettingFlags();
  add.flags.insert(add.flags.end(), settings.begin(), settings.end());
  // One form per kind: each takes flags the other refuses.
  add.forms = {
      "{kind=local} {-path} {prefix} {probe-agent} {skip-probe}",
      "{kind=s3} {-bucket} {prefix} {region} {endpoint} {path-style}\n"
      "{role-arn} {external-id} {sts-endpoint}\n"
      "{sse} {kms-key-id} {storage-class}\n"
      "{credentials-ref} {part-size} {upload-concurrency}\n"
      "{profile} {max-parts} {ca-file} {probe-agent} {skip-probe}\n"
      "{object-lock} {object-lock-retain} {object-lock-until-retention}"};
  add.synopsis = "{kind=local} {-path} | {kind=s3} {-bucket} [...]";
  add.run = StorageAdd;

  VerbSpec list;
  list.noun = "storage";
  list.verb = "list";
  list.flags = {ValueFlag("limit", "N"), ValueFlag("page-token", "T")};
  list.run = StorageList;

  VerbSpec show;
  show.noun = "storage";
  show.verb = "show";
  show.positionals = {"NAME"};
  show.run = StorageShow;

  VerbSpec update;
  update.noun = "storage";
  update.verb = "update";
  update.positionals = {"NAME"};
  update.flags = settings;
  update.forms = {
      "{path} {prefix} {bucket} {region} {endpoint}\n"
      "{path-style} {role-arn} {external-id} {sts-endpoint}\n"
      "{sse} {kms-key-id} {storage-class}\n"
      "{credentials-ref} {part-size} {upload-concurrency}\n"
      "{profile} {max-parts} {ca-file} {probe-agent} {skip-probe}\n"
      "{object-lock} {object-lock-retain} {object-lock-until-retention}"};
  update.run = StorageUpdate;

  VerbSpec remove;
  remove.noun = "storage";
  remove.verb = "remove";
  remove.positionals = {"NAME"};
  remove.run = StorageRemove;

  VerbSpec reconcile;
  reconcile.noun = "storage";
  reconcile.verb = "reconcile";
  reconcile.positionals = {"NAME"};
  reconcile.flags = {SwitchFlag("dry-run"), ValueFlag("min-age", "DURATION"),
                     ValueFlag("via", "AGENT")};
  reconcile.run = StorageReconcile;
  return {add, list, show, update, remove, reconcile};
}

}  // namespace dbdump
