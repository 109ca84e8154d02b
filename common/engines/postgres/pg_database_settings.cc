#include "common/engines/postgres/pg_database_settings.h"

#include <libpq-fe.h>

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/status_macros.h"
#include "common/engines/postgres/postgres_connection.h"
#include "google/protobuf/util/json_util.h"

namespace dbdump::pg {
namespace {

using Row = std::vector<std::optional<std::string>>;

// Runs `sql` with text parameters; the rows as optional strings (nullopt
// for NULL).
absl::StatusOr<std::vector<Row>> Query(PGconn* conn, const std::string& what,
                                       const std::string& sql,
                                       const std::vector<std::string>& params = {}) {
  std::vector<const char*> values;
  for (const std::string& p : params) values.push_back(p.c_str());
  PGresult* r = PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0);
  ExecStatusType status = PQresultStatus(r);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    std::string err = PQresultErrorMessage(r);
    PQclear(r);
    return absl::FailedPreconditionError(absl::StrCat(what, ": ", err.substr(0, err.find('\n'))));
  }
  std::vector<Row> rows;
  for (int i = 0; i < PQntuples(r); ++i) {
    Row row;
    for (int j = 0; j < PQnfields(r); ++j) {
      if (PQgetisnull(r, i, j)) {
        row.push_back(std::nullopt);
      } else {
        row.push_back(std::string(PQgetvalue(r, i, j), PQgetlength(r, i, j)));
      }
    }
    rows.push_back(std::move(row));
  }
  PQclear(r);
  return rows;
}

std::string Ident(PGconn* conn, const std::string& name) {
  char* q = PQescapeIdentifier(conn, name.data(), name.size());
  if (q == nullptr) return "\"\"";
  std::string out = q;
  PQfreemem(q);
  return out;
}

std::string Literal(PGconn* conn, const std::string& value) {
  char* q = PQescapeLiteral(conn, value.data(), value.size());
  if (q == nullptr) return "''";
  std::string out = q;
  PQfreemem(q);
  return out;
}

// Settings whose stored value is a list of separately quoted elements
// (the server's GUC_LIST_QUOTE ones): each element becomes its own
// literal, as pg_dump writes them.
bool IsListSetting(const std::string& name) {
  static const std::set<std::string> kLists = {
      "local_preload_libraries", "search_path", "session_preload_libraries",
      "shared_preload_libraries", "temp_tablespaces", "unix_socket_directories"};
  return kLists.count(name) > 0;
}

// Splits a stored list value ("\"$user\", public") into its elements:
// commas separate, surrounding blanks go, double quotes enclose an element
// and "" inside them is one quote.
std::vector<std::string> SplitList(const std::string& value) {
  std::vector<std::string> out;
  size_t i = 0;
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (i < value.size()) {
    while (i < value.size() && blank(value[i])) ++i;
    std::string element;
    if (i < value.size() && value[i] == '"') {
      for (++i; i < value.size(); ++i) {
        if (value[i] == '"') {
          if (i + 1 < value.size() && value[i + 1] == '"') {
            element.push_back('"');
            ++i;
            continue;
          }
          ++i;
          break;
        }
        element.push_back(value[i]);
      }
    } else {
      while (i < value.size() && value[i] != ',' && !blank(value[i])) element.push_back(value[i++]);
    }
    out.push_back(std::move(element));
    while (i < value.size() && blank(value[i])) ++i;
    if (i < value.size() && value[i] == ',') ++i;
  }
  return out;
}

std::string SettingValueSql(PGconn* conn, const v1::DatabaseSettings::Setting& s) {
  if (!IsListSetting(s.name())) return Literal(conn, s.value());
  std::vector<std::string> parts;
  for (const std::string& e : SplitList(s.value())) parts.push_back(Literal(conn, e));
  return parts.empty() ? "''" : absl::StrJoin(parts, ", ");
}

absl::StatusOr<v1::DatabaseSettings> Parse(const std::string& json) {
  v1::DatabaseSettings s;
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(json, &s, opts).ok()) {
    return absl::DataLossError(
        "the backup's settings object is not a valid settings document: restore with "
        "--no-database-settings to leave it out");
  }
  return s;
}

