// restore --globals[=replace] between two real PostgreSQL clusters: a
// source whose backup holds its roles, and a target where some of them
// exist already with other passwords and attributes.
#include <libpq-fe.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/job_tracker.h"
#include "common/crypto/age_keys.h"
#include "common/engines/job_runner.h"
#include "common/engines/postgres/pg_globals.h"
#include "gtest/gtest.h"
#include "tests/fixtures/postgres_engine_fixture.h"

namespace dbdump {
namespace {
using testing::BackupWith;
using testing::PostgresBackupTest;
using testing::PostgresServer;

// Whether `user` can log in to `server` with `password`: a real password
// authentication (the fixture's clusters use scram-sha-256).
bool CanLogin(const PostgresServer& server, const std::string& user, const std::string& password) {
  std::string port = std::to_string(server.port());
  const char* keys[] = {"host", "port", "user", "password", "dbname", nullptr};
  const char* vals[] = {"127.0.0.1", port.c_str(), user.c_str(), password.c_str(), "postgres",
                        nullptr};
  PGconn* c = PQconnectdbParams(keys, vals, 0);
  bool ok = PQstatus(c) == CONNECTION_OK;
  PQfinish(c);
  return ok;
}

class PostgresGlobalsTest : public PostgresBackupTest {
 protected:
  // server_ is the source cluster; target_ a second one.
  static void SetUpTestSuite() {
    PostgresBackupTest::SetUpTestSuite();
    auto t = PostgresServer::Start();
    ASSERT_TRUE(t.ok()) << t.status();
    target_ = t->release();
  }
  static void TearDownTestSuite() {
    delete target_;
    target_ = nullptr;
    PostgresBackupTest::TearDownTestSuite();
  }
  void SetUp() override {
    PostgresBackupTest::SetUp();
    ASSERT_NE(target_, nullptr) << "the target PostgreSQL fixture did not start";
  }

  std::string T(const std::string& sql) {
    auto r = target_->Query("postgres", sql);
    return r.ok() ? *r : "ERROR: " + std::string(r.status().message());
  }
  // Restores `b` into database `into` of the target cluster.
  absl::Status RestoreToTarget(const v1::BackupJob& b, const std::string& into,
                               v1::GlobalsMode mode, std::vector<std::string>* notes) {
    v1::RestoreJob r = RestoreJobFor(b, into);
    *r.mutable_target() = target_->Target(b.target().name(), into);
    r.mutable_options()->set_globals(mode);
    JobTracker t(r.job_id());
    v1::RestoreReport report;
    absl::Status st = JobRunner(runner_opts_).Restore(r, engine_.get(), &t, &report);
    notes->assign(report.notes().begin(), report.notes().end());
    return st;
  }
  // Everything of the test's roles a restore could change, for comparing.
  std::string RoleState() {
    return T("SELECT rolname, rolsuper, rolcanlogin, rolcreatedb, rolconnlimit, rolpassword, "
             "shobj_description(oid, 'pg_authid') FROM pg_authid WHERE rolname LIKE 'regress%' "
             "ORDER BY 1") +
           T("SELECT g.rolname, m.rolname, a.admin_option FROM pg_auth_members a "
             "JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member ORDER BY 1, 2") +
           T("SELECT r.rolname, s.setconfig FROM pg_db_role_setting s JOIN pg_roles r "
             "ON r.oid = s.setrole ORDER BY 1");
  }

