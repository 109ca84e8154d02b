// Restoring PostgreSQL backups somewhere else: into a second cluster that
// lacks the source's roles (--no-owner, --no-privileges, --owner), and the
// database's own settings, ACL and comment carried over. Two real servers.
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "agent/job_tracker.h"
#include "common/engines/job_runner.h"
#include "common/process/subprocess_runner.h"
#include "gtest/gtest.h"
#include "tests/fixtures/postgres_engine_fixture.h"

namespace dbdump {
namespace {
using testing::BackupWith;
using testing::PostgresServer;

class PostgresElsewhereTest : public testing::PostgresBackupTest {
 protected:
  static void SetUpTestSuite() {
    PostgresBackupTest::SetUpTestSuite();
    auto s = PostgresServer::Start();
    ASSERT_TRUE(s.ok()) << s.status();
    other_ = s->release();
  }
  static void TearDownTestSuite() {
    delete other_;
    other_ = nullptr;
    PostgresBackupTest::TearDownTestSuite();
  }

  static std::string Q(const PostgresServer* s, const std::string& db, const std::string& sql) {
    auto r = s->Query(db, sql);
    return r.ok() ? *r : "ERROR: " + std::string(r.status().message());
  }

  // Source content: objects owned by and granted to roles only the source
  // cluster has, strings that look like the statements a filter drops, and
  // the database's own settings.
  void CreateSource(const std::string& db) {
    Exec("postgres",
         "DO $$ BEGIN "
         "IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_eo_owner') "
         "THEN CREATE ROLE regress_eo_owner; END IF; "
         "IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'regress_eo_reader') "
         "THEN CREATE ROLE regress_eo_reader; END IF; END $$");
    Exec("postgres", "CREATE DATABASE " + db + " OWNER regress_eo_owner");
    Exec(db, R"sql(
      CREATE SCHEMA app AUTHORIZATION regress_eo_owner;
      CREATE TABLE app.items (id serial PRIMARY KEY, name text NOT NULL,
                              price numeric(10,2) CHECK (price >= 0), tags text[], doc jsonb);
      INSERT INTO app.items (name, price, tags, doc)
        SELECT 'item ' || g, g * 0.5, ARRAY['a', 'b;c'], jsonb_build_object('k', g)
        FROM generate_series(1, 3000) g;
      INSERT INTO app.items (name, price) VALUES
        ('ALTER TABLE app.items OWNER TO regress_eo_owner;', 1),
        (E'GRANT ALL ON app.items TO regress_eo_reader;\nREVOKE ALL ON app.items FROM x;', 2);
      CREATE INDEX items_name ON app.items (name);
      CREATE TABLE app.parts (id int, at date) PARTITION BY RANGE (at);
      CREATE TABLE app.parts_2026 PARTITION OF app.parts FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
      INSERT INTO app.parts VALUES (1, '2026-03-01'), (2, '2026-07-01');
      CREATE VIEW app.cheap AS SELECT id, name FROM app.items WHERE price < 10;
      CREATE FUNCTION app.total() RETURNS numeric LANGUAGE sql STABLE
        BEGIN ATOMIC SELECT sum(price) FROM app.items; END;
      CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $f$
        BEGIN
          -- GRANT SELECT ON app.items TO nobody;
          NEW.name := trim(NEW.name); RETURN NEW;
        END $f$;
      CREATE TRIGGER items_touch BEFORE INSERT ON app.items FOR EACH ROW EXECUTE FUNCTION app.touch();
      ALTER TABLE app.items ENABLE ROW LEVEL SECURITY;
      CREATE POLICY everyone ON app.items USING (price >= 0);
      COMMENT ON TABLE app.items IS 'it''s GRANT-free; ALTER TABLE x OWNER TO y;';
      SELECT lo_from_bytea(424242, 'GRANT SELECT ON LARGE OBJECT 1 TO x;'::bytea);
      ALTER LARGE OBJECT 424242 OWNER TO regress_eo_owner;
      GRANT SELECT ON LARGE OBJECT 424242 TO regress_eo_reader;
      ALTER TABLE app.items OWNER TO regress_eo_owner;
      ALTER TABLE app.parts OWNER TO regress_eo_owner;
      ALTER TABLE app.parts_2026 OWNER TO regress_eo_owner;
      ALTER VIEW app.cheap OWNER TO regress_eo_owner;
      ALTER FUNCTION app.total() OWNER TO regress_eo_owner;
      ALTER FUNCTION app.touch() OWNER TO regress_eo_owner;
      GRANT USAGE ON SCHEMA app TO regress_eo_reader;
      GRANT SELECT ON ALL TABLES IN SCHEMA app TO regress_eo_reader;
      GRANT UPDATE (name) ON app.items TO regress_eo_reader;
      REVOKE EXECUTE ON FUNCTION app.total() FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION app.total() TO regress_eo_reader;
      ALTER DEFAULT PRIVILEGES FOR ROLE regress_eo_owner IN SCHEMA app
        GRANT SELECT ON TABLES TO regress_eo_reader;
    )sql");
    Exec("postgres", absl::StrCat(
        "ALTER DATABASE ", db, " SET timezone TO 'Pacific/Auckland';"
        "ALTER DATABASE ", db, " SET search_path TO app, \"$user\", public;"
        "ALTER DATABASE ", db, " SET bytea_output TO 'escape';"
        "ALTER DATABASE ", db, " SET statement_timeout TO '5min';"
        "ALTER ROLE regress_eo_reader IN DATABASE ", db, " SET work_mem TO '8MB';"
        "REVOKE CONNECT, TEMPORARY ON DATABASE ", db, " FROM PUBLIC;"
        "GRANT CONNECT ON DATABASE ", db, " TO regress_eo_reader;"
        "GRANT CREATE ON DATABASE ", db, " TO regress_eo_reader WITH GRANT OPTION;"
        "COMMENT ON DATABASE ", db, " IS 'orders, it''s 2026';"
        "ALTER DATABASE ", db, " CONNECTION LIMIT 42;"));
  }

