// The primitives the age format is built from, on OpenSSL: HKDF-SHA-256,
// ChaCha20-Poly1305, HMAC-SHA-256, X25519, scrypt, unpadded base64, random
// bytes. Used by the age_* files only.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace dbdump::age {

using Key32 = std::array<uint8_t, 32>;

// Zeroes `n` bytes at `p` in a way the compiler does not drop.
void Wipe(void* p, size_t n);

// Fills `out` with CSPRNG output.
absl::Status RandomBytes(uint8_t* out, size_t n);

// HKDF-SHA-256 (extract with `salt`, expand with `info`) to 32 bytes.
absl::StatusOr<Key32> Hkdf(absl::string_view ikm, absl::string_view salt, absl::string_view info);

// ChaCha20-Poly1305 (RFC 7539) with a 12-byte nonce; Seal appends the
// 16-byte tag, Open checks and strips it (InvalidArgument when it does not
// authenticate).
absl::Status Seal(const Key32& key, const uint8_t nonce[12], const uint8_t* in, size_t n,
                  uint8_t* out);
absl::Status Open(const Key32& key, const uint8_t nonce[12], const uint8_t* in, size_t n,
                  uint8_t* out);

// HMAC-SHA-256.
absl::StatusOr<Key32> HmacSha256(const Key32& key, absl::string_view data);

// X25519: the public key of `secret`, and the shared secret of `secret`
// with `peer` (fails when it is all zero, as the age spec requires).
absl::StatusOr<Key32> X25519Public(const Key32& secret);
absl::StatusOr<Key32> X25519Shared(const Key32& secret, const Key32& peer);

// scrypt with r = 8, p = 1 and N = 2^log2_n, to 32 bytes.
absl::StatusOr<Key32> Scrypt(absl::string_view passphrase, absl::string_view salt, int log2_n);

// Base64 of RFC 4648 without padding; Decode rejects padding and
// non-canonical encodings, as the spec requires.
std::string Base64Encode(absl::string_view data);
absl::StatusOr<std::string> Base64Decode(absl::string_view text);

}  // namespace dbdump::age
