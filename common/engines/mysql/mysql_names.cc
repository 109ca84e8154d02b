#include "common/engines/mysql/mysql_names.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace dbdump {
namespace mysql {

size_t Utf8Chars(absl::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace mysql

absl::Status ValidateMysqlName(absl::string_view kind, const std::string& name) {
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(kind, " is empty: give one"));
  if (name.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(kind, " \"", absl::CHexEscape(name), "\" contains a NUL byte: MySQL names cannot"));
  }
  if (mysql::Utf8Chars(name) > mysql::kMaxNameChars) {
    return absl::InvalidArgumentError(absl::StrCat(
        kind, " \"", name, "\" is longer than ", mysql::kMaxNameChars, " characters: MySQL names cannot be"));
  }
  if (name.back() == ' ') {
    return absl::InvalidArgumentError(
        absl::StrCat(kind, " \"", name, "\" ends with a space: MySQL names cannot"));
  }
  return absl::OkStatus();
}

std::string QuoteMysqlIdentifier(absl::string_view name) {
  return absl::StrCat("`", absl::StrReplaceAll(name, {{"`", "``"}}), "`");
}

absl::StatusOr<std::string> QuoteOptionFileValue(absl::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    switch (c) {
      case '\0':
        return absl::InvalidArgumentError("an option file value cannot hold a NUL byte");
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

bool IsMysqlDumpHeader(absl::string_view first_line) {
  first_line = absl::StripTrailingAsciiWhitespace(first_line);
  // MariaDB 10.5.25/10.11.8 and later open with a line that puts the client
  // in sandbox mode; older dumps and MySQL's open with the comment.
  return first_line == "/*M!999999\\- enable the sandbox mode */" ||
         absl::StartsWith(first_line, "-- MariaDB dump") ||
         absl::StartsWith(first_line, "-- MySQL dump");
}

}  // namespace dbdump
