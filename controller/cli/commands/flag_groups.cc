#include "controller/cli/commands/flag_groups.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/database_tls.h"
#include "common/base/status_macros.h"
#include "common/s3/sts_credentials_provider.h"
#include "controller/cli/args/cli_error.h"
#include "controller/cli/args/value_checks.h"
#include "dbdump/v1/controller_service.pb.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump {
namespace {

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

}  // namespace

FlagGroup S3ConnectionFlags() {
  return {"S3 flags",
          {ValueFlag("endpoint", "URL"), ValueFlag("region", "R"), SwitchFlag("path-style"),
           ValueFlag("role-arn", "ARN"), ValueFlag("external-id", "ID"),
           ValueFlag("sts-endpoint", "URL"), ValueFlag("credentials-ref", "file:/path"),
           ValueFlag("profile", "NAME"), ValueFlag("ca-file", "/path")}};
}

FlagGroup RetentionFlags() {
  return {"retention flags",
          {ValueFlag("keep-last", "N"), ValueFlag("keep-within", "DURATION"),
           ValueFlag("keep-daily", "N"), ValueFlag("keep-weekly", "N"),
           ValueFlag("keep-monthly", "N"), ValueFlag("keep-yearly", "N")}};
}

FlagGroup DumpOptionFlags() {
  return {"dump options",
          {ValueFlag("format", "custom|plain"), SwitchFlag("schema-only"), SwitchFlag("data-only"),
           RepeatedFlag("table", "[SCHEMA.]TABLE"), RepeatedFlag("exclude-table", "[SCHEMA.]TABLE"),
           RepeatedFlag("schema", "SCHEMA"), RepeatedFlag("exclude-schema", "SCHEMA"),
           SwitchFlag("globals"), RepeatedFlag("also-database", "DB"),
           SwitchFlag("all-databases"), RepeatedFlag("namespace", "DB.COLLECTION"),
           RepeatedFlag("exclude-namespace", "DB.COLLECTION")}};
}

FlagGroup DatabaseTlsFlags() {
  return {"TLS flags",
          {ValueFlag("tls-mode", "MODE"), ValueFlag("tls-ca-file", "/path"),
           ValueFlag("tls-cert-file", "/path"), ValueFlag("tls-key-ref", "file:/path|env:NAME")}};
}

FlagGroup EncryptionFlags() {
  return {"encryption flags",
          {RepeatedFlag("encrypt-to", "age1..."),
           ValueFlag("encrypt-passphrase-ref", "file:/path|env:NAME")}};
}

std::vector<FlagGroup> SharedFlagGroups() {
  return {S3ConnectionFlags(), RetentionFlags(), DumpOptionFlags(), DatabaseTlsFlags(),
          EncryptionFlags()};
}

absl::Status ApplyEncryptionFlags(const ParsedArgs& args, v1::DatabaseTarget* target, bool* any) {
  *any = args.Has("encrypt-to") || args.Has("encrypt-passphrase-ref");
  if (!*any) return absl::OkStatus();
  v1::Encryption* e = target->mutable_encryption();
  e->Clear();
  for (const std::string& r : args.GetAll("encrypt-to")) {
    if (!absl::StartsWith(r, "age1")) {
      // Not repeated: it may be an identity, given by mistake.
      return UsageError(
          "a --encrypt-to value is not an age recipient: give the public key age-keygen printed "
          "(age1...), never the identity");
    }
    e->add_recipients(r);
  }
  if (args.Has("encrypt-passphrase-ref")) {
    if (e->recipients_size() > 0) {
      return UsageError(
          "--encrypt-passphrase-ref and --encrypt-to exclude each other: encrypt to age "
          "recipients or with a passphrase");
    }
    e->set_passphrase_ref(args.Get("encrypt-passphrase-ref"));
    RETURN_IF_ERROR(CheckPassphraseRef(e->passphrase_ref()));
  }
  return absl::OkStatus();
}