  // pg_dump of `db` on `server` with the given flags, without what differs
  // from run to run (comments, \restrict keys, blank lines).
  std::string Dump(const PostgresServer* server, const std::string& db,
                   std::vector<std::string> flags) {
    auto tools = engine_->ToolsFor(15);
    EXPECT_TRUE(tools.ok()) << tools.status();
    if (!tools.ok()) return "";
    std::string ref = server->Target("x", db).password_ref();
    std::ifstream pw(ref.substr(5));
    std::string password;
    std::getline(pw, password);
    ProcessOptions po;
    po.argv = {tools->pg_dump, "-h", "127.0.0.1", "-p", std::to_string(server->port()), "-U",
               "dbdump", "-d", db};
    for (std::string& f : flags) po.argv.push_back(std::move(f));
    po.env = {{"PATH", "/usr/bin:/bin"}, {"PGPASSWORD", password}, {"LC_ALL", "C.UTF-8"}};
    SubprocessRunner runner;
    auto out = RunAndCapture(&runner, po);
    EXPECT_TRUE(out.ok()) << out.status();
    if (!out.ok()) return "";
    std::vector<std::string> kept;
    for (absl::string_view line : absl::StrSplit(*out, '\n')) {
      if (line.empty() || absl::StartsWith(line, "--") || absl::StartsWith(line, "\\restrict") ||
          absl::StartsWith(line, "\\unrestrict")) {
        continue;
      }
      kept.emplace_back(line);
    }
    return absl::StrJoin(kept, "\n");
  }

  v1::RestoreJob ElsewhereJob(const v1::BackupJob& b, const std::string& into) {
    v1::RestoreJob r = RestoreJobFor(b, into);
    *r.mutable_target() = other_->Target(b.target().name(), into);
    return r;
  }
  absl::Status Run(const v1::RestoreJob& r, v1::RestoreReport* report = nullptr) {
    JobTracker t(r.job_id());
    return JobRunner(runner_opts_).Restore(r, engine_.get(), &t, report);
  }
  // Schema and data of `db` on both sides, owners and grants aside.
  void ExpectSameContent(const std::string& src, const std::string& dst) {
    std::vector<std::string> flags = {"--no-owner", "--no-privileges"};
    std::string a = Dump(server_, src, flags);
    std::string b = Dump(other_, dst, flags);
    EXPECT_GT(a.size(), 1000u);
    EXPECT_EQ(a, b);
  }

