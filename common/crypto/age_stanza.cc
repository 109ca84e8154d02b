#include "common/crypto/age_stanza.h"

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/crypto/age_primitives.h"

namespace dbdump {
namespace {

constexpr char kX25519Label[] = "age-encryption.org/v1/X25519";
constexpr char kScryptLabel[] = "age-encryption.org/v1/scrypt";
constexpr uint8_t kZeroNonce[12] = {};

absl::string_view View(const AgeKey& k) {
  return absl::string_view(reinterpret_cast<const char*>(k.data()), k.size());
}

absl::StatusOr<std::string> WrapWith(const age::Key32& wrap_key, absl::string_view file_key) {
  std::string body(file_key.size() + 16, '\0');
  RETURN_IF_ERROR(age::Seal(wrap_key, kZeroNonce,
                            reinterpret_cast<const uint8_t*>(file_key.data()), file_key.size(),
                            reinterpret_cast<uint8_t*>(body.data())));
  return body;
}

// The file key in `body`, or an error when `wrap_key` does not open it.
absl::StatusOr<std::string> UnwrapWith(const age::Key32& wrap_key, const std::string& body) {
  if (body.size() != 32) return absl::InvalidArgumentError("stanza body is not 32 bytes");
  std::string key(16, '\0');
  RETURN_IF_ERROR(age::Open(wrap_key, kZeroNonce, reinterpret_cast<const uint8_t*>(body.data()),
                            body.size(), reinterpret_cast<uint8_t*>(key.data())));
  return key;
}

absl::StatusOr<std::string> TryX25519(const AgeStanza& s, const AgeKey& identity,
                                      const AgeKey& own_public) {
  if (s.args.size() != 1) return absl::InvalidArgumentError("X25519 stanza needs one argument");
  ASSIGN_OR_RETURN(std::string share, age::Base64Decode(s.args[0]));
  if (share.size() != 32) return absl::InvalidArgumentError("X25519 share is not 32 bytes");
  AgeKey peer;
  std::copy(share.begin(), share.end(), peer.begin());
  ASSIGN_OR_RETURN(age::Key32 shared, age::X25519Shared(identity, peer));
  age::Key32 wrap_key;
  absl::StatusOr<age::Key32> derived =
      age::Hkdf(View(shared), absl::StrCat(share, View(own_public)), kX25519Label);
  age::Wipe(shared.data(), shared.size());
  if (!derived.ok()) return derived.status();
  wrap_key = *derived;
  absl::StatusOr<std::string> key = UnwrapWith(wrap_key, s.body);
  age::Wipe(wrap_key.data(), wrap_key.size());
  return key;
}

absl::StatusOr<std::string> TryScrypt(const AgeStanza& s, const AgeDecryptKeys& keys) {
  if (s.args.size() != 2) return absl::InvalidArgumentError("scrypt stanza needs two arguments");
  ASSIGN_OR_RETURN(std::string salt, age::Base64Decode(s.args[0]));
  if (salt.size() != 16) return absl::InvalidArgumentError("scrypt salt is not 16 bytes");
  int wf = 0;
  const std::string& w = s.args[1];
  if (w.empty() || w.size() > 2 || (w.size() > 1 && w[0] == '0') ||
      w.find_first_not_of("0123456789") != std::string::npos || !absl::SimpleAtoi(w, &wf) ||
      wf < 1) {
    return absl::InvalidArgumentError("scrypt work factor is not a decimal number");
  }
  if (wf > keys.max_scrypt_work_factor) {
    return absl::InvalidArgumentError(absl::StrCat("scrypt work factor ", wf,
                                                   " is above the limit of ",
                                                   keys.max_scrypt_work_factor));
  }
  ASSIGN_OR_RETURN(age::Key32 wrap_key,
                   age::Scrypt(keys.passphrase, absl::StrCat(kScryptLabel, salt), wf));
  absl::StatusOr<std::string> key = UnwrapWith(wrap_key, s.body);
  age::Wipe(wrap_key.data(), wrap_key.size());
  return key;
}

}  // namespace

absl::StatusOr<AgeStanza> WrapX25519(const AgeKey& recipient, absl::string_view file_key) {
  ASSIGN_OR_RETURN(AgeKey ephemeral, GenerateAgeIdentity());
  absl::StatusOr<age::Key32> share = age::X25519Public(ephemeral);
  absl::StatusOr<age::Key32> shared =
      share.ok() ? age::X25519Shared(ephemeral, recipient) : share.status();
  age::Wipe(ephemeral.data(), ephemeral.size());
  if (!shared.ok()) return shared.status();
  absl::StatusOr<age::Key32> wrap_key =
      age::Hkdf(View(*shared), absl::StrCat(View(*share), View(recipient)), kX25519Label);
  age::Wipe(shared->data(), shared->size());
  if (!wrap_key.ok()) return wrap_key.status();
  AgeStanza s;
  s.type = "X25519";
  s.args.push_back(age::Base64Encode(View(*share)));
  absl::StatusOr<std::string> body = WrapWith(*wrap_key, file_key);
  age::Wipe(wrap_key->data(), wrap_key->size());
  if (!body.ok()) return body.status();
  s.body = std::move(*body);
  return s;
}

absl::StatusOr<AgeStanza> WrapScrypt(absl::string_view passphrase, int work_factor,
                                     absl::string_view file_key) {
  if (work_factor < 1 || work_factor > 30) {
    return absl::InvalidArgumentError(
        absl::StrCat("scrypt work factor ", work_factor, " is out of range: use 1 to 30"));
  }
  std::string salt(16, '\0');
  RETURN_IF_ERROR(age::RandomBytes(reinterpret_cast<uint8_t*>(salt.data()), salt.size()));
  ASSIGN_OR_RETURN(age::Key32 wrap_key,
                   age::Scrypt(passphrase, absl::StrCat(kScryptLabel, salt), work_factor));
  AgeStanza s;
  s.type = "scrypt";
  s.args = {age::Base64Encode(salt), absl::StrCat(work_factor)};
  absl::StatusOr<std::string> body = WrapWith(wrap_key, file_key);
  age::Wipe(wrap_key.data(), wrap_key.size());
  if (!body.ok()) return body.status();
  s.body = std::move(*body);
  return s;
}

absl::StatusOr<std::string> UnwrapFileKey(const std::vector<AgeStanza>& stanzas,
                                          const AgeDecryptKeys& keys) {
  bool has_scrypt = false, has_x25519 = false;
  for (const AgeStanza& s : stanzas) {
    has_scrypt |= s.type == "scrypt";
    has_x25519 |= s.type == "X25519";
  }
  if (has_scrypt && stanzas.size() != 1) {
    return absl::InvalidArgumentError(
        "the age header mixes a passphrase (scrypt) stanza with others, which the format forbids");
  }
  if (has_scrypt) {
    if (keys.passphrase.empty()) {
      return absl::FailedPreconditionError(
          "the backup is encrypted with a passphrase, and no passphrase was given");
    }
    absl::StatusOr<std::string> key = TryScrypt(stanzas[0], keys);
    if (!key.ok() && absl::IsInvalidArgument(key.status()) &&
        key.status().message() == "authentication failed") {
      return absl::PermissionDeniedError("the passphrase does not decrypt this backup");
    }
    return key;
  }
  if (!has_x25519) {
    return absl::FailedPreconditionError(
        "the backup is encrypted to no X25519 recipient or passphrase this build knows");
  }
  if (keys.identities.empty()) {
    return absl::FailedPreconditionError(
        "the backup is encrypted to X25519 recipients, and no identity was given");
  }
  for (const AgeKey& id : keys.identities) {
    ASSIGN_OR_RETURN(AgeKey own_public, age::X25519Public(id));
    for (const AgeStanza& s : stanzas) {
      if (s.type != "X25519") continue;
      absl::StatusOr<std::string> key = TryX25519(s, id, own_public);
      if (key.ok()) return key;
    }
  }
  return absl::PermissionDeniedError(
      "none of the given identities is a recipient of this backup");
}

}  // namespace dbdump
