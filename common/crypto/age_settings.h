// From a database's Encryption settings and a backup's manifest to the keys
// of its streams: checked at `databases add/update`, resolved on the agent.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump {

struct AgeDecryptKeys;
struct AgeEncryptKeys;

// The format a manifest records.
inline constexpr char kAgeFormat[] = "age-encryption.org/v1";

// Stateless functions; thread-safe.
// Whether the settings ask for encryption at all.
bool EncryptionEnabled(const dbdump::v1::Encryption& e);
// Checks the settings without resolving anything: every recipient an age
// X25519 public key, at most one passphrase reference (and then no
// recipient), a work factor in range. Errors name the field and say what
// to give instead.
absl::Status ValidateEncryption(const dbdump::v1::Encryption& e);
// The keys a backup is encrypted to, its passphrase resolved on this host;
// null when the settings ask for no encryption.
absl::StatusOr<std::shared_ptr<const AgeEncryptKeys>> ResolveEncryptKeys(
    const dbdump::v1::Encryption& e);
// What the manifest records of the settings: the format, the public keys
// (or the passphrase flag). Never a secret.
dbdump::v1::ManifestEncryption ManifestEncryptionOf(const dbdump::v1::Encryption& e);
bool ManifestEncrypted(const dbdump::v1::Manifest& m);
// The keys to decrypt the backup of `m` with, from `identity_ref` resolved
// on this host; null when the backup is not encrypted. Fails, naming
// RestoreOptions' identity_ref, when it is encrypted and the reference is
// missing, unreadable or not a key.
absl::StatusOr<std::shared_ptr<const AgeDecryptKeys>> ResolveDecryptKeys(
    const dbdump::v1::Manifest& m, const std::string& identity_ref);

}  // namespace dbdump