  static inline PostgresServer* other_ = nullptr;
};

TEST_F(PostgresElsewhereTest, IntoAClusterWithoutTheSourcesRolesWithNoOwnerAndNoPrivileges) {
  CreateSource("eo_custom");
  v1::BackupJob job = Job("eo_custom", "eo_custom", v1::COMPRESSION_ZSTD);
  auto m = BackupWith(this, job);
  ASSERT_TRUE(m.ok()) << m.status();

  // As it is, the restore is refused before anything changes, saying why
  // and what to do.
  v1::RestoreJob plain_restore = ElsewhereJob(job, "eo_custom");
  absl::Status st = Run(plain_restore);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("no role \"regress_eo_owner\""), std::string::npos) << st;
  EXPECT_NE(st.message().find("--no-owner --no-privileges"), std::string::npos) << st;
  EXPECT_FALSE(other_->HasDatabase("eo_custom"));
  // Without the settings step pg_restore meets the role itself: its error
  // carries the same hint, and the database it created is gone again.
  plain_restore.mutable_options()->set_no_database_settings(true);
  st = Run(plain_restore);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("role \"regress_eo_"), std::string::npos) << st;
  EXPECT_NE(st.message().find("does not exist"), std::string::npos) << st;
  EXPECT_NE(st.message().find("--no-owner --no-privileges"), std::string::npos) << st;
  EXPECT_FALSE(other_->HasDatabase("eo_custom"));

  v1::RestoreJob r = ElsewhereJob(job, "eo_custom");
  r.mutable_options()->set_no_owner(true);
  r.mutable_options()->set_no_privileges(true);
  v1::RestoreReport report;
  st = Run(r, &report);
  ASSERT_TRUE(st.ok()) << st;
  ExpectSameContent("eo_custom", "eo_custom");
  EXPECT_EQ(Dump(server_, "eo_custom", {"--data-only", "--no-owner", "--no-privileges"}),
            Dump(other_, "eo_custom", {"--data-only", "--no-owner", "--no-privileges"}));
  // Everything belongs to the restoring user; no grant names a source role.
  EXPECT_EQ(Q(other_, "eo_custom",
              "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'app'"),
            "dbdump\n");
  EXPECT_EQ(Q(other_, "eo_custom",
              "SELECT count(*) FROM information_schema.role_table_grants "
              "WHERE grantee LIKE 'regress_eo%'"),
            "0\n");
  // The database's settings came along; the reader's own setting could not.
  EXPECT_EQ(Q(other_, "eo_custom", "SHOW timezone"), "Pacific/Auckland\n");
  std::string notes = absl::StrJoin(report.notes(), "\n");
  EXPECT_NE(notes.find("database settings applied to eo_custom"), std::string::npos) << notes;
  EXPECT_NE(notes.find("left out: regress_eo_reader"), std::string::npos) << notes;

  // --owner gives everything, the database included, to one role.
  Q(other_, "postgres", "CREATE ROLE regress_eo_app");
  v1::RestoreJob owned = ElsewhereJob(job, "eo_custom_owned");
  owned.mutable_options()->set_owner("regress_eo_app");
  owned.mutable_options()->set_no_privileges(true);
  st = Run(owned);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(Q(other_, "eo_custom_owned",
              "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'app'"),
            "regress_eo_app\n");
  EXPECT_EQ(Q(other_, "postgres",
              "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'eo_custom_owned'"),
            "regress_eo_app\n");
}

