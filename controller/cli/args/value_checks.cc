#include "controller/cli/args/value_checks.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "controller/cli/args/cli_error.h"

namespace dbdump {

absl::Status CheckName(const std::string& kind, const std::string& name) {
  absl::Status status = ValidateResourceName(kind, name);
  if (!status.ok()) return UsageError(status.message());
  return absl::OkStatus();
}

absl::Status CheckId(const std::string& kind, const std::string& id) {
  absl::Status status = ValidateId(kind, id);
  if (!status.ok()) return UsageError(status.message());
  return absl::OkStatus();
}

absl::Status CheckRoleName(const std::string& flag, const std::string& name) {
  absl::Status status = ValidatePgRoleName(name);
  if (!status.ok()) return UsageError(absl::StrCat(flag, ": ", status.message()));
  return absl::OkStatus();
}

absl::Status CheckAbsolutePath(const std::string& flag, const std::string& path) {
  if (!absl::StartsWith(path, "/")) {
    return UsageError(absl::StrCat("--", flag, " must be an absolute path, not \"", path, "\""));
  }
  return absl::OkStatus();
}

absl::Status CheckPasswordRef(const std::string& ref) {
  bool file = absl::StartsWith(ref, "file:/");
  bool env = absl::StartsWith(ref, "env:") && ref.size() > 4;
  if (file || env) return absl::OkStatus();
  return UsageError(
      "--password-ref must be file:/absolute/path or env:NAME, naming where the agent reads "
      "the password");
}

namespace {

bool IsSecretRef(const std::string& ref) {
  return absl::StartsWith(ref, "file:/") || (absl::StartsWith(ref, "env:") && ref.size() > 4);
}

}  // namespace

absl::Status CheckIdentityRef(const std::string& ref) {
  if (IsSecretRef(ref)) return absl::OkStatus();
  return UsageError(
      "--identity must be file:/absolute/path (mode 0600) or env:NAME, naming where the "
      "restoring host reads the age identity (AGE-SECRET-KEY-1...) or passphrase; never the "
      "secret itself");
}

absl::Status CheckPassphraseRef(const std::string& ref) {
  if (IsSecretRef(ref)) return absl::OkStatus();
  return UsageError(
      "--encrypt-passphrase-ref must be file:/absolute/path (mode 0600) or env:NAME, naming "
      "where the agent reads the passphrase; never the passphrase itself");
}

absl::StatusOr<uint64_t> ParseDurationFlag(const ParsedArgs& args, const std::string& flag) {
  const std::string v = args.Get(flag);
  auto bad = [&] {
    return UsageError(absl::StrCat("--", flag, "=", v,
                                   " is not a duration: use numbers with s, m, h, d or w, largest "
                                   "first (e.g. 30d, 12h, 1h30m)"));
  };
  constexpr uint64_t kMax = uint64_t{1} << 40;
  // Plain digits are seconds.
  if (!v.empty() && v.find_first_not_of("0123456789") == std::string::npos) {
    uint64_t n = 0;
    if (!absl::SimpleAtoi(v, &n) || n > kMax) return bad();
    return n;
  }
  // Otherwise parts such as "1h" "30m", each unit at most once and in
  // falling order, as HumanDuration prints them.
  uint64_t total = 0;
  uint64_t last_unit = UINT64_MAX;
  size_t pos = 0;
  while (pos < v.size()) {
    size_t end = v.find_first_not_of("0123456789", pos);
    if (end == pos || end == std::string::npos) return bad();
    uint64_t unit = 0;
    switch (v[end]) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      case 'w': unit = 7 * 86400; break;
      default: return bad();
    }
    uint64_t n = 0;
    if (unit >= last_unit || !absl::SimpleAtoi(v.substr(pos, end - pos), &n) || n > kMax) {
      return bad();
    }
    total += n * unit;
    if (total > kMax) return bad();
    last_unit = unit;
    pos = end + 1;
  }
  if (pos == 0) return bad();
  return total;
}

}  // namespace dbdump
