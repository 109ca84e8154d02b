#include "common/base/flags.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace dbdump {

void Flags::Define(const std::string& name, const std::string& default_value,
                   const std::string& help) {
  defs_[name] = {default_value, help};
}

absl::Status Flags::Parse(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") return absl::NotFoundError("help");
    if (!absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", arg, "\""));
    }
    std::string name = arg.substr(2), value;
    auto eq = name.find('=');
    bool has_value = eq != std::string::npos;
    if (has_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    // --kebab-case and --snake_case name the same flag.
    std::replace(name.begin(), name.end(), '-', '_');
    auto it = defs_.find(name);
    if (it == defs_.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name, "; see --help"));
    }
    if (!has_value && it->second.is_bool) {
      value = "true";
    } else if (!has_value) {
      if (i + 1 >= argc) return absl::InvalidArgumentError(absl::StrCat("flag --", name, " needs a value"));
      value = argv[++i];
    }
    if (it->second.is_bool && value != "true" && value != "false") {
      return absl::InvalidArgumentError(
          absl::StrCat("flag --", name, " is true or false, got \"", value, "\""));
    }
    it->second.value = value;
  }
  return absl::OkStatus();
}

void Flags::DefineBool(const std::string& name, bool default_value, const std::string& help) {
  defs_[name] = {default_value ? "true" : "false", help, true};
}

bool Flags::GetBool(const std::string& name) const { return Get(name) == "true"; }

std::string Flags::Get(const std::string& name) const {
  auto it = defs_.find(name);
  return it == defs_.end() ? "" : it->second.value;
}

absl::StatusOr<int> Flags::GetInt(const std::string& name) const {
  int v = 0;
  if (!absl::SimpleAtoi(Get(name), &v)) {
    return absl::InvalidArgumentError(
        absl::StrCat("flag --", name, " must be a whole number, got \"", Get(name), "\""));
  }
  return v;
}

std::string Flags::Usage(const std::string& program) const {
  std::string out = absl::StrCat("usage: ", program, " [flags]\n");
  for (const auto& [name, def] : defs_) {
    absl::StrAppend(&out, "  --", name, " (default \"", def.value, "\")\n      ", def.help, "\n");
  }
  return out;
}

}  // namespace dbdump
