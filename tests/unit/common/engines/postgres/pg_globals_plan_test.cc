#include "common/engines/postgres/pg_globals_plan.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"

namespace dbdump::pg {
namespace {

constexpr char kHash[] =
    "SCRAM-SHA-256$4096:fJWdxi+Qg1pG3P7eYtSn+A==$3LrCsD7zrbOU9bRF8P0JI7N/jkBWRd/5mZVrzrRx2Bc=:"
    "8kqS0Fsy0Fx9fzbWTjQZKhuqtOzRmsOT2LQDnYBujdQ=";

// The shape pg_dumpall 15 writes with --globals-only.
std::string Script() {
  return absl::StrReplaceAll(R"(--
-- PostgreSQL database cluster dump
--

\restrict DblVyfvEnaDtz2AzL5wHYJ4KC5gC

SET default_transaction_read_only = off;

SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;

CREATE ROLE "Weird ""Name";
ALTER ROLE "Weird ""Name" WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS;
CREATE ROLE postgres;
ALTER ROLE postgres WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS PASSWORD 'HASH';
CREATE ROLE app;
ALTER ROLE app WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS PASSWORD 'HASH';
CREATE ROLE reader;
ALTER ROLE reader WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 5 PASSWORD 'HASH';
COMMENT ON ROLE reader IS 'reads it''s stuff';
CREATE ROLE owner;
ALTER ROLE owner WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;

ALTER ROLE reader SET search_path TO 'public', 'pg_catalog';
ALTER ROLE app SET work_mem TO '8MB';

GRANT owner TO "Weird ""Name" GRANTED BY reader;
GRANT owner TO reader WITH ADMIN OPTION GRANTED BY postgres;
GRANT owner TO app GRANTED BY gone;
GRANT owner TO postgres;

GRANT SET ON PARAMETER work_mem TO reader;
GRANT SET ON PARAMETER work_mem TO app;

CREATE TABLESPACE fast OWNER postgres LOCATION '/srv/fast';
CREATE TABLESPACE slow OWNER postgres LOCATION '/srv/slow';
COMMENT ON TABLESPACE slow IS 'spinning';

\unrestrict DblVyfvEnaDtz2AzL5wHYJ4KC5gC
)",
                             {{"HASH", kHash}});
}

std::string Quote(absl::string_view name) {
  return absl::StrCat("\"", absl::StrReplaceAll(name, {{"\"", "\"\""}}), "\"");
}

// A target whose bootstrap superuser and restoring user is postgres, with
// app already there and its own tablespace slow.
ClusterGlobals Target() {
  ClusterGlobals c;
  c.roles = {"postgres", "app", "pg_monitor"};
  c.tablespaces = {"pg_default", "pg_global", "slow"};
  c.databases = {"postgres", "template1"};
  c.current_user = "postgres";
  c.bootstrap_superuser = "postgres";
  return c;
}

absl::StatusOr<GlobalsPlan> Plan(const std::string& script, const ClusterGlobals& c,
                                 v1::GlobalsMode mode) {
  auto parts = SplitPgScript(script, kGlobalsHeadTokens);
  if (!parts.ok()) return parts.status();
  return PlanGlobals(*parts, c, mode, Quote);
}

std::vector<std::string> Whats(const GlobalsPlan& p) {
  std::vector<std::string> out;
  for (const GlobalsStep& s : p.steps) out.push_back(s.what);
  return out;
}

std::string Sqls(const GlobalsPlan& p) {
  std::string out;
  for (const GlobalsStep& s : p.steps) out += s.sql + "\n";
  return out;
}

bool Has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(PgGlobalsPlanTest, MissingCreatesNewRolesAndLeavesExistingOnesAlone) {
  auto plan = Plan(Script(), Target(), v1::GLOBALS_MODE_MISSING);
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::vector<std::string> whats = Whats(*plan);
  EXPECT_EQ(whats, (std::vector<std::string>{
                       "creating role Weird \"Name",
                       "setting the attributes and password of role Weird \"Name",
                       "creating role reader",
                       "setting the attributes and password of role reader",
                       "setting the comment of role reader",
                       "creating role owner",
                       "setting the attributes and password of role owner",
                       "setting a configuration parameter of role reader",
                       "granting membership of Weird \"Name in owner",
                       "granting membership of reader in owner",
                       "granting privileges on a parameter to reader",
                   }))
      << absl::StrJoin(whats, "\n");
  // Nothing of app or postgres runs: no ALTER, no setting, no membership.
  std::string sql = Sqls(*plan);
  EXPECT_EQ(sql.find("ROLE app"), std::string::npos) << sql;
  EXPECT_EQ(sql.find("ROLE postgres"), std::string::npos) << sql;
  EXPECT_EQ(sql.find("TO \"app\""), std::string::npos) << sql;
  EXPECT_EQ(sql.find("TO app"), std::string::npos) << sql;
  // Names are quoted; memberships are rebuilt from the parsed names.
  EXPECT_NE(sql.find("CREATE ROLE \"Weird \"\"Name\"\n"), std::string::npos) << sql;
  EXPECT_NE(sql.find("GRANT \"owner\" TO \"Weird \"\"Name\" GRANTED BY \"reader\"\n"),
            std::string::npos)
      << sql;
  EXPECT_NE(sql.find("GRANT \"owner\" TO \"reader\" WITH ADMIN OPTION GRANTED BY \"postgres\"\n"),
            std::string::npos)
      << sql;
  // The script's session settings come first, the rest of SET is left out.
  ASSERT_EQ(plan->session.size(), 3u);
  EXPECT_EQ(plan->session[1].sql, "SET client_encoding = 'UTF8';");

  const auto& n = plan->notes;
  EXPECT_TRUE(Has(n, "globals: created roles Weird \"Name, reader, owner (3)")) << absl::StrJoin(n, "\n");
  EXPECT_TRUE(Has(n, "globals: kept existing roles app (password and attributes unchanged; "
                     "--globals=replace would replace them)"))
      << absl::StrJoin(n, "\n");
  EXPECT_TRUE(Has(n, "globals: left postgres unchanged (the restoring user and the bootstrap "
                     "superuser are never changed)"))
      << absl::StrJoin(n, "\n");
  EXPECT_TRUE(Has(n, "globals: skipped membership of existing role app in owner "
                     "(--globals=replace would grant it)"))
      << absl::StrJoin(n, "\n");
  EXPECT_TRUE(Has(n, "globals: skipped membership of postgres in owner: postgres is the "
                     "restoring user or the bootstrap superuser, which are never changed"))
      << absl::StrJoin(n, "\n");
  EXPECT_TRUE(Has(n, "globals: skipped privileges on parameters of existing roles app "
                     "(--globals=replace would grant them)"))
      << absl::StrJoin(n, "\n");
  EXPECT_TRUE(Has(n, "globals: tablespaces present on the target: slow")) << absl::StrJoin(n, "\n");
  bool fast = false;
  for (const std::string& s : n) {
    if (s.find("tablespace fast is not on the target") != std::string::npos &&
        s.find("CREATE TABLESPACE \"fast\" LOCATION '/srv/fast'") != std::string::npos) {
      fast = true;
    }
    EXPECT_EQ(s.find("SCRAM"), std::string::npos) << s;
  }
  EXPECT_TRUE(fast) << absl::StrJoin(n, "\n");
}

TEST(PgGlobalsPlanTest, ReplaceAlsoChangesExistingRolesButNeverTheRestoringUser) {
  auto plan = Plan(Script(), Target(), v1::GLOBALS_MODE_REPLACE);
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::vector<std::string> whats = Whats(*plan);
  EXPECT_TRUE(Has(whats, "setting the attributes and password of role app"));
  EXPECT_TRUE(Has(whats, "setting a configuration parameter of role app"));
  EXPECT_TRUE(Has(whats, "granting membership of app in owner"));
  EXPECT_TRUE(Has(whats, "granting privileges on a parameter to app"));
  EXPECT_FALSE(Has(whats, "creating role app"));
  for (const std::string& w : whats) EXPECT_EQ(w.find("postgres"), std::string::npos) << w;
  EXPECT_TRUE(Has(plan->notes, "globals: left postgres unchanged (the restoring user and the "
                               "bootstrap superuser are never changed)"))
      << absl::StrJoin(plan->notes, "\n");
  EXPECT_TRUE(Has(plan->notes, "globals: replaced the attributes, password, settings and "
                               "comment of existing roles app (1)"))
      << absl::StrJoin(plan->notes, "\n");
  // A membership naming a grantor the target lacks loses GRANTED BY, said so.
  std::string sql = Sqls(*plan);
  EXPECT_NE(sql.find("GRANT \"owner\" TO \"app\"\n"), std::string::npos) << sql;
  // The defaults pg_dumpall leaves out come first, then the backup's.
  EXPECT_NE(sql.find("ALTER ROLE \"app\" WITH CONNECTION LIMIT -1 VALID UNTIL 'infinity'\n"
                     "ALTER ROLE app WITH NOSUPERUSER"),
            std::string::npos)
      << sql;
  EXPECT_TRUE(Has(plan->notes, "globals: granted membership of app in owner without GRANTED BY "
                               "gone: the target has no role gone (the restoring user is its "
                               "grantor)"))
      << absl::StrJoin(plan->notes, "\n");
}

TEST(PgGlobalsPlanTest, ASecondRunKeepsEverything) {
  ClusterGlobals c = Target();
  c.roles.insert({"Weird \"Name", "reader", "owner"});
  c.memberships = {{"owner", "Weird \"Name"}, {"owner", "reader"}, {"owner", "app"},
                   {"owner", "postgres"}};
  auto plan = Plan(Script(), c, v1::GLOBALS_MODE_MISSING);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(plan->steps.empty()) << Sqls(*plan);
  EXPECT_TRUE(plan->created_roles.empty());
  EXPECT_TRUE(Has(plan->notes, "globals: kept existing roles Weird \"Name, app, reader, owner "
                               "(password and attributes unchanged; --globals=replace would "
                               "replace them)"))
      << absl::StrJoin(plan->notes, "\n");
  for (const std::string& n : plan->notes) {
    EXPECT_EQ(n.find("skipped membership"), std::string::npos) << n;
  }
}

TEST(PgGlobalsPlanTest, UnknownStatementsFailNamingTheirFirstWords) {
  for (const char* bad : {"DROP ROLE app;", "CREATE DATABASE x;", "ALTER ROLE app RENAME TO b;",
                          "GRANT SELECT ON TABLE t TO app;", "CREATE ROLE x WITH LOGIN;"}) {
    auto plan = Plan(Script() + bad + "\n", Target(), v1::GLOBALS_MODE_MISSING);
    ASSERT_FALSE(plan.ok()) << bad;
    EXPECT_NE(plan.status().message().find("does not apply"), std::string::npos) << plan.status();
  }
  auto plan = Plan(Script() + "DROP ROLE app;\n", Target(), v1::GLOBALS_MODE_MISSING);
  EXPECT_NE(plan.status().message().find("(drop role app ...)"), std::string::npos)
      << plan.status();
  auto meta = Plan("\\connect template1\n" + Script(), Target(), v1::GLOBALS_MODE_MISSING);
  ASSERT_FALSE(meta.ok());
  EXPECT_NE(meta.status().message().find("meta-command \\connect"), std::string::npos)
      << meta.status();
}

TEST(PgGlobalsPlanTest, ErrorsNeverQuoteStrings) {
  // A statement whose first words are followed by a password: only the
  // words are named.
  std::string script = absl::StrCat("CREATE USER x PASSWORD '", kHash, "';\n");
  auto plan = Plan(script, Target(), v1::GLOBALS_MODE_MISSING);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().message().find("SCRAM"), std::string::npos) << plan.status();
  // The hash is among the step's secrets, for the server's messages.
  auto ok = Plan(Script(), Target(), v1::GLOBALS_MODE_MISSING);
  ASSERT_TRUE(ok.ok());
  bool listed = false;
  for (const GlobalsStep& s : ok->steps) {
    listed = listed || Has(s.secrets, kHash);
    EXPECT_EQ(s.what.find("SCRAM"), std::string::npos);
  }
  EXPECT_TRUE(listed);
}

