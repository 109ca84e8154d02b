#include "common/engines/mysql/mysql_catalog.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/engines/mysql/mysql_client.h"
#include "common/engines/mysql/mysql_names.h"

namespace dbdump {
namespace mysql {
namespace {

// Character set and collation names go into SQL unquoted, so only plain
// words are used.
bool IsPlainWord(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace

const char kStateSql[] =
    "SELECT 'v', VERSION();\n"
    "SELECT 'd', HEX(SCHEMA_NAME), DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
    "FROM information_schema.SCHEMATA;\n"
    "SELECT 'o', HEX(TABLE_SCHEMA), COUNT(*) FROM information_schema.TABLES "
    "GROUP BY HEX(TABLE_SCHEMA);\n"
    "SELECT 'o', HEX(ROUTINE_SCHEMA), COUNT(*) FROM information_schema.ROUTINES "
    "GROUP BY HEX(ROUTINE_SCHEMA);\n"
    "SELECT 'o', HEX(EVENT_SCHEMA), COUNT(*) FROM information_schema.EVENTS "
    "GROUP BY HEX(EVENT_SCHEMA);\n";
const char kRelationsSql[] =
    "SELECT 't', HEX(TABLE_SCHEMA), HEX(TABLE_NAME), TABLE_TYPE = 'BASE TABLE' "
    "FROM information_schema.TABLES "
    "WHERE TABLE_SCHEMA NOT IN ('information_schema', 'performance_schema');\n";

absl::StatusOr<ServerState> ParseState(const std::string& out) {
  ServerState st;
  auto bad = [] {
    return absl::InternalError("unexpected output from the mysql client while reading the catalog");
  };
  for (const std::vector<std::string>& row : Rows(out)) {
    const std::string& tag = row[0];
    std::string a, b;
    if (tag == "v" && row.size() == 2) {
      st.version = row[1];
    } else if (tag == "d" && row.size() == 4) {
      if (!HexDecode(row[1], &a)) return bad();
      st.schemas[a].charset = row[2];
      st.schemas[a].collation = row[3];
    } else if (tag == "o" && row.size() == 3) {
      int64_t n = 0;
      if (!HexDecode(row[1], &a) || !absl::SimpleAtoi(row[2], &n)) return bad();
      st.schemas[a].objects += n;
    } else if (tag == "t" && row.size() == 4) {
      if (!HexDecode(row[1], &a) || !HexDecode(row[2], &b)) return bad();
      st.relations.insert({a, b});
      if (row[3] == "1") st.base_tables.insert({a, b});
    } else {
      return bad();
    }
  }
  if (st.version.empty()) return bad();
  return st;
}

absl::StatusOr<std::vector<std::string>> IncludedTables(const ServerState& state,
                                                        const std::string& db,
                                                        const std::vector<std::string>& names) {
  std::vector<std::string> included;
  std::vector<std::string> missing;
  for (const std::string& e : names) {
    std::string name = e;
    if (state.relations.count({db, e}) == 0 && absl::StartsWith(e, db + ".")) {
      name = e.substr(db.size() + 1);
    }
    if (state.relations.count({db, name}) == 0) {
      missing.push_back(absl::StrCat("\"", e, "\""));
      continue;
    }
    included.push_back(name);
  }
  if (!missing.empty()) {
    return absl::NotFoundError(absl::StrCat("dump option include_tables: no table or view ",
                                            absl::StrJoin(missing, ", "), " in database \"", db,
                                            "\"; check --table (exact names)"));
  }
  return included;
}

bool IsSystemSchema(const std::string& name) {
  return name == "information_schema" || name == "performance_schema" || name == "mysql" ||
         name == "sys";
}

std::string CreateDatabaseSql(const std::string& name, const SchemaInfo& info) {
  std::string sql = absl::StrCat("CREATE DATABASE ", QuoteMysqlIdentifier(name));
  if (IsPlainWord(info.charset) && IsPlainWord(info.collation)) {
    absl::StrAppend(&sql, " CHARACTER SET ", info.charset, " COLLATE ", info.collation);
  }
  return sql + ";\n";
}

}  // namespace mysql
}  // namespace dbdump
