// Checks of values given on the command line that several verbs share. A bad
// value is a usage error (exit code 2): the command line is wrong, not the
// controller. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "controller/cli/args/parsed_args.h"

namespace dbdump {

// A resource name (database, storage, agent, schedule); `kind` names it in
// the message, e.g. "database name".
absl::Status CheckName(const std::string& kind, const std::string& name);
// A backup or job id; `kind` names it in the message, e.g. "backup id".
absl::Status CheckId(const std::string& kind, const std::string& id);
// A PostgreSQL role name given to --`flag`.
absl::Status CheckRoleName(const std::string& flag, const std::string& name);
// The value of --`flag` must start with '/'.
absl::Status CheckAbsolutePath(const std::string& flag, const std::string& path);
// file:/path or env:NAME. The value is not echoed: whoever mistypes it may
// have pasted a password.
absl::Status CheckPasswordRef(const std::string& ref);
// --identity: where the restoring host reads the age identity or the
// passphrase of an encrypted backup. The error never repeats the value (it
// may be the secret itself, given by mistake).
absl::Status CheckIdentityRef(const std::string& ref);
// --encrypt-passphrase-ref: where the agent reads the encryption passphrase.
absl::Status CheckPassphraseRef(const std::string& ref);

// --`flag` as seconds: "90", "90s", "15m", "12h", "30d", "4w", or parts
// largest first: "1h30m", "2d12h" (what HumanDuration prints).
absl::StatusOr<uint64_t> ParseDurationFlag(const ParsedArgs& args, const std::string& flag);

}  // namespace dbdump
