#include "controller/cli/args/value_checks.h"

#include <cctype>

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

absl::StatusOr<uint64_t> ParseDurationFlag(const ParsedArgs& args, const std::string& flag) {
  std::string v = args.Get(flag);
  uint64_t unit = 1;
  std::string digits = v;
  if (!v.empty() && std::isalpha(static_cast<unsigned char>(v.back()))) {
    switch (v.back()) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      case 'w': unit = 7 * 86400; break;
      default: unit = 0;
    }
    digits = v.substr(0, v.size() - 1);
  }
  uint64_t n = 0;
  if (unit == 0 || digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos ||
      !absl::SimpleAtoi(digits, &n) || n > (uint64_t{1} << 40)) {
    return UsageError(absl::StrCat("--", flag, "=", v,
                                   " is not a duration: use a number with s, m, h, d or w "
                                   "(e.g. 30d, 12h)"));
  }
  return n * unit;
}

}  // namespace dbdump