absl::Status ApplyDatabaseTlsFlags(const ParsedArgs& args, v1::DatabaseTarget* target,
                                   google::protobuf::FieldMask* mask) {
  v1::DatabaseTls* tls = target->mutable_tls();
  auto named = [&](const char* path) {
    if (mask != nullptr) mask->add_paths(absl::StrCat("target.tls.", path));
  };
  if (args.Has("tls-mode")) {
    // "default": back to the client's default.
    v1::DatabaseTlsMode mode = v1::DATABASE_TLS_MODE_UNSPECIFIED;
    if (args.Get("tls-mode") != "default") {
      absl::StatusOr<v1::DatabaseTlsMode> parsed = ParseDatabaseTlsMode(args.Get("tls-mode"));
      if (!parsed.ok()) return UsageError(std::string(parsed.status().message()));
      mode = *parsed;
    }
    tls->set_mode(mode);
    named("mode");
  }
  if (args.Has("tls-ca-file")) {
    tls->set_ca_file(args.Get("tls-ca-file"));
    if (!tls->ca_file().empty()) RETURN_IF_ERROR(CheckAbsolutePath("tls-ca-file", tls->ca_file()));
    named("ca_file");
  }
  if (args.Has("tls-cert-file")) {
    tls->set_cert_file(args.Get("tls-cert-file"));
    if (!tls->cert_file().empty()) {
      RETURN_IF_ERROR(CheckAbsolutePath("tls-cert-file", tls->cert_file()));
    }
    named("cert_file");
  }
  if (args.Has("tls-key-ref")) {
    tls->set_key_ref(args.Get("tls-key-ref"));
    if (!tls->key_ref().empty() &&
        !absl::StartsWith(tls->key_ref(), "file:/") && !absl::StartsWith(tls->key_ref(), "env:")) {
      // Not echoed: whoever gets it wrong may have pasted the key.
      return UsageError(
          "--tls-key-ref must be file:/absolute/path or env:NAME, naming where the agent reads "
          "the client key on its host; the key itself is never given to dbdumpctl");
    }
    named("key_ref");
  }
  if (mask == nullptr) {
    // A new database: the whole combination can be checked here already.
    absl::Status st = ValidateDatabaseTls(*target);
    if (!st.ok()) return UsageError(std::string(st.message()));
  }
  return absl::OkStatus();
}

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
  if (args.Has("profile")) {
    // A profile of the reader's shared AWS files: a name, not a secret.
    dest->set_profile(args.Get("profile"));
    if (dest->profile().empty() ||
        dest->profile().find_first_not_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != std::string::npos) {
      return UsageError(absl::StrCat("--profile \"", dest->profile(),
                                     "\" is not a profile name (letters, digits, '.', '_', '-')"));
    }
    if (args.Has("credentials-ref")) {
      return UsageError("--profile and --credentials-ref name two sources of keys: give one");
    }
  }
  if (args.Has("ca-file")) {
    dest->set_ca_file(args.Get("ca-file"));
    RETURN_IF_ERROR(CheckAbsolutePath("ca-file", dest->ca_file()));
  }
  return absl::OkStatus();
}

absl::Status ParseRetention(const ParsedArgs& args, v1::RetentionRules* rules, bool* any) {
  v1::RetentionRules r;
  *any = false;
  struct Count {
    const char* flag;
    void (v1::RetentionRules::*set)(uint32_t);
  };
  for (const Count& c : {Count{"keep-last", &v1::RetentionRules::set_keep_last},
                         Count{"keep-daily", &v1::RetentionRules::set_keep_daily},
                         Count{"keep-weekly", &v1::RetentionRules::set_keep_weekly},
                         Count{"keep-monthly", &v1::RetentionRules::set_keep_monthly},
                         Count{"keep-yearly", &v1::RetentionRules::set_keep_yearly}}) {
    if (!args.Has(c.flag)) continue;
    ASSIGN_OR_RETURN(uint32_t n, args.GetUint32(c.flag, 0, 0, 100000));
    (r.*c.set)(n);
    *any = true;
  }
  if (args.Has("keep-within")) {
    ASSIGN_OR_RETURN(uint64_t s, ParseDurationFlag(args, "keep-within"));
    r.set_keep_within_s(s);
    *any = true;
  }
  *rules = std::move(r);
  return absl::OkStatus();
}

}  // namespace dbdump
