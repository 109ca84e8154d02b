#include "common/crypto/age_primitives.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <memory>

namespace dbdump::age {
namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

absl::Status Aead(bool seal, const Key32& key, const uint8_t nonce[12], const uint8_t* in,
                  size_t n, uint8_t* out) {
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return absl::ResourceExhaustedError("cannot allocate a cipher context");
  int len = 0;
  if (EVP_CipherInit_ex(ctx.get(), EVP_chacha20_poly1305(), nullptr, key.data(), nonce,
                        seal ? 1 : 0) != 1) {
    return absl::InternalError("cannot set up ChaCha20-Poly1305");
  }
  size_t body = seal ? n : n - 16;
  if (!seal) {
    if (n < 16) return absl::InvalidArgumentError("ciphertext shorter than its tag");
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, 16,
                            const_cast<uint8_t*>(in + body)) != 1) {
      return absl::InternalError("cannot set the Poly1305 tag");
    }
  }
  if (body > 0 && EVP_CipherUpdate(ctx.get(), out, &len, in, static_cast<int>(body)) != 1) {
    return absl::InternalError("ChaCha20-Poly1305 failed");
  }
  if (EVP_CipherFinal_ex(ctx.get(), out + len, &len) != 1) {
    if (!seal) Wipe(out, body);
    return absl::InvalidArgumentError("authentication failed");
  }
  if (seal && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, 16, out + body) != 1) {
    return absl::InternalError("cannot read the Poly1305 tag");
  }
  return absl::OkStatus();
}

}  // namespace

void Wipe(void* p, size_t n) { OPENSSL_cleanse(p, n); }

absl::Status RandomBytes(uint8_t* out, size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) {
    return absl::InternalError("the system's random generator failed");
  }
  return absl::OkStatus();
}

absl::StatusOr<Key32> Hkdf(absl::string_view ikm, absl::string_view salt, absl::string_view info) {
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr));
  Key32 out;
  size_t len = out.size();
  // An empty salt is passed as a zero-length buffer; OpenSSL then uses
  // HashLen zero bytes, as RFC 5869 says.
  static const uint8_t kNone = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_hkdf_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set1_hkdf_salt(
          ctx.get(), salt.empty() ? &kNone : reinterpret_cast<const uint8_t*>(salt.data()),
          static_cast<int>(salt.size())) != 1 ||
      EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), reinterpret_cast<const uint8_t*>(ikm.data()),
                                 static_cast<int>(ikm.size())) != 1 ||
      EVP_PKEY_CTX_add1_hkdf_info(ctx.get(), reinterpret_cast<const uint8_t*>(info.data()),
                                  static_cast<int>(info.size())) != 1 ||
      EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1 || len != out.size()) {
    return absl::InternalError("HKDF-SHA-256 failed");
  }
  return out;
}

absl::Status Seal(const Key32& key, const uint8_t nonce[12], const uint8_t* in, size_t n,
                  uint8_t* out) {
  return Aead(true, key, nonce, in, n, out);
}

absl::Status Open(const Key32& key, const uint8_t nonce[12], const uint8_t* in, size_t n,
                  uint8_t* out) {
  return Aead(false, key, nonce, in, n, out);
}

absl::StatusOr<Key32> HmacSha256(const Key32& key, absl::string_view data) {
  Key32 out;
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const uint8_t*>(data.data()), data.size(), out.data(), &len) ==
          nullptr ||
      len != out.size()) {
    return absl::InternalError("HMAC-SHA-256 failed");
  }
  return out;
}

absl::StatusOr<Key32> X25519Public(const Key32& secret) {
  std::unique_ptr<EVP_PKEY, CtxFree> k(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, secret.data(), secret.size()));
  Key32 out;
  size_t len = out.size();
  if (!k || EVP_PKEY_get_raw_public_key(k.get(), out.data(), &len) != 1 || len != out.size()) {
    return absl::InternalError("X25519 public key derivation failed");
  }
  return out;
}

absl::StatusOr<Key32> X25519Shared(const Key32& secret, const Key32& peer) {
  std::unique_ptr<EVP_PKEY, CtxFree> k(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, secret.data(), secret.size()));
  std::unique_ptr<EVP_PKEY, CtxFree> p(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer.data(), peer.size()));
  if (!k || !p) return absl::InternalError("cannot load an X25519 key");
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new(k.get(), nullptr));
  Key32 out;
  size_t len = out.size();
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), p.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1 || len != out.size()) {
    return absl::InvalidArgumentError("X25519 key agreement failed");
  }
  uint8_t any = 0;
  for (uint8_t b : out) any |= b;
  if (any == 0) return absl::InvalidArgumentError("X25519 shared secret is all zero");
  return out;
}

absl::StatusOr<Key32> Scrypt(absl::string_view passphrase, absl::string_view salt, int log2_n) {
  Key32 out;
  uint64_t n = uint64_t{1} << log2_n;
  // 128 * r * N bytes of work memory, plus room for OpenSSL's own use.
  uint64_t maxmem = 128 * 8 * n + (1 << 20);
  if (EVP_PBE_scrypt(passphrase.data(), passphrase.size(),
                     reinterpret_cast<const uint8_t*>(salt.data()), salt.size(), n, 8, 1,
                     maxmem, out.data(), out.size()) != 1) {
    return absl::ResourceExhaustedError("scrypt failed (not enough memory for its work factor?)");
  }
  return out;
}

std::string Base64Encode(absl::string_view data) {
  std::string out;
  size_t i = 0;
  auto b = [&](size_t k) { return static_cast<uint8_t>(data[k]); };
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = (b(i) << 16) | (b(i + 1) << 8) | b(i + 2);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kB64[(v >> s) & 63]);
  }
  size_t rest = data.size() - i;
  if (rest == 1) {
    uint32_t v = b(i) << 16;
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
  } else if (rest == 2) {
    uint32_t v = (b(i) << 16) | (b(i + 1) << 8);
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(kB64[(v >> 6) & 63]);
  }
  return out;
}

absl::StatusOr<std::string> Base64Decode(absl::string_view text) {
  if (text.size() % 4 == 1) return absl::InvalidArgumentError("base64 of an impossible length");
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const char* p = nullptr;
    for (const char* a = kB64; *a != '\0'; ++a) {
      if (*a == c) p = a;
    }
    if (p == nullptr) return absl::InvalidArgumentError("invalid base64 character (or padding)");
    acc = (acc << 6) | static_cast<uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Canonical: the bits left over are zero.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return absl::InvalidArgumentError("non-canonical base64");
  }
  return out;
}

}  // namespace dbdump::age
