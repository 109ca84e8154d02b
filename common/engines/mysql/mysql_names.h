// Names, quoting and the dump header of MySQL: the rules every MySQL piece
// (engine, restore target checks, tests) shares.
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dbdump {

// Validates a MySQL database or table name (`kind` names it in the error):
// 1-64 characters, no NUL, no trailing space.
absl::Status ValidateMysqlName(absl::string_view kind, const std::string& name);

// `name` as a backtick-quoted identifier, backticks doubled.
std::string QuoteMysqlIdentifier(absl::string_view name);

// `value` as a double-quoted option-file value with backslash escapes; an
// error for values an option file cannot hold (NUL).
absl::StatusOr<std::string> QuoteOptionFileValue(absl::string_view value);

// Whether `first_line` is the first line of a mysqldump / mariadb-dump file.
bool IsMysqlDumpHeader(absl::string_view first_line);

namespace mysql {

// Scratch databases of test restores start with this; nothing else is ever
// dropped as scratch.
inline constexpr char kScratchPrefix[] = "dbdump_scratch_";
inline constexpr size_t kMaxNameChars = 64;

// Characters (not bytes) of UTF-8 text: MySQL limits names in characters.
size_t Utf8Chars(absl::string_view s);

}  // namespace mysql
}  // namespace dbdump
