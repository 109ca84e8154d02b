#include "common/crypto/age_settings.h"

#include "absl/strings/str_cat.h"
#include "common/base/secret_ref.h"
#include "common/base/status_macros.h"
#include "common/crypto/age_keys.h"

namespace dbdump {
namespace {

constexpr int kDefaultWorkFactor = 18;
constexpr int kMaxWorkFactor = 22;  // what age itself accepts when decrypting

int WorkFactor(const v1::Encryption& e) {
  return e.scrypt_work_factor() == 0 ? kDefaultWorkFactor
                                     : static_cast<int>(e.scrypt_work_factor());
}

}  // namespace

bool EncryptionEnabled(const v1::Encryption& e) {
  return e.recipients_size() > 0 || !e.passphrase_ref().empty();
}

absl::Status ValidateEncryption(const v1::Encryption& e) {
  for (const std::string& r : e.recipients()) {
    RETURN_IF_ERROR(ParseAgeRecipient(r).status());
  }
  if (!e.passphrase_ref().empty()) {
    if (e.recipients_size() > 0) {
      return absl::InvalidArgumentError(
          "encryption is to age recipients or with a passphrase, not both: drop "
          "--encrypt-passphrase-ref or the --encrypt-to keys");
    }
    if (absl::Status st = ValidateSecretRef(e.passphrase_ref()); !st.ok()) {
      return absl::InvalidArgumentError(
          "encryption passphrase reference must be file:/absolute/path (mode 0600) or env:NAME "
          "on the agent host; the passphrase itself is never sent to dbdump");
    }
  }
  if (e.scrypt_work_factor() != 0 &&
      (e.scrypt_work_factor() < 10 || e.scrypt_work_factor() > kMaxWorkFactor)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "encryption scrypt work factor ", e.scrypt_work_factor(), " is out of range: use 10 to ",
        kMaxWorkFactor, " (0 = 18, age's default)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const AgeEncryptKeys>> ResolveEncryptKeys(
    const v1::Encryption& e) {
  if (!EncryptionEnabled(e)) return std::shared_ptr<const AgeEncryptKeys>();
  RETURN_IF_ERROR(ValidateEncryption(e));
  auto keys = std::make_shared<AgeEncryptKeys>();
  for (const std::string& r : e.recipients()) {
    ASSIGN_OR_RETURN(AgeKey k, ParseAgeRecipient(r));
    keys->recipients.push_back(k);
  }
  if (!e.passphrase_ref().empty()) {
    ASSIGN_OR_RETURN_PREPEND(keys->passphrase, ResolveSecretRef(e.passphrase_ref()),
                             "encryption passphrase: ");
    if (keys->passphrase.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "encryption passphrase reference ", e.passphrase_ref(), " holds an empty passphrase"));
    }
    keys->scrypt_work_factor = WorkFactor(e);
  }
  return std::shared_ptr<const AgeEncryptKeys>(std::move(keys));
}

v1::ManifestEncryption ManifestEncryptionOf(const v1::Encryption& e) {
  v1::ManifestEncryption m;
  if (!EncryptionEnabled(e)) return m;
  m.set_format(kAgeFormat);
  for (const std::string& r : e.recipients()) m.add_recipients(r);
  m.set_passphrase(!e.passphrase_ref().empty());
  return m;
}

bool ManifestEncrypted(const v1::Manifest& m) { return !m.encryption().format().empty(); }

absl::StatusOr<std::shared_ptr<const AgeDecryptKeys>> ResolveDecryptKeys(
    const v1::Manifest& m, const std::string& identity_ref) {
  if (!ManifestEncrypted(m)) return std::shared_ptr<const AgeDecryptKeys>();
  if (m.encryption().format() != kAgeFormat) {
    return absl::FailedPreconditionError(absl::StrCat(
        "backup ", m.backup_id(), " is encrypted in a format this build does not know (",
        m.encryption().format(), ")"));
  }
  ASSIGN_OR_RETURN_PREPEND(
      AgeDecryptKeys keys,
      ResolveAgeDecryptKeys(identity_ref, m.encryption().passphrase(),
                            "identity_ref (dbdumpctl restore --identity)"),
      absl::StrCat("backup ", m.backup_id(), ": "));
  return std::shared_ptr<const AgeDecryptKeys>(
      std::make_shared<AgeDecryptKeys>(std::move(keys)));
}

}  // namespace dbdump
