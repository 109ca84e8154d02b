#include "common/base/flags.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/base/config_file.h"

namespace dbdump {
namespace {

std::string Snake(std::string name) {
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

std::string Kebab(std::string name) {
  std::replace(name.begin(), name.end(), '_', '-');
  return name;
}

}  // namespace

Flags::Flags() {
  defs_["config"] = {"", "", "TOML file whose keys are these flags (the command line overrides it); "
                             "SIGHUP reads it again", false};
}

void Flags::Define(const std::string& name, const std::string& default_value,
                   const std::string& help) {
  defs_[name] = {default_value, default_value, help};
}

void Flags::DefineBool(const std::string& name, bool default_value, const std::string& help) {
  std::string v = default_value ? "true" : "false";
  defs_[name] = {v, v, help, true};
}

absl::Status Flags::Set(std::map<std::string, Def>* defs, const std::string& typed,
                        std::string value, bool has_value, const std::string& where) const {
  std::string name = Snake(typed);
  auto it = defs->find(name);
  if (it == defs->end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "unknown flag --", Kebab(name), "; see --help"));
  }
  if (!has_value && it->second.is_bool) value = "true";
  if (it->second.is_bool && value != "true" && value != "false") {
    return absl::InvalidArgumentError(absl::StrCat(where, "flag --", Kebab(name),
                                                   " is true or false, got \"", value, "\""));
  }
  it->second.value = std::move(value);
  return absl::OkStatus();
}

absl::Status Flags::Build(std::map<std::string, Def>* defs) const {
  for (auto& [name, def] : *defs) def.value = def.default_value;
  if (!config_file_.empty()) {
    absl::StatusOr<std::map<std::string, std::string>> file = ReadConfigFile(config_file_);
    if (!file.ok()) return file.status();
    for (const auto& [key, value] : *file) {
      if (key == "config") {
        return absl::InvalidArgumentError(
            absl::StrCat(config_file_, ": a config file cannot name another one (config)"));
      }
      absl::Status st = Set(defs, key, value, true, config_file_ + ": ");
      if (!st.ok()) return st;
    }
  }
  for (size_t i = 0; i < args_.size(); ++i) {
    if (!absl::StartsWith(args_[i], "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", args_[i], "\""));
    }
    std::string name = args_[i].substr(2), value;
    auto eq = name.find('=');
    bool has_value = eq != std::string::npos;
    if (has_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    auto it = defs->find(Snake(name));
    if (!has_value && (it == defs->end() || !it->second.is_bool)) {
      if (i + 1 >= args_.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("flag --", Kebab(Snake(name)), " needs a value"));
      }
      value = args_[++i];
      has_value = true;
    }
    absl::Status st = Set(defs, name, value, has_value, "");
    if (!st.ok()) return st;
  }
  (*defs)["config"].value = config_file_;
  return absl::OkStatus();
}

absl::Status Flags::Parse(int argc, char** argv) {
  args_.clear();
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help_ = true;
      return absl::NotFoundError("help");
    }
    if (arg == "--version") {
      version_ = true;
      return absl::OkStatus();
    }
    // Values of "--name value" are checked in Build, where flags and their
    // values are told apart.
    args_.push_back(arg);
  }
  // The config file is named on the command line only.
  for (size_t i = 0; i < args_.size(); ++i) {
    const std::string& a = args_[i];
    if (a == "--config" && i + 1 < args_.size()) config_file_ = args_[i + 1];
    if (absl::StartsWith(a, "--config=")) config_file_ = a.substr(9);
  }
  if (!config_file_.empty() && config_file_.front() != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("--config must be an absolute path (it is read again on SIGHUP, whatever the "
                     "working directory), not \"", config_file_, "\""));
  }
  return Build(&defs_);
}

absl::StatusOr<std::vector<std::string>> Flags::Reload() {
  std::map<std::string, Def> fresh = defs_;
  absl::Status st = Build(&fresh);
  if (!st.ok()) return st;
  std::vector<std::string> changed;
  for (const auto& [name, def] : fresh) {
    if (defs_[name].value != def.value) changed.push_back(name);
  }
  defs_ = std::move(fresh);
  return changed;
}

bool Flags::GetBool(const std::string& name) const { return Get(name) == "true"; }

std::string Flags::Get(const std::string& name) const {
  auto it = defs_.find(name);
  return it == defs_.end() ? "" : it->second.value;
}

absl::StatusOr<int> Flags::GetInt(const std::string& name) const {
  int v = 0;
  if (!absl::SimpleAtoi(Get(name), &v)) {
    return absl::InvalidArgumentError(absl::StrCat("flag --", Kebab(name),
                                                   " must be a whole number, got \"", Get(name),
                                                   "\""));
  }
  return v;
}

std::string Flags::Usage(const std::string& program) const {
  std::string out = absl::StrCat(
      "usage: ", program, " [--config=FILE] [flags]\n",
      "Flags are written --name=value or --name value; each is also a key of the --config file\n"
      "(snake_case or kebab-case). The command line overrides the file.\n"
      "  --version\n      print the version and exit\n");
  for (const auto& [name, def] : defs_) {
    absl::StrAppend(&out, "  --", Kebab(name), " (default \"", def.default_value, "\")\n      ",
                    def.help, "\n");
  }
  return out;
}

}  // namespace dbdump