TEST_F(PostgresElsewhereTest, PlainFormatIsFilteredStatementByStatement) {
  CreateSource("eo_plain");
  v1::BackupJob job = Job("eo_plain", "eo_plain", v1::COMPRESSION_ZSTD);
  job.mutable_target()->mutable_dump_options()->set_format("plain");
  auto m = BackupWith(this, job);
  ASSERT_TRUE(m.ok()) << m.status();

  v1::RestoreJob as_is = ElsewhereJob(job, "eo_plain");
  as_is.mutable_options()->set_no_database_settings(true);
  absl::Status st = Run(as_is);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("does not exist"), std::string::npos) << st;
  EXPECT_NE(st.message().find("--no-owner --no-privileges"), std::string::npos) << st;
  EXPECT_FALSE(other_->HasDatabase("eo_plain"));

  v1::RestoreJob r = ElsewhereJob(job, "eo_plain");
  r.mutable_options()->set_no_owner(true);
  r.mutable_options()->set_no_privileges(true);
  st = Run(r);
  ASSERT_TRUE(st.ok()) << st;
  ExpectSameContent("eo_plain", "eo_plain");
  // Data that reads like the dropped statements is intact.
  EXPECT_EQ(Q(other_, "eo_plain",
              "SELECT count(*) FROM app.items WHERE name LIKE 'ALTER TABLE%' "
              "OR name LIKE 'GRANT ALL%'"),
            "2\n");
  EXPECT_EQ(Q(other_, "eo_plain", "SELECT convert_from(lo_get(424242), 'UTF8')"),
            "GRANT SELECT ON LARGE OBJECT 1 TO x;\n");

  // Only privileges left out: owners must exist, and with --owner they do.
  Q(other_, "postgres", "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE "
                        "rolname = 'regress_eo_app') THEN CREATE ROLE regress_eo_app; END IF; END $$");
  v1::RestoreJob owned = ElsewhereJob(job, "eo_plain_owned");
  owned.mutable_options()->set_owner("regress_eo_app");
  owned.mutable_options()->set_no_privileges(true);
  st = Run(owned);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(Q(other_, "eo_plain_owned",
              "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'app'"),
            "regress_eo_app\n");
  EXPECT_EQ(Q(other_, "eo_plain_owned", "SELECT lo.lomowner::regrole FROM pg_largeobject_metadata lo"),
            "regress_eo_app\n");
}

TEST_F(PostgresElsewhereTest, DatabaseSettingsAclAndCommentFollowTheBackup) {
  CreateSource("eo_settings");
  v1::BackupJob job = Job("eo_settings", "eo_settings", v1::COMPRESSION_ZSTD);
  auto m = BackupWith(this, job);
  ASSERT_TRUE(m.ok()) << m.status();
  bool has_settings = false;
  for (const auto& o : m->extra_objects()) has_settings |= o.role() == "settings";
  EXPECT_TRUE(has_settings);

  // Into a new name on the same cluster: the roles exist.
  v1::RestoreReport report;
  v1::RestoreJob r = RestoreJobFor(job, "eo_settings_copy");
  JobTracker t(r.job_id());
  absl::Status st = JobRunner(runner_opts_).Restore(r, engine_.get(), &t, &report);
  ASSERT_TRUE(st.ok()) << st;
  auto settings = [&](const std::string& db) {
    return Q(server_, "postgres",
             "SELECT COALESCE(r.rolname, '-'), s.setconfig FROM pg_db_role_setting s "
             "JOIN pg_database d ON d.oid = s.setdatabase LEFT JOIN pg_roles r ON r.oid = s.setrole "
             "WHERE d.datname = '" + db + "' ORDER BY 1");
  };
  auto database = [&](const std::string& db) {
    return Q(server_, "postgres",
             "SELECT pg_get_userbyid(datdba), datacl, datconnlimit, "
             "shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '" + db + "'");
  };
  EXPECT_NE(settings("eo_settings").find("Pacific/Auckland"), std::string::npos);
  EXPECT_EQ(settings("eo_settings_copy"), settings("eo_settings"));
  EXPECT_EQ(database("eo_settings_copy"), database("eo_settings"));
  EXPECT_NE(database("eo_settings").find("orders, it's 2026"), std::string::npos);
  // The restored database behaves like the source for a new session.
  EXPECT_EQ(Q(server_, "eo_settings_copy", "SHOW search_path"), "app, \"$user\", public\n");
  EXPECT_EQ(Q(server_, "eo_settings_copy", "SHOW bytea_output"), "escape\n");

  // Skipped when asked.
  v1::RestoreJob bare = RestoreJobFor(job, "eo_settings_bare");
  bare.mutable_options()->set_no_database_settings(true);
  st = Run(bare);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(settings("eo_settings_bare"), "");
  EXPECT_NE(Q(server_, "eo_settings_bare", "SHOW timezone"), "Pacific/Auckland\n");
}

}  // namespace
}  // namespace dbdump
