// Flags: the daemons' settings, from the command line and a config file.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace dbdump {

// Parsed flags of a daemon. Each flag has a default and a help line; unknown
// flags, unknown config keys and positional arguments are errors. Flags are
// written in kebab-case (--heartbeat-interval-s); the snake_case spelling
// names the same flag. Every daemon also takes --config=FILE (a TOML file
// whose keys are the flags; see config_file.h), --version and --help; the
// command line overrides the file.
class Flags {
 public:
  Flags();
  // Declares a flag (snake_case name); `help` appears in Usage().
  void Define(const std::string& name, const std::string& default_value, const std::string& help);
  // A true/false flag; `--name` alone means true.
  void DefineBool(const std::string& name, bool default_value, const std::string& help);
  // Accepts `--name=value` and `--name value`; `--help` returns NotFound
  // (HelpRequested() is true), `--version` returns OK with VersionRequested().
  absl::Status Parse(int argc, char** argv);
  bool HelpRequested() const { return help_; }
  bool VersionRequested() const { return version_; }
  // Reads the config file again (SIGHUP) and applies the command line over
  // it as Parse did; the flags whose value changed, by name. On an error
  // nothing changes.
  absl::StatusOr<std::vector<std::string>> Reload();
  // The config file given with --config, empty if none.
  const std::string& config_file() const { return config_file_; }

  std::string Get(const std::string& name) const;
  absl::StatusOr<int> GetInt(const std::string& name) const;
  // Defined with DefineBool; Parse has checked the value.
  bool GetBool(const std::string& name) const;
  std::string Usage(const std::string& program) const;

 private:
  struct Def {
    std::string default_value;
    std::string value;
    std::string help;
    bool is_bool = false;
  };
  // Sets `name` (either spelling) to `value`; `where` starts the error.
  absl::Status Set(std::map<std::string, Def>* defs, const std::string& name, std::string value,
                   bool has_value, const std::string& where) const;
  // Defaults, then the config file, then the command line, into `defs`.
  absl::Status Build(std::map<std::string, Def>* defs) const;

  std::map<std::string, Def> defs_;
  std::vector<std::string> args_;
  std::string config_file_;
  bool help_ = false;
  bool version_ = false;
};

}  // namespace dbdump