// Roles that exist on the connected server, of those in `names`.
absl::StatusOr<std::set<std::string>> ExistingRoles(PGconn* conn,
                                                    const std::set<std::string>& names) {
  ASSIGN_OR_RETURN(std::vector<Row> rows, Query(conn, "cannot list the target's roles",
                                                "SELECT rolname FROM pg_roles"));
  std::set<std::string> out;
  for (const Row& r : rows) {
    if (r[0] && names.count(*r[0])) out.insert(*r[0]);
  }
  return out;
}

// Roles a restore of `s` with `options` needs on the target, each with why.
std::vector<std::pair<std::string, std::string>> NeededRoles(const v1::DatabaseSettings& s,
                                                             const v1::RestoreOptions& options) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!options.owner().empty()) {
    out.emplace_back(options.owner(), "given to --owner");
  } else if (!options.no_owner() && !s.owner().empty()) {
    out.emplace_back(s.owner(), "which owns the database in the backup");
  }
  if (!options.no_privileges()) {
    for (const auto& g : s.grants()) {
      if (!g.grantee().empty()) out.emplace_back(g.grantee(), "named by the database's ACL");
    }
  }
  // Without no_owner/no_privileges the restore is meant to recreate the
  // source's roles' view of the database: its role settings too.
  if (!options.no_owner() && !options.no_privileges()) {
    for (const auto& st : s.settings()) {
      if (!st.role().empty()) out.emplace_back(st.role(), "which has settings in the database");
    }
  }
  return out;
}

absl::Status Exec(PGconn* conn, const std::string& sql, const std::string& what) {
  return Query(conn, what, sql).status();
}

}  // namespace

absl::StatusOr<std::string> CaptureDatabaseSettings(const v1::DatabaseTarget& target,
                                                    int connect_timeout_s) {
  PgConn c;
  RETURN_IF_ERROR(Connect(target, target.database(), connect_timeout_s, &c));
  const std::string what = absl::StrCat("cannot read the settings of ", Describe(target));
  v1::DatabaseSettings s;
  ASSIGN_OR_RETURN(
      std::vector<Row> db,
      Query(c.conn, what,
            "SELECT d.datname, pg_get_userbyid(d.datdba), pg_encoding_to_char(d.encoding), "
            "d.datcollate, d.datctype, d.datconnlimit, d.datacl IS NULL, "
            "shobj_description(d.oid, 'pg_database') "
            "FROM pg_database d WHERE d.datname = current_database()"));
  if (db.size() != 1) return absl::InternalError(what + ": the database is not in pg_database");
  const Row& d = db[0];
  s.set_database(d[0].value_or(""));
  s.set_owner(d[1].value_or(""));
  s.set_encoding(d[2].value_or(""));
  s.set_collate(d[3].value_or(""));
  s.set_ctype(d[4].value_or(""));
  s.set_connection_limit(std::stoi(d[5].value_or("-1")));
  s.set_default_acl(d[6].value_or("f") == "t");
  if (d[7]) s.set_comment(*d[7]);
  ASSIGN_OR_RETURN(
      std::vector<Row> acl,
      Query(c.conn, what,
            "SELECT CASE WHEN a.grantee = 0 THEN '' ELSE pg_get_userbyid(a.grantee) END, "
            "a.privilege_type, a.is_grantable "
            "FROM pg_database d, aclexplode(d.datacl) a "
            "WHERE d.datname = current_database() AND a.grantee <> d.datdba ORDER BY 1, 2"));
  for (const Row& r : acl) {
    auto* g = s.add_grants();
    g->set_grantee(r[0].value_or(""));
    g->set_privilege(r[1].value_or(""));
    g->set_grantable(r[2].value_or("f") == "t");
  }
  ASSIGN_OR_RETURN(
      std::vector<Row> settings,
      Query(c.conn, what,
            "SELECT COALESCE(r.rolname, ''), c.setting "
            "FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase "
            "LEFT JOIN pg_roles r ON r.oid = s.setrole, "
            "unnest(s.setconfig) WITH ORDINALITY AS c(setting, n) "
            "WHERE d.datname = current_database() ORDER BY 1, c.n"));
  for (const Row& r : settings) {
    const std::string& entry = r[1].value_or("");
    size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    auto* st = s.add_settings();
    st->set_role(r[0].value_or(""));
    st->set_name(entry.substr(0, eq));
    st->set_value(entry.substr(eq + 1));
  }
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(s, &out, opts);
  return out;
}

