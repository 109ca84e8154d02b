// Flags that several verbs share, with the code that reads them: how to
// reach a bucket ("storage add --kind=s3" and the s3 verbs), retention rules
// ("schedule add", "retention plan|set") and what a backup holds ("database
// add"). Pure functions, thread-safe.
#pragma once

#include <string>

#include <google/protobuf/field_mask.pb.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "controller/cli/args/parsed_args.h"
#include "controller/cli/commands/verb_table.h"

namespace dbdump {

namespace v1 {
class DatabaseTarget;
class RetentionRules;
class StorageDestination;
}  // namespace v1

// "S3 flags": --endpoint, --region, --path-style, --role-arn, ...
FlagGroup S3ConnectionFlags();
// "retention flags": --keep-last, --keep-within, --keep-daily, ...
FlagGroup RetentionFlags();
// "dump options": --format, --schema-only, --table, ...
FlagGroup DumpOptionFlags();
// "TLS flags": --tls-mode, --tls-ca-file, --tls-cert-file, --tls-key-ref
FlagGroup DatabaseTlsFlags();
// "encryption flags": --encrypt-to (repeated), --encrypt-passphrase-ref
FlagGroup EncryptionFlags();
// All of the above, for the help text's check that every flag is documented.
std::vector<FlagGroup> SharedFlagGroups();

// Reads the S3 connection flags into `dest`. `reader` says who reads the
// credentials file, e.g. "the agent (on its host)".
absl::Status ApplyS3ConnectionFlags(const ParsedArgs& args, const std::string& reader,
                                    v1::StorageDestination* dest);

// Reads the TLS flags given into target->tls and, when `mask` is set, names
// each in it (target.tls.mode, ...). Checks each value's shape; the
// combination is checked by the controller once the update is applied.
absl::Status ApplyDatabaseTlsFlags(const ParsedArgs& args, v1::DatabaseTarget* target,
                                   google::protobuf::FieldMask* mask);

// Reads the encryption flags into target->encryption (replacing it as a
// whole); `*any` says whether one was given. Checks each value's shape; the
// controller checks the keys themselves.
absl::Status ApplyEncryptionFlags(const ParsedArgs& args, v1::DatabaseTarget* target, bool* any);

// Reads the retention flags; `*any` says whether one was given.
absl::Status ParseRetention(const ParsedArgs& args, v1::RetentionRules* rules, bool* any);

}  // namespace dbdump
