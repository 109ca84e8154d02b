// "s3 list|restore": read a bucket directly from this machine, with no
// controller: the manifests there are the catalogue. The work itself is in
// bucket/stored_backups.cc; this file turns the command line into it.
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/base/status_macros.h"
#include "common/storage/backup_layout.h"
#include "common/storage/storage.h"
#include "controller/cli/args/cli_error.h"
#include "controller/cli/args/s3_url.h"
#include "controller/cli/args/value_checks.h"
#include "controller/cli/bucket/stored_backups.h"
#include "controller/cli/commands/command_context.h"
#include "controller/cli/commands/flag_groups.h"
#include "controller/cli/commands/verb_table.h"

namespace dbdump {
namespace {

// The destination an s3://BUCKET[/PREFIX] argument and the connection flags
// name.
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

// The default opener: OpenStorage, with the credentials errors worded for
// dbdumpctl (common/ words them for the agent). Without --credentials-ref the
// AWS credential chain decides (environment, web identity, profiles,
// container, instance metadata), as on an agent.
absl::StatusOr<std::unique_ptr<Storage>> OpenBucket(const v1::StorageDestination& dest) {
  absl::StatusOr<std::unique_ptr<Storage>> storage = OpenStorage(dest);
  if (storage.ok()) return storage;
  return absl::Status(storage.status().code(),
                      absl::StrReplaceAll(storage.status().message(),
                                          {{" on the agent host", " on this machine"}}));
}

absl::StatusOr<std::unique_ptr<Storage>> Open(CommandContext& context,
                                              const v1::StorageDestination& dest) {
  if (context.options().open_storage) return context.options().open_storage(dest);
  return OpenBucket(dest);
}

// Usage errors are the command line's and need no context.
absl::Status WithContext(const absl::Status& status, const std::string& context) {
  if (status.ok() || IsUsageError(status)) return status;
  return absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
}

absl::Status S3List(CommandContext& context, const ParsedArgs& args) {
  const std::string& url = args.positionals()[0];
  ASSIGN_OR_RETURN(v1::StorageDestination dest, BucketDestination(args, url));
  StoredBackupsListing listing;
  listing.prefix = dest.prefix();
  if (args.Has("database")) {
    listing.database = args.Get("database");
    RETURN_IF_ERROR(CheckName("database name", listing.database));
  }
  listing.format = context.options().format;
  listing.out = &context.out();
  listing.err = &context.err();
  absl::StatusOr<std::unique_ptr<Storage>> storage = Open(context, dest);
  RETURN_IF_ERROR(WithContext(storage.status(), absl::StrCat("cannot open ", url)));
  return WithContext(ListStoredBackups(storage->get(), listing),
                     absl::StrCat("cannot list the backups in ", url));
}

absl::Status S3Restore(CommandContext& context, const ParsedArgs& args) {
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
  if (args.Has("identity")) {
    restore.identity_ref = args.Get("identity");
    RETURN_IF_ERROR(CheckIdentityRef(restore.identity_ref));
  }
  restore.format = context.options().format;
  restore.out = &context.out();
  restore.err = &context.err();
  restore.stderr_is_tty = context.options().stderr_is_tty;
  restore.terminal_columns = context.options().terminal_columns;
  restore.now = context.options().now;
  restore.handle_interrupts = context.options().handle_interrupts;
  absl::StatusOr<std::unique_ptr<Storage>> storage = Open(context, dest);
  RETURN_IF_ERROR(WithContext(storage.status(), absl::StrCat("cannot open ", url)));
  return RestoreStoredBackup(storage->get(), restore);
}

}  // namespace

std::vector<VerbSpec> S3Verbs() {
  const FlagGroup s3 = S3ConnectionFlags();

  VerbSpec list;
  list.noun = "s3";
  list.verb = "list";
  list.positionals = {"s3://BUCKET[/PREFIX]"};
  list.flags = {ValueFlag("database", "NAME")};
  list.flags.insert(list.flags.end(), s3.flags.begin(), s3.flags.end());
  list.forms = {"{database} [S3 flags]"};
  list.run = S3List;

  VerbSpec restore;
  restore.noun = "s3";
  restore.verb = "restore";
  restore.positionals = {"s3://BUCKET[/PREFIX]", "BACKUP_ID"};
  restore.flags = {ValueFlag("database", "NAME", /*required=*/true),
                   ValueFlag("target", "DBNAME_OR_PATH", /*required=*/true),
                   ValueFlag("host", "H"),
                   ValueFlag("port", "P"),
                   ValueFlag("user", "U"),
                   ValueFlag("password-ref", "file:/path|env:NAME"),
                   ValueFlag("identity", "file:/path|env:NAME")};
  restore.flags.insert(restore.flags.end(), s3.flags.begin(), s3.flags.end());
  restore.forms = {
      "{database} {target}\n{host} {port} {user} {password-ref} {identity} [S3 flags]"};
  restore.run = S3Restore;
  return {list, restore};
}

}  // namespace dbdump