absl::Status CheckDatabaseSettings(const v1::DatabaseTarget& target, const std::string& json,
                                   const v1::RestoreOptions& options, int connect_timeout_s) {
  ASSIGN_OR_RETURN(v1::DatabaseSettings s, Parse(json));
  std::vector<std::pair<std::string, std::string>> needed = NeededRoles(s, options);
  if (needed.empty()) return absl::OkStatus();
  PgConn c;
  RETURN_IF_ERROR(Connect(target, "postgres", connect_timeout_s, &c));
  std::set<std::string> names;
  for (const auto& [role, why] : needed) names.insert(role);
  ASSIGN_OR_RETURN(std::set<std::string> existing, ExistingRoles(c.conn, names));
  for (const auto& [role, why] : needed) {
    if (existing.count(role)) continue;
    if (!options.owner().empty() && role == options.owner()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the target server has no role \"", role, "\" (given to --owner): create it first or "
          "name an existing role"));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "the target server has no role \"", role, "\", ", why, "; ", MissingRoleHint(),
        "; nothing was restored"));
  }
  return absl::OkStatus();
}

absl::Status ApplyDatabaseSettings(const v1::DatabaseTarget& target, const std::string& json,
                                   const v1::RestoreOptions& options, int connect_timeout_s,
                                   std::vector<std::string>* notes) {
  ASSIGN_OR_RETURN(v1::DatabaseSettings s, Parse(json));
  PgConn c;
  RETURN_IF_ERROR(Connect(target, "postgres", connect_timeout_s, &c));
  PGconn* conn = c.conn;
  const std::string db = Ident(conn, target.database());
  const std::string what =
      absl::StrCat("cannot apply the database settings of the backup to ", Describe(target));
  std::set<std::string> role_names;
  for (const auto& st : s.settings()) {
    if (!st.role().empty()) role_names.insert(st.role());
  }
  ASSIGN_OR_RETURN(std::set<std::string> existing, ExistingRoles(conn, role_names));

  std::vector<std::string> done;
  std::vector<std::string> skipped;
  absl::Status applied = [&]() -> absl::Status {
    RETURN_IF_ERROR(Exec(conn, "BEGIN", what));
    if (!options.owner().empty()) {
      RETURN_IF_ERROR(Exec(conn, absl::StrCat("ALTER DATABASE ", db, " OWNER TO ",
                                              Ident(conn, options.owner())), what));
      done.push_back("owner " + options.owner());
    } else if (!options.no_owner() && !s.owner().empty()) {
      RETURN_IF_ERROR(
          Exec(conn, absl::StrCat("ALTER DATABASE ", db, " OWNER TO ", Ident(conn, s.owner())),
               what));
      done.push_back("owner " + s.owner());
    }
    RETURN_IF_ERROR(Exec(conn, absl::StrCat("ALTER DATABASE ", db, " WITH CONNECTION LIMIT ",
                                            s.connection_limit()), what));
    RETURN_IF_ERROR(Exec(conn, absl::StrCat("COMMENT ON DATABASE ", db, " IS ",
                                            s.has_comment() ? Literal(conn, s.comment()) : "NULL"),
                         what));
    if (s.has_comment()) done.push_back("comment");
    if (!options.no_privileges()) {
      // The target's ACL becomes the backup's: what others hold now goes
      // first (the owner keeps its own privileges).
      ASSIGN_OR_RETURN(
          std::vector<Row> current,
          Query(conn, what,
                "SELECT DISTINCT CASE WHEN a.grantee = 0 THEN '' "
                "ELSE pg_get_userbyid(a.grantee) END, d.datacl IS NULL "
                "FROM pg_database d LEFT JOIN LATERAL aclexplode(d.datacl) a ON true "
                "WHERE d.datname = $1 AND (a.grantee IS NULL OR a.grantee <> d.datdba)",
                {target.database()}));
      bool target_default = !current.empty() && current[0][1].value_or("f") == "t";
      if (!(s.default_acl() && target_default)) {
        for (const Row& r : current) {
          if (!r[0]) continue;
          std::string who = r[0]->empty() ? "PUBLIC" : Ident(conn, *r[0]);
          RETURN_IF_ERROR(
              Exec(conn, absl::StrCat("REVOKE ALL ON DATABASE ", db, " FROM ", who, " CASCADE"),
                   what));
        }
        if (target_default) {
          RETURN_IF_ERROR(
              Exec(conn, absl::StrCat("REVOKE ALL ON DATABASE ", db, " FROM PUBLIC"), what));
        }
        if (s.default_acl()) {
          RETURN_IF_ERROR(Exec(
              conn, absl::StrCat("GRANT CONNECT, TEMPORARY ON DATABASE ", db, " TO PUBLIC"), what));
        }
        for (const auto& g : s.grants()) {
          std::string who = g.grantee().empty() ? "PUBLIC" : Ident(conn, g.grantee());
          // privilege_type is one of CREATE, TEMPORARY, CONNECT: checked,
          // since it is written into the statement as a keyword.
          if (g.privilege() != "CREATE" && g.privilege() != "TEMPORARY" &&
              g.privilege() != "CONNECT") {
            return absl::DataLossError(absl::StrCat(
                "the backup's settings name an unknown database privilege \"", g.privilege(), "\""));
          }
          RETURN_IF_ERROR(Exec(conn,
                               absl::StrCat("GRANT ", g.privilege(), " ON DATABASE ", db, " TO ",
                                            who, g.grantable() ? " WITH GRANT OPTION" : ""),
                               what));
        }
        done.push_back(s.default_acl() ? "default ACL"
                                       : absl::StrCat("ACL (", s.grants_size(), " grants)"));
      }
    }
    int applied_settings = 0;
    for (const auto& st : s.settings()) {
      std::string set = absl::StrCat(" SET ", Ident(conn, st.name()), " TO ",
                                     SettingValueSql(conn, st));
      if (st.role().empty()) {
        RETURN_IF_ERROR(Exec(conn, absl::StrCat("ALTER DATABASE ", db, set), what));
      } else if (existing.count(st.role())) {
        RETURN_IF_ERROR(Exec(conn, absl::StrCat("ALTER ROLE ", Ident(conn, st.role()),
                                                " IN DATABASE ", db, set),
                             what));
      } else {
        skipped.push_back(st.role());
        continue;
      }
      ++applied_settings;
    }
    if (applied_settings > 0) {
      done.push_back(absl::StrCat(applied_settings, applied_settings == 1 ? " setting" : " settings"));
    }
    return Exec(conn, "COMMIT", what);
  }();
  if (!applied.ok()) {
    PQclear(PQexec(conn, "ROLLBACK"));
    return absl::Status(applied.code(),
                        absl::StrCat(applied.message(),
                                     "; restore with --no-database-settings to leave them out"));
  }
  notes->push_back(absl::StrCat("database settings applied to ", target.database(), ": ",
                                done.empty() ? "none recorded" : absl::StrJoin(done, ", ")));
  if (!skipped.empty()) {
    std::set<std::string> roles(skipped.begin(), skipped.end());
    notes->push_back(absl::StrCat("database settings of roles the target lacks were left out: ",
                                  absl::StrJoin(roles, ", ")));
  }
  // Encoding and collation come from CREATE DATABASE, not from here: say
  // when the target's differ, since sorting and comparisons then do too.
  auto target_db = Query(conn, what,
                         "SELECT pg_encoding_to_char(encoding), datcollate, datctype "
                         "FROM pg_database WHERE datname = $1",
                         {target.database()});
  if (target_db.ok() && target_db->size() == 1) {
    const Row& t = (*target_db)[0];
    if (t[0].value_or("") != s.encoding() || t[1].value_or("") != s.collate() ||
        t[2].value_or("") != s.ctype()) {
      notes->push_back(absl::StrCat(
          "the target database's encoding/collation (", t[0].value_or(""), ", ",
          t[1].value_or(""), ", ", t[2].value_or(""), ") differ from the source's (",
          s.encoding(), ", ", s.collate(), ", ", s.ctype(), ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace dbdump::pg