  static inline PostgresServer* target_ = nullptr;
};

bool HasNote(const std::vector<std::string>& notes, const std::string& n) {
  for (const std::string& s : notes) {
    if (s == n) return true;
  }
  return false;
}

// Neither a note nor an error ever shows a password or its hash.
void ExpectNoSecrets(const std::vector<std::string>& notes, const absl::Status& st) {
  for (const std::string& s : notes) {
    EXPECT_EQ(s.find("SCRAM-SHA-256"), std::string::npos) << s;
    EXPECT_EQ(s.find("secret"), std::string::npos) << s;
  }
  EXPECT_EQ(st.message().find("SCRAM-SHA-256"), std::string::npos) << st;
}

TEST_F(PostgresGlobalsTest, MissingCreatesRolesAndNeverChangesExistingOnes) {
  Exec("postgres", R"sql(
    CREATE ROLE regress_app LOGIN CREATEDB PASSWORD 'source-secret';
    CREATE ROLE regress_owner NOLOGIN;
    CREATE ROLE regress_reader LOGIN CONNECTION LIMIT 7 PASSWORD 'reader-secret';
    GRANT regress_owner TO regress_reader WITH ADMIN OPTION;
    GRANT regress_owner TO regress_app;
    COMMENT ON ROLE regress_reader IS 'reads the reports';
    ALTER ROLE regress_reader SET work_mem = '12MB';
  )sql");
  ASSERT_EQ(T("CREATE ROLE regress_app LOGIN NOCREATEDB CONNECTION LIMIT 3 "
              "PASSWORD 'target-secret'"),
            "");
  CreateContent("globsrc");
  v1::BackupJob job = Job("globsrc", "globsrc", v1::COMPRESSION_ZSTD);
  job.mutable_target()->mutable_dump_options()->set_globals(true);
  ASSERT_TRUE(BackupWith(this, job).ok());

  std::vector<std::string> notes;
  absl::Status st = RestoreToTarget(job, "globsrc", v1::GLOBALS_MODE_MISSING, &notes);
  ASSERT_TRUE(st.ok()) << st;
  ExpectNoSecrets(notes, st);
  std::string all = absl::StrJoin(notes, "\n");
  // The existing role keeps its password and attributes.
  EXPECT_TRUE(CanLogin(*target_, "regress_app", "target-secret"));
  EXPECT_FALSE(CanLogin(*target_, "regress_app", "source-secret"));
  EXPECT_EQ(T("SELECT rolcreatedb, rolconnlimit FROM pg_roles WHERE rolname = 'regress_app'"),
            "f|3\n");
  EXPECT_EQ(T("SELECT pg_has_role('regress_app', 'regress_owner', 'member')"), "f\n");
  // The missing ones are the source's.
  EXPECT_TRUE(CanLogin(*target_, "regress_reader", "reader-secret"));
  EXPECT_FALSE(CanLogin(*target_, "regress_owner", ""));
  EXPECT_EQ(T("SELECT rolcanlogin, rolconnlimit, shobj_description(oid, 'pg_authid') "
              "FROM pg_roles WHERE rolname = 'regress_reader'"),
            "t|7|reads the reports\n");
  EXPECT_EQ(T("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'regress_owner'"), "f\n");
  EXPECT_EQ(T("SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_roles r "
              "ON r.oid = s.setrole WHERE r.rolname = 'regress_reader'"),
            "{work_mem=12MB}\n");
  EXPECT_EQ(T("SELECT a.admin_option FROM pg_auth_members a "
              "JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member "
              "WHERE g.rolname = 'regress_owner' AND m.rolname = 'regress_reader'"),
            "t\n");
  EXPECT_TRUE(HasNote(notes, "globals: created roles regress_owner, regress_reader (2)")) << all;
  EXPECT_TRUE(HasNote(notes, "globals: kept existing roles regress_app (password and attributes "
                             "unchanged; --globals=replace would replace them)"))
      << all;
  EXPECT_TRUE(HasNote(notes, "globals: skipped membership of existing role regress_app in "
                             "regress_owner (--globals=replace would grant it)"))
      << all;
  EXPECT_TRUE(HasNote(notes, "globals: left dbdump unchanged (the restoring user and the "
                             "bootstrap superuser are never changed)"))
      << all;
  // The dump was restored after the globals.
  auto items = target_->Query("globsrc", "SELECT count(*) FROM items");
  ASSERT_TRUE(items.ok()) << items.status();
  EXPECT_EQ(*items, "20000\n");

  // --globals=replace gives the existing role the backup's password,
  // attributes and memberships.
  st = RestoreToTarget(job, "globsrc_replace", v1::GLOBALS_MODE_REPLACE, &notes);
  ASSERT_TRUE(st.ok()) << st;
  ExpectNoSecrets(notes, st);
  EXPECT_TRUE(CanLogin(*target_, "regress_app", "source-secret"));
  EXPECT_FALSE(CanLogin(*target_, "regress_app", "target-secret"));
  EXPECT_EQ(T("SELECT rolcreatedb, rolconnlimit FROM pg_roles WHERE rolname = 'regress_app'"),
            "t|-1\n");
  EXPECT_EQ(T("SELECT pg_has_role('regress_app', 'regress_owner', 'member')"), "t\n");
  EXPECT_TRUE(HasNote(notes, "globals: replaced the attributes, password, settings and comment of "
                             "existing roles regress_app, regress_owner, regress_reader (3)"))
      << absl::StrJoin(notes, "\n");

  // Once more --globals: everything is there, nothing changes.
  std::string before = RoleState();
  st = RestoreToTarget(job, "globsrc_again", v1::GLOBALS_MODE_MISSING, &notes);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(RoleState(), before);
  all = absl::StrJoin(notes, "\n");
  EXPECT_TRUE(HasNote(notes, "globals: kept existing roles regress_app, regress_owner, "
                             "regress_reader (password and attributes unchanged; "
                             "--globals=replace would replace them)"))
      << all;
  EXPECT_EQ(all.find("created"), std::string::npos) << all;
  EXPECT_EQ(all.find("skipped"), std::string::npos) << all;
}

TEST_F(PostgresGlobalsTest, ABackupWithoutGlobalsFailsBeforeAnythingChanges) {
  CreateContent("noglobals");
  v1::BackupJob job = Job("noglobals", "noglobals", v1::COMPRESSION_ZSTD);
  ASSERT_TRUE(BackupWith(this, job).ok());
  std::vector<std::string> notes;
  absl::Status st = RestoreToTarget(job, "noglobals", v1::GLOBALS_MODE_MISSING, &notes);
  ASSERT_TRUE(absl::IsFailedPrecondition(st)) << st;
  EXPECT_NE(st.message().find("holds no globals"), std::string::npos) << st;
  EXPECT_FALSE(target_->HasDatabase("noglobals"));
  EXPECT_TRUE(notes.empty());
}

// A statement that fails halfway: the roles created before it go again,
// and the message names the role and the kind of statement, never a string
// of the script.
TEST_F(PostgresGlobalsTest, AFailedApplyLeavesNothingBehind) {
  const std::string script = R"(SET client_encoding = 'UTF8';
CREATE ROLE regress_fail_a;
ALTER ROLE regress_fail_a WITH LOGIN PASSWORD 'SCRAM-SHA-256$4096:aaaa$bbbb:cccc';
CREATE ROLE regress_fail_b;
ALTER ROLE regress_fail_b SET no_such_setting_here TO 'x';
)";
  v1::DatabaseTarget target = target_->Target("fail", "postgres");
  std::vector<std::string> notes;
  ASSERT_TRUE(pg::CheckGlobals(target, script, v1::GLOBALS_MODE_MISSING, 10).ok());
  absl::Status st = pg::ApplyGlobals(target, script, v1::GLOBALS_MODE_MISSING, 10, &notes);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("setting a configuration parameter of role regress_fail_b failed"),
            std::string::npos)
      << st;
  EXPECT_NE(st.message().find("nothing of the globals was applied"), std::string::npos) << st;
  EXPECT_EQ(T("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'regress_fail%'"), "0\n");
  EXPECT_TRUE(notes.empty());

