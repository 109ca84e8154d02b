// What the MySQL engine reads from a server's catalog before a dump or a
// restore: its version, schemas (with their character sets and how many
// objects they hold) and relations.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace dbdump {
namespace mysql {

// What a restore or dump needs to know about a server. Names come back
// hex-encoded so no byte of them can disturb the parsing.
struct SchemaInfo {
  int64_t objects = 0;  // tables, views, routines and events
  std::string charset;
  std::string collation;
};
struct ServerState {
  std::string version;
  std::map<std::string, SchemaInfo> schemas;
  // (schema, table) of every table and view; `base` says which are tables.
  std::set<std::pair<std::string, std::string>> relations;
  std::set<std::pair<std::string, std::string>> base_tables;
};

// Version, schemas and object counts; ParseState reads the answer.
extern const char kStateSql[];
// Every table and view with whether it is a base table (after kStateSql).
extern const char kRelationsSql[];

absl::StatusOr<ServerState> ParseState(const std::string& out);

// The tables of database `db` that --table `names` ("table" or "db.table")
// name, as mariadb-dump takes them; every name that names no table or view
// of `db` in one NOT_FOUND error.
absl::StatusOr<std::vector<std::string>> IncludedTables(const ServerState& state,
                                                        const std::string& db,
                                                        const std::vector<std::string>& names);

// Schemas of the server itself: never part of an all-databases backup (a
// restore could not recreate them over a running server's own).
bool IsSystemSchema(const std::string& name);

// CREATE DATABASE with the character set and collation it had.
std::string CreateDatabaseSql(const std::string& name, const SchemaInfo& info);

}  // namespace mysql
}  // namespace dbdump
