// What a pg_dump run selects: its format, and the tables its options name,
// resolved against the database the way pg_dump resolves them.
#pragma once

#include <libpq-fe.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump {
namespace pg {

using TableName = std::pair<std::string, std::string>;  // schema, table

// Whether the options ask for a plain SQL script (else the custom format).
bool IsPlain(const v1::DumpOptions& o);

// A table name for pg_dump --table / --exclude-table and --schema: each
// part in double quotes, so pg_dump matches it exactly instead of as a
// pattern ("*", "?", "." and regex characters lose their meaning inside
// quotes, and "" stands for one quote).
std::string QuotedPatternPart(absl::string_view part);

// --table / --exclude-table argument for one resolved table.
std::string TablePattern(const TableName& t);

// Resolves user-given table names against the database's tables: "table"
// must name exactly one table of any schema, "schema.table" that table (a
// name with dots in it is matched whole first). pg_dump itself would take
// an unqualified name only from the search path, so names always go to it
// qualified. Included names must exist; excluded ones may not.
absl::StatusOr<std::vector<TableName>> ResolveTables(
    const google::protobuf::RepeatedPtrField<std::string>& names,
    const std::vector<TableName>& tables, bool must_exist, const std::string& desc);

// Whether pg_dump with these options dumps the table, as pg_dump decides:
// with --table only the named tables (schema options have no effect);
// otherwise the included schemas (all when none) minus the excluded ones;
// excluded tables never.
bool Selected(const v1::DumpOptions& o, const std::vector<TableName>& include,
              const std::vector<TableName>& exclude, const TableName& t);

// User tables of the connected database as (schema, table).
absl::StatusOr<std::vector<TableName>> UserTables(PGconn* conn, const std::string& desc);

}  // namespace pg
}  // namespace dbdump