  // A server message that quotes a string of the statement is withheld.
  const std::string quoting = R"(CREATE ROLE regress_fail_c;
ALTER ROLE regress_fail_c WITH LOGIN PASSWORD 'md5-or-so' VALID UNTIL 'SCRAM-SHA-256-looks-secret';
)";
  st = pg::ApplyGlobals(target, quoting, v1::GLOBALS_MODE_MISSING, 10, &notes);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("setting the attributes and password of role regress_fail_c failed"),
            std::string::npos)
      << st;
  ExpectNoSecrets(notes, st);
  EXPECT_EQ(st.message().find("looks-secret"), std::string::npos) << st;
  EXPECT_EQ(T("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'regress_fail%'"), "0\n");
}

// A membership recorded as granted by a role the target lacks is granted
// without GRANTED BY, and the notes say so.
TEST_F(PostgresGlobalsTest, AGrantorTheTargetLacksIsLeftOut) {
  const std::string script = R"(CREATE ROLE regress_gb_group;
CREATE ROLE regress_gb_member;
GRANT regress_gb_group TO regress_gb_member GRANTED BY regress_gb_gone;
)";
  std::vector<std::string> notes;
  absl::Status st = pg::ApplyGlobals(target_->Target("gb", "postgres"), script,
                                     v1::GLOBALS_MODE_MISSING, 10, &notes);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(T("SELECT pg_has_role('regress_gb_member', 'regress_gb_group', 'member')"), "t\n");
  EXPECT_TRUE(HasNote(notes, "globals: granted membership of regress_gb_member in regress_gb_group "
                             "without GRANTED BY regress_gb_gone: the target has no role "
                             "regress_gb_gone (the restoring user is its grantor)"))
      << absl::StrJoin(notes, "\n");
}

// Tablespaces are never created (their directory is on the database
// host): a missing one is named with what to run, an existing one is
// reported present, and their comments and privileges are left out.
TEST_F(PostgresGlobalsTest, TablespacesAreReportedNotCreated) {
  const std::string script = R"(CREATE ROLE regress_ts_owner;
CREATE TABLESPACE regress_ts OWNER regress_ts_owner LOCATION '/srv/regress_ts';
COMMENT ON TABLESPACE regress_ts IS 'fast disks';
GRANT CREATE ON TABLESPACE regress_ts TO regress_ts_owner;
CREATE TABLESPACE pg_default OWNER dbdump LOCATION '/elsewhere';
)";
  std::string before = T("SELECT spcname, pg_tablespace_location(oid) FROM pg_tablespace ORDER BY 1");
  std::vector<std::string> notes;
  absl::Status st = pg::ApplyGlobals(target_->Target("ts", "postgres"), script,
                                     v1::GLOBALS_MODE_MISSING, 10, &notes);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(T("SELECT spcname, pg_tablespace_location(oid) FROM pg_tablespace ORDER BY 1"), before);
  std::string all = absl::StrJoin(notes, "\n");
  EXPECT_TRUE(HasNote(notes, "globals: created roles regress_ts_owner (1)")) << all;
  EXPECT_TRUE(HasNote(notes, "globals: tablespaces present on the target: pg_default")) << all;
  EXPECT_TRUE(HasNote(
      notes, "globals: tablespace regress_ts is not on the target and was not created (its "
             "directory is on the database host): create the directory '/srv/regress_ts' there, "
             "owned by the server's user, and run CREATE TABLESPACE \"regress_ts\" LOCATION "
             "'/srv/regress_ts' before restoring objects that use it"))
      << all;
  EXPECT_TRUE(HasNote(notes, "globals: left out 2 statements on tablespaces (settings, comments, "
                             "privileges): tablespaces are not changed by a restore"))
      << all;
}

