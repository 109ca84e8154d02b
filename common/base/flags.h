// Flags: a small `--name=value` parser for the daemons' command lines.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace dbdump {

// Parsed flags of a daemon. Each flag has a default and a help line; unknown
// flags and positional arguments are errors.
class Flags {
 public:
  // Declares a flag; `help` appears in Usage().
  void Define(const std::string& name, const std::string& default_value, const std::string& help);
  // A true/false flag; `--name` alone means true.
  void DefineBool(const std::string& name, bool default_value, const std::string& help);
  // Accepts `--name=value` and `--name value`; `--help` returns NotFound.
  absl::Status Parse(int argc, char** argv);
  std::string Get(const std::string& name) const;
  absl::StatusOr<int> GetInt(const std::string& name) const;
  // Defined with DefineBool; Parse has checked the value.
  bool GetBool(const std::string& name) const;
  std::string Usage(const std::string& program) const;

 private:
  struct Def {
    std::string value;
    std::string help;
    bool is_bool = false;
  };
  std::map<std::string, Def> defs_;
};

}  // namespace dbdump
