#include "controller/cli/args/parsed_args.h"

#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "controller/cli/args/cli_error.h"

namespace dbdump {

void ParsedArgs::SetFlag(const std::string& name, const std::string& value) {
  flags_[name] = value;
  all_[name].push_back(value);
}

std::vector<std::string> ParsedArgs::GetAll(const std::string& name) const {
  auto it = all_.find(name);
  return it == all_.end() ? std::vector<std::string>{} : it->second;
}

void ParsedArgs::AddPositional(const std::string& value) { positionals_.push_back(value); }

bool ParsedArgs::Has(const std::string& name) const { return flags_.count(name) > 0; }

std::string ParsedArgs::Get(const std::string& name, const std::string& fallback) const {
  auto it = flags_.find(name);
  return it == flags_.end() ? fallback : it->second;
}

absl::StatusOr<uint32_t> ParsedArgs::GetUint32(const std::string& name, uint32_t fallback,
                                               uint32_t min, uint32_t max) const {
  auto it = flags_.find(name);
  if (it == flags_.end()) return fallback;
  uint64_t value = 0;
  // SimpleAtoi accepts a leading '+' and surrounding spaces; a port or limit
  // written that way is a typo, so insist on plain digits.
  bool digits_only =
      !it->second.empty() && it->second.find_first_not_of("0123456789") == std::string::npos;
  if (digits_only && absl::SimpleAtoi(it->second, &value) && value >= min && value <= max) {
    return static_cast<uint32_t>(value);
  }
  std::string range = max == std::numeric_limits<uint32_t>::max()
                          ? absl::StrCat("of at least ", min)
                          : absl::StrCat("from ", min, " to ", max);
  return UsageError(
      absl::StrCat("--", name, " must be a whole number ", range, ", not \"", it->second, "\""));
}

absl::StatusOr<int32_t> ParsedArgs::GetInt32(const std::string& name, int32_t fallback) const {
  auto it = flags_.find(name);
  if (it == flags_.end()) return fallback;
  int32_t value = 0;
  bool plain =
      !it->second.empty() && it->second.find_first_not_of("-0123456789") == std::string::npos;
  if (plain && absl::SimpleAtoi(it->second, &value)) return value;
  return UsageError(absl::StrCat("--", name, " must be a whole number, not \"", it->second, "\""));
}

absl::StatusOr<uint64_t> ParsedArgs::GetByteSize(const std::string& name, uint64_t fallback) const {
  auto it = flags_.find(name);
  if (it == flags_.end()) return fallback;
  const std::string& text = it->second;
  size_t digits = text.find_first_not_of("0123456789");
  if (digits == std::string::npos) digits = text.size();
  std::string suffix = text.substr(digits);
  int shift = -1;
  if (suffix.empty()) shift = 0;
  if (suffix == "KiB") shift = 10;
  if (suffix == "MiB") shift = 20;
  if (suffix == "GiB") shift = 30;
  uint64_t value = 0;
  if (digits > 0 && shift >= 0 && absl::SimpleAtoi(text.substr(0, digits), &value) &&
      value <= (std::numeric_limits<uint64_t>::max() >> shift)) {
    return value << shift;
  }
  return UsageError(absl::StrCat("--", name,
                                 " must be a byte count such as 8388608 or 8MiB (suffixes KiB, "
                                 "MiB, GiB), not \"",
                                 text, "\""));
}

}  // namespace dbdump
