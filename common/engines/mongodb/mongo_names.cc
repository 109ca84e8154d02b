#include "common/engines/mongodb/mongo_names.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/base/status_macros.h"

namespace dbdump {

absl::Status ValidateMongoDatabaseName(const std::string& name) {
  if (name.empty()) return absl::InvalidArgumentError("MongoDB database name is empty");
  if (name.size() > 63) {
    return absl::InvalidArgumentError(absl::StrCat("MongoDB database name \"",
                                                   absl::CHexEscape(name),
                                                   "\" is longer than 63 bytes"));
  }
  for (char c : name) {
    if (c == '/' || c == '\\' || c == '.' || c == ' ' || c == '"' || c == '$' || c == '\0') {
      return absl::InvalidArgumentError(absl::StrCat(
          "MongoDB database name \"", absl::CHexEscape(name),
          "\" is not allowed: MongoDB database names cannot contain / \\ . \" $, spaces or NUL"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::pair<std::string, std::string>> SplitMongoNamespace(const std::string& ns) {
  size_t dot = ns.find('.');
  if (dot == std::string::npos || dot == 0) {
    return absl::InvalidArgumentError(absl::StrCat("MongoDB namespace \"", absl::CHexEscape(ns),
                                                   "\" must be \"database.collection\""));
  }
  if (ns.size() > 255) {
    return absl::InvalidArgumentError(absl::StrCat(
        "MongoDB namespace \"", absl::CHexEscape(ns), "\" is longer than 255 bytes"));
  }
  std::string db = ns.substr(0, dot);
  std::string collection = ns.substr(dot + 1);
  RETURN_IF_ERROR(ValidateMongoDatabaseName(db));
  if (collection.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "MongoDB namespace \"", absl::CHexEscape(ns), "\" has no collection after the dot"));
  }
  if (collection.find('$') != std::string::npos || collection.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("collection name in MongoDB namespace \"", absl::CHexEscape(ns),
                     "\" is not allowed: MongoDB collection names cannot contain $ or NUL"));
  }
  return std::make_pair(db, collection);
}

absl::StatusOr<std::string> YamlDoubleQuoted(absl::string_view s) {
  std::string out = "\"";
  size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (b == '\\' || b == '"') {
        out.push_back('\\');
        out.push_back(static_cast<char>(b));
      } else if (b < 0x20 || b == 0x7F) {
        out += absl::StrFormat("\\x%02X", b);
      } else {
        out.push_back(static_cast<char>(b));
      }
      ++i;
      continue;
    }
    // One UTF-8 sequence: its length, the smallest code point it may encode
    // (no overlong forms), and its value.
    size_t len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 0;
    if (len == 0 || b > 0xF4 || i + len > s.size()) {
      return absl::InvalidArgumentError("text is not valid UTF-8");
    }
    uint32_t cp = b & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return absl::InvalidArgumentError("text is not valid UTF-8");
      cp = cp << 6 | (c & 0x3F);
    }
    static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return absl::InvalidArgumentError("text is not valid UTF-8");
    }
    // YAML folds these line breaks and may drop a byte order mark: escaped,
    // they survive as they are.
    if (cp == 0x85 || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF) {
      out += absl::StrFormat("\\u%04X", cp);
    } else {
      out.append(s.data() + i, len);
    }
    i += len;
  }
  out.push_back('"');
  return out;
}

std::string MongoNsPatternEscape(absl::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '\\' || c == '*') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace dbdump
