#include "common/base/config_file.h"

#include <algorithm>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "toml++/toml.h"

namespace dbdump {
namespace {

std::string FlagName(std::string key) {
  std::replace(key.begin(), key.end(), '-', '_');
  return key;
}

std::string Where(const std::string& path, const toml::source_region& at) {
  return absl::StrCat(path, ":", at.begin.line);
}

// Adds the settings of `table` under `prefix` ("" or "notify_").
absl::Status Collect(const std::string& path, const toml::table& table, const std::string& prefix,
                     std::map<std::string, std::string>* out) {
  for (const auto& [key, node] : table) {
    std::string name = prefix + FlagName(std::string(key.str()));
    std::string value;
    if (const toml::table* sub = node.as_table()) {
      if (!prefix.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            Where(path, node.source()), ": table [", std::string(key.str()),
            "] inside a table: only one level of tables groups flags"));
      }
      absl::Status st = Collect(path, *sub, name + "_", out);
      if (!st.ok()) return st;
      continue;
    }
    if (auto s = node.value<std::string>(); s && node.is_string()) {
      value = *s;
    } else if (node.is_integer()) {
      value = std::to_string(*node.value<int64_t>());
    } else if (node.is_floating_point()) {
      std::ostringstream f;
      f << *node.value<double>();
      value = f.str();
    } else if (node.is_boolean()) {
      value = *node.value<bool>() ? "true" : "false";
    } else if (const toml::array* list = node.as_array()) {
      std::vector<std::string> items;
      for (const toml::node& item : *list) {
        if (!item.is_string()) {
          return absl::InvalidArgumentError(absl::StrCat(
              Where(path, item.source()), ": ", name, ": a list holds strings only"));
        }
        items.push_back(*item.value<std::string>());
      }
      value = absl::StrJoin(items, ",");
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          Where(path, node.source()), ": ", name,
          ": give a string, number, true/false or a list of strings"));
    }
    if (!out->emplace(name, value).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          Where(path, node.source()), ": ", name,
          " is given twice (once with - and once with _ in its name, or inside and outside a "
          "table)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> ReadConfigFile(const std::string& path) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ":", e.source().begin.line, ":", e.source().begin.column, ": ", std::string(e.description())));
  }
  std::map<std::string, std::string> out;
  absl::Status st = Collect(path, table, "", &out);
  if (!st.ok()) return st;
  return out;
}

}  // namespace dbdump
