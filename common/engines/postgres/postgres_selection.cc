#include "common/engines/postgres/postgres_selection.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/engines/postgres/postgres_connection.h"

namespace dbdump {
namespace pg {
namespace {

constexpr char kUserTablesSql[] =
    "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' "
    "AND n.nspname NOT LIKE 'pg\\_%' "
    "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_class'::regclass "
    "AND d.objid = c.oid AND d.deptype = 'e') "
    "ORDER BY 1, 2";

}  // namespace

bool IsPlain(const v1::DumpOptions& o) { return o.format() == "plain"; }

std::string QuotedPatternPart(absl::string_view part) {
  std::string out = "\"";
  for (char c : part) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string TablePattern(const TableName& t) {
  return absl::StrCat(QuotedPatternPart(t.first), ".", QuotedPatternPart(t.second));
}

absl::StatusOr<std::vector<TableName>> ResolveTables(
    const google::protobuf::RepeatedPtrField<std::string>& names,
    const std::vector<TableName>& tables, bool must_exist, const std::string& desc) {
  std::vector<TableName> out;
  std::vector<std::string> missing;
  for (const std::string& name : names) {
    std::vector<TableName> found;
    for (const TableName& t : tables) {
      if (t.second == name) found.push_back(t);
    }
    if (found.empty()) {
      for (const TableName& t : tables) {
        if (absl::StrCat(t.first, ".", t.second) == name) found.push_back(t);
      }
    }
    if (found.size() > 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "table name \"", name, "\" is ambiguous in ", desc, ": it names ", found[0].first, ".",
          found[0].second, " and ", found[1].first, ".", found[1].second,
          "; give it as schema.table"));
    }
    if (found.empty()) missing.push_back(absl::StrCat("\"", name, "\""));
    if (!found.empty()) out.push_back(found[0]);
  }
  // Every missing name at once, so one correction fixes them all.
  if (!missing.empty() && must_exist) {
    return absl::NotFoundError(absl::StrCat(
        "no table ", absl::StrJoin(missing, ", "), " in ", desc,
        ": check --table (exact names, table or schema.table)"));
  }
  return out;
}

bool Selected(const v1::DumpOptions& o, const std::vector<TableName>& include,
              const std::vector<TableName>& exclude, const TableName& t) {
  auto has = [&](const std::vector<TableName>& list) {
    return std::find(list.begin(), list.end(), t) != list.end();
  };
  if (has(exclude)) return false;
  if (!include.empty()) return has(include);
  auto is_schema = [&](const std::string& w) { return w == t.first; };
  if (!o.include_schemas().empty() &&
      std::none_of(o.include_schemas().begin(), o.include_schemas().end(), is_schema)) {
    return false;
  }
  return std::none_of(o.exclude_schemas().begin(), o.exclude_schemas().end(), is_schema);
}

absl::StatusOr<std::vector<TableName>> UserTables(
    PGconn* conn, const std::string& desc) {
  PGresult* r = PQexec(conn, kUserTablesSql);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    std::string err = PQerrorMessage(conn);
    PQclear(r);
    return PgError("cannot list the tables of", desc, err);
  }
  std::vector<TableName> out;
  for (int i = 0; i < PQntuples(r); ++i) out.emplace_back(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
  PQclear(r);
  return out;
}

}  // namespace pg
}  // namespace dbdump
