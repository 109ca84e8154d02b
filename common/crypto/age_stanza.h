// age recipient stanzas: the file key wrapped for an X25519 recipient or a
// passphrase (scrypt), and unwrapped again with identities.
#pragma once

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "common/crypto/age_keys.h"

namespace dbdump {

// One stanza as it stands in the header: "-> type args...", then the body.
struct AgeStanza {
  std::string type;
  std::vector<std::string> args;
  std::string body;  // decoded bytes
};

// Stateless functions; thread-safe.
absl::StatusOr<AgeStanza> WrapX25519(const AgeKey& recipient, absl::string_view file_key);
absl::StatusOr<AgeStanza> WrapScrypt(absl::string_view passphrase, int work_factor,
                                     absl::string_view file_key);

// The stanzas `keys` can open, tried in order; returns the 16-byte file
// key. Errors say which kind of key the file wants when none opens it.
absl::StatusOr<std::string> UnwrapFileKey(const std::vector<AgeStanza>& stanzas,
                                          const AgeDecryptKeys& keys);

}  // namespace dbdump