// A statement dbdump does not know stops the restore before anything
// changes, naming its first words.
TEST_F(PostgresGlobalsTest, UnknownStatementsAreRefusedBeforeAnythingChanges) {
  const std::string script = "CREATE ROLE regress_unknown;\nDROP ROLE regress_app;\n";
  absl::Status st =
      pg::CheckGlobals(target_->Target("x", "postgres"), script, v1::GLOBALS_MODE_MISSING, 10);
  ASSERT_TRUE(absl::IsFailedPrecondition(st)) << st;
  EXPECT_NE(st.message().find("(drop role regress_app ...)"), std::string::npos) << st;
  EXPECT_EQ(T("SELECT count(*) FROM pg_roles WHERE rolname = 'regress_unknown'"), "0\n");
}

// Every object of an encrypted backup is encrypted: the globals and the
// database's settings as well as the dump; age alone reads them, and a
// restore with the identity applies the globals.
TEST_F(PostgresGlobalsTest, EncryptedBackupEncryptsGlobalsAndSettingsToo) {
  Exec("postgres", "CREATE ROLE regress_sealed NOLOGIN");
  CreateContent("encsrc");
  AgeKey id = *GenerateAgeIdentity();
  std::string key = dir_ + "/team.key";
  std::ofstream(key) << "# test identity\n" << FormatAgeIdentity(id) << "\n";
  ::chmod(key.c_str(), 0600);
  v1::BackupJob job = Job("encsrc", "encsrc", v1::COMPRESSION_ZSTD);
  job.mutable_target()->mutable_dump_options()->set_globals(true);
  job.mutable_target()->mutable_encryption()->add_recipients(
      FormatAgeRecipient(*AgeRecipientOf(id)));
  absl::StatusOr<v1::Manifest> m = BackupWith(this, job);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->extra_objects_size(), 2);  // globals and settings
  bool saw_globals = false, saw_settings = false;
  for (const v1::StoredObject& o : m->extra_objects()) {
    ASSERT_GE(o.object().size(), 4u);
    EXPECT_EQ(o.object().substr(o.object().size() - 4), ".age") << o.object();
    std::string path = absl::StrCat(storage_.path(), "/encsrc/", job.backup_id(), "/", o.object());
    std::string cmd = absl::StrCat("age -d -i ", key, " ", path, " | zstd -dc");
    std::string plain;
    FILE* p = popen(cmd.c_str(), "r");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) plain.append(buf, n);
    EXPECT_EQ(pclose(p), 0) << cmd;
    EXPECT_FALSE(plain.empty()) << o.role();
    saw_settings |= o.role() == "settings";
    if (o.role() == "globals") {
      saw_globals = true;
      EXPECT_NE(plain.find("regress_sealed"), std::string::npos);
    }
  }
  EXPECT_TRUE(saw_globals);
  EXPECT_TRUE(saw_settings);

  v1::RestoreJob r = RestoreJobFor(job, "encsrc");
  *r.mutable_target() = target_->Target(job.target().name(), "encsrc");
  r.mutable_options()->set_globals(v1::GLOBALS_MODE_MISSING);
  JobTracker refused(r.job_id() + "-a");
  absl::Status st = JobRunner(runner_opts_).Restore(r, engine_.get(), &refused);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("identity_ref"), std::string::npos) << st;
  EXPECT_EQ(T("SELECT count(*) FROM pg_roles WHERE rolname = 'regress_sealed'"), "0\n");
  r.mutable_options()->set_identity_ref("file:" + key);
  JobTracker t(r.job_id());
  st = JobRunner(runner_opts_).Restore(r, engine_.get(), &t);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(T("SELECT count(*) FROM pg_roles WHERE rolname = 'regress_sealed'"), "1\n");
  T("DROP DATABASE encsrc");
  T("DROP ROLE regress_sealed");
  Exec("postgres", "DROP ROLE regress_sealed");
}

}  // namespace
}  // namespace dbdump
