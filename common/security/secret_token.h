// Opaque secret tokens: API bearer tokens ("dbdt_...") and agent join tokens
// ("dbdj_..."). A token is shown once; only its hash is stored. Stateless;
// every function is thread-safe.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace dbdump {

// Bytes of randomness in a token, and the base64url characters they take.
inline constexpr size_t kSecretTokenBytes = 32;
inline constexpr size_t kSecretTokenChars = 43;

// Opaque bearer/join tokens: prefix + base64url (no padding) of 32 bytes from
// RAND_bytes, e.g. NewSecretToken("dbdt_"). Aborts the process if OpenSSL's
// random generator fails: a guessable token must never be handed out.
std::string NewSecretToken(absl::string_view prefix);

// "sha256:" + lowercase hex of SHA-256 over the whole token (prefix
// included), for storing and looking tokens up.
std::string TokenHash(absl::string_view token);

// Right prefix, right length, base64url alphabet. A cheap shape check before
// a lookup; says nothing about whether the token was ever issued.
bool LooksLikeToken(absl::string_view token, absl::string_view prefix);

}  // namespace dbdump
