// The flags and positional arguments of one command line, after ArgParser
// checked them against the command's spec. Typed getters turn malformed
// values into usage errors that name the flag. Not thread-safe; immutable
// once parsing is done.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace dbdump {

class ParsedArgs {
 public:
  // Records `--name=value`; boolean flags are stored with an empty value.
  void SetFlag(const std::string& name, const std::string& value);
  void AddPositional(const std::string& value);

  bool Has(const std::string& name) const;
  // Every value of a repeatable flag, in the order given.
  std::vector<std::string> GetAll(const std::string& name) const;
  // The flag's value, or `fallback` when it was not given.
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  // The flag as a whole number in [min, max]; `fallback` when not given.
  absl::StatusOr<uint32_t> GetUint32(const std::string& name, uint32_t fallback, uint32_t min,
                                     uint32_t max) const;
  // The flag as a signed whole number; `fallback` when not given.
  absl::StatusOr<int32_t> GetInt32(const std::string& name, int32_t fallback) const;
  // The flag as a byte count: plain digits, or digits with a KiB, MiB or GiB
  // suffix ("8MiB"); `fallback` when not given.
  absl::StatusOr<uint64_t> GetByteSize(const std::string& name, uint64_t fallback) const;

  const std::vector<std::string>& positionals() const { return positionals_; }
  const std::map<std::string, std::string>& flags() const { return flags_; }

 private:
  std::map<std::string, std::string> flags_;
  std::map<std::string, std::vector<std::string>> all_;
  std::vector<std::string> positionals_;
};

}  // namespace dbdump
