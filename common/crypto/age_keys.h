// age keys: X25519 recipients ("age1...") and identities
// ("AGE-SECRET-KEY-1..."), and the key sets a stream is encrypted to or
// decrypted with.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"

namespace dbdump {

using AgeKey = std::array<uint8_t, 32>;

// What a stream is encrypted to: X25519 recipients (each can decrypt
// alone), or a passphrase (age's scrypt stanza, which stands alone).
// Holds the passphrase while it lives and wipes it when it goes.
struct AgeEncryptKeys {
  std::vector<AgeKey> recipients;
  std::string passphrase;
  // scrypt's log2(N); age's own default is 18.
  int scrypt_work_factor = 18;
  AgeEncryptKeys() = default;
  AgeEncryptKeys(const AgeEncryptKeys&) = default;
  AgeEncryptKeys& operator=(const AgeEncryptKeys&) = default;
  ~AgeEncryptKeys();
};

// What a stream is decrypted with: X25519 identities (secret scalars), or
// a passphrase. Wiped when it goes.
struct AgeDecryptKeys {
  std::vector<AgeKey> identities;
  std::string passphrase;
  // The largest scrypt work factor accepted from a header (age's own limit
  // is 22): a forged header cannot make a restore spend gigabytes.
  int max_scrypt_work_factor = 22;
  AgeDecryptKeys() = default;
  AgeDecryptKeys(const AgeDecryptKeys&) = default;
  AgeDecryptKeys& operator=(const AgeDecryptKeys&) = default;
  ~AgeDecryptKeys();
};

// Stateless functions; thread-safe.
// Parses "age1..." (bech32, HRP "age", 32 bytes); the error says what is
// wrong with it and shows the key (a public key is no secret).
absl::StatusOr<AgeKey> ParseAgeRecipient(absl::string_view text);
std::string FormatAgeRecipient(const AgeKey& public_key);

// Parses the identities of an identity file as age-keygen writes it (one
// "AGE-SECRET-KEY-1..." a line; '#' comments and blank lines skipped).
// Errors never quote the text.
absl::StatusOr<AgeDecryptKeys> ParseAgeIdentities(absl::string_view text);
std::string FormatAgeIdentity(const AgeKey& secret);
// The recipient of an identity.
absl::StatusOr<AgeKey> AgeRecipientOf(const AgeKey& secret);

// A fresh X25519 identity.
absl::StatusOr<AgeKey> GenerateAgeIdentity();

// Resolves a restore's identity reference ("file:/path", 0600 or stricter,
// or "env:NAME") on this host. For a passphrase-encrypted backup
// (`passphrase` true) its first line is the passphrase; otherwise it holds
// identities. Errors name `option` and the reference, never the secret.
absl::StatusOr<AgeDecryptKeys> ResolveAgeDecryptKeys(const std::string& ref, bool passphrase,
                                                     absl::string_view option);

}  // namespace dbdump