TEST(PgGlobalsPlanTest, RolesThatWillNotExistAreAnError) {
  auto plan = Plan("GRANT owner TO nobody;\n", Target(), v1::GLOBALS_MODE_MISSING);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("membership of nobody in owner"), std::string::npos)
      << plan.status();
  plan = Plan("ALTER ROLE nobody SET work_mem TO '1MB';\n", Target(), v1::GLOBALS_MODE_MISSING);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("role nobody"), std::string::npos) << plan.status();
}

TEST(PgGlobalsPlanTest, SettingsInADatabaseTheTargetLacksAreSkipped) {
  auto plan = Plan("CREATE ROLE n;\nALTER ROLE n IN DATABASE gone SET work_mem TO '1MB';\n"
                   "ALTER ROLE n IN DATABASE postgres SET work_mem TO '2MB';\n",
                   Target(), v1::GLOBALS_MODE_MISSING);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->steps.size(), 2u) << Sqls(*plan);
  EXPECT_TRUE(Has(plan->notes, "globals: skipped a setting of role n in database gone: the "
                               "target has no such database"))
      << absl::StrJoin(plan->notes, "\n");
}

// Names and strings holding semicolons, quotes and comment markers stay
// within their statement.
TEST(PgGlobalsPlanTest, QuotedNamesAndStringsStayWhole) {
  auto plan = Plan("CREATE ROLE \"a;b\"\"--c\";\n"
                   "ALTER ROLE \"a;b\"\"--c\" WITH LOGIN PASSWORD 'p;w''d/*x';\n"
                   "COMMENT ON ROLE \"a;b\"\"--c\" IS E'it\\'s; -- not a comment';\n",
                   Target(), v1::GLOBALS_MODE_MISSING);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(Whats(*plan), (std::vector<std::string>{
                              "creating role a;b\"--c",
                              "setting the attributes and password of role a;b\"--c",
                              "setting the comment of role a;b\"--c",
                          }));
  EXPECT_EQ(plan->steps[0].sql, "CREATE ROLE \"a;b\"\"--c\"");
  EXPECT_EQ(plan->steps[1].secrets, (std::vector<std::string>{"p;w'd/*x"}));
}

}  // namespace
}  // namespace dbdump::pg
