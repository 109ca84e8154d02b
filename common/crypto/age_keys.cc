#include "common/crypto/age_keys.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/secret_ref.h"
#include "common/base/status_macros.h"
#include "common/crypto/age_primitives.h"
#include "common/crypto/bech32.h"

namespace dbdump {
namespace {

constexpr char kSecretHrp[] = "age-secret-key-";

}  // namespace

AgeEncryptKeys::~AgeEncryptKeys() { age::Wipe(passphrase.data(), passphrase.size()); }

AgeDecryptKeys::~AgeDecryptKeys() {
  age::Wipe(passphrase.data(), passphrase.size());
  for (AgeKey& k : identities) age::Wipe(k.data(), k.size());
}

absl::StatusOr<AgeKey> ParseAgeRecipient(absl::string_view text) {
  // Shown only when it looks like a public key: anything else may be an
  // identity given by mistake, which must not reach errors and logs.
  std::string shown = absl::StartsWith(text, "age1")
                          ? absl::StrCat("age recipient \"", text.substr(0, 80), "\"")
                          : "an age recipient (not starting with age1)";
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        shown, " is not valid: ", why, "; give the public key age-keygen printed (age1...)"));
  };
  if (text.empty()) return bad("it is empty");
  absl::StatusOr<Bech32Value> v = Bech32Decode(std::string(text));
  if (!v.ok()) return bad(v.status().message());
  if (v->hrp != "age") return bad(absl::StrCat("it starts with \"", v->hrp, "1\", not \"age1\""));
  if (text[0] != 'a') return bad("it is not lowercase");
  if (v->data.size() != 32) {
    return bad(absl::StrCat("it holds ", v->data.size(), " bytes, an X25519 key has 32"));
  }
  AgeKey k;
  std::copy(v->data.begin(), v->data.end(), k.begin());
  return k;
}

std::string FormatAgeRecipient(const AgeKey& public_key) {
  return Bech32Encode("age", std::vector<uint8_t>(public_key.begin(), public_key.end()));
}

std::string FormatAgeIdentity(const AgeKey& secret) {
  return absl::AsciiStrToUpper(
      Bech32Encode(kSecretHrp, std::vector<uint8_t>(secret.begin(), secret.end())));
}

absl::StatusOr<AgeDecryptKeys> ParseAgeIdentities(absl::string_view text) {
  AgeDecryptKeys keys;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    absl::StatusOr<Bech32Value> v = Bech32Decode(std::string(line));
    bool ok = v.ok() && v->hrp == kSecretHrp && v->data.size() == 32 &&
              absl::StartsWith(line, "AGE-SECRET-KEY-1");
    if (!ok) {
      if (v.ok()) age::Wipe(v->data.data(), v->data.size());
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", line_no, " is not an age identity (AGE-SECRET-KEY-1..., as age-keygen "
          "writes it)"));
    }
    AgeKey k;
    std::copy(v->data.begin(), v->data.end(), k.begin());
    age::Wipe(v->data.data(), v->data.size());
    keys.identities.push_back(k);
    age::Wipe(k.data(), k.size());
  }
  if (keys.identities.empty()) {
    return absl::InvalidArgumentError("it holds no age identity (AGE-SECRET-KEY-1...)");
  }
  return keys;
}

absl::StatusOr<AgeKey> AgeRecipientOf(const AgeKey& secret) { return age::X25519Public(secret); }

absl::StatusOr<AgeKey> GenerateAgeIdentity() {
  AgeKey k;
  RETURN_IF_ERROR(age::RandomBytes(k.data(), k.size()));
  return k;
}

absl::StatusOr<AgeDecryptKeys> ResolveAgeDecryptKeys(const std::string& ref, bool passphrase,
                                                     absl::string_view option) {
  if (ref.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the backup is encrypted (age): give ", option, " as file:/path (mode 0600) or env:NAME ",
        passphrase ? "holding its passphrase" : "holding an identity (AGE-SECRET-KEY-1...)"));
  }
  absl::StatusOr<std::string> text = ResolveSecretRefContents(ref);
  if (!text.ok()) {
    return absl::Status(text.status().code(), absl::StrCat(option, ": ", text.status().message()));
  }
  if (passphrase) {
    AgeDecryptKeys keys;
    absl::string_view first = *text;
    first = first.substr(0, first.find('\n'));
    if (!first.empty() && first.back() == '\r') first.remove_suffix(1);
    keys.passphrase = std::string(first);
    age::Wipe(text->data(), text->size());
    if (keys.passphrase.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat(option, " ", ref, ": holds no passphrase on its first line"));
    }
    return keys;
  }
  absl::StatusOr<AgeDecryptKeys> keys = ParseAgeIdentities(*text);
  age::Wipe(text->data(), text->size());
  if (!keys.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(option, " ", ref, ": ", keys.status().message()));
  }
  return keys;
}

}  // namespace dbdump
