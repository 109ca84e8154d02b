#include "common/security/secret_token.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace dbdump {

std::string NewSecretToken(absl::string_view prefix) {
  unsigned char bytes[kSecretTokenBytes];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    // No status to return and no safe fallback: stop rather than issue a
    // token someone could guess.
    std::fprintf(stderr, "fatal: OpenSSL RAND_bytes failed; cannot make a secret token\n");
    std::abort();
  }
  // WebSafeBase64Escape is base64url without padding.
  return absl::StrCat(prefix, absl::WebSafeBase64Escape(absl::string_view(
                                  reinterpret_cast<const char*>(bytes), sizeof bytes)));
}

std::string TokenHash(absl::string_view token) {
  // A single fast SHA-256, not a password hash (bcrypt, Argon2): tokens carry
  // 256 random bits, so there is no dictionary to try and slowing the hash
  // down would protect nothing, while every API call pays for it.
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(token.data(), token.size(), md, &len, EVP_sha256(), nullptr) != 1) {
    std::fprintf(stderr, "fatal: OpenSSL SHA-256 failed\n");
    std::abort();
  }
  return absl::StrCat("sha256:", absl::BytesToHexString(absl::string_view(
                                     reinterpret_cast<const char*>(md), len)));
}

bool LooksLikeToken(absl::string_view token, absl::string_view prefix) {
  if (!absl::ConsumePrefix(&token, prefix)) return false;
  if (token.size() != kSecretTokenChars) return false;
  for (char c : token) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

}  // namespace dbdump
