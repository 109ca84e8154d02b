// DEFINERs of views, routines, triggers and events on a MariaDB restore:
// checked against the target's accounts (a missing one fails the restore
// and leaves the target as it was), or rewritten to the restoring user with
// --definers=current-user, through JobRunner against a real server.
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "agent/job_tracker.h"
#include "common/base/names.h"
#include "common/engines/job_runner.h"
#include "common/engines/mysql/mysql_engine.h"
#include "gtest/gtest.h"
#include "tests/fixtures/mysql_engine_fixture.h"

namespace dbdump {
namespace {
using testing::MysqlEngineTest;

class MysqlDefinersTest : public MysqlEngineTest {
 protected:
  void SetUp() override {
    MysqlEngineTest::SetUp();
    storage_.set_name("local");
    storage_.set_kind(v1::STORAGE_KIND_LOCAL);
    storage_.set_path(dir_ + "/store");
    ro_.agent_name = "agent-test";
    ro_.work_dir = work_;
    ro_.buffer_bytes = 256 << 10;
    ro_.buffers = 4;
    ro_.compression_workers = 2;
  }

  // Backs `db` up through JobRunner as source database `name`.
  std::string BackUpThroughRunner(const std::string& name, const std::string& db) {
    v1::BackupJob job;
    job.set_job_id(NewJobId(absl::Now()));
    job.set_backup_id(NewBackupId(absl::Now()));
    *job.mutable_target() = server_->Target(name, db);
    *job.mutable_storage() = storage_;
    job.set_compression(v1::COMPRESSION_ZSTD);
    JobTracker bt(job.job_id());
    auto m = JobRunner(ro_).Backup(job, engine_.get(), &bt);
    EXPECT_TRUE(m.ok()) << m.status();
    return job.backup_id();
  }

  absl::Status RestoreThroughRunner(const std::string& name, const std::string& backup_id,
                                    const v1::DatabaseTarget& target,
                                    const v1::RestoreOptions& options,
                                    v1::RestoreReport* report) {
    v1::RestoreJob r;
    r.set_job_id(NewJobId(absl::Now()));
    r.set_backup_id(backup_id);
    r.set_source_database(name);
    *r.mutable_storage() = storage_;
    *r.mutable_target() = target;
    *r.mutable_options() = options;
    JobTracker rt(r.job_id());
    return JobRunner(ro_).Restore(r, engine_.get(), &rt, report);
  }

  // DEFINER of the view, both routines, the trigger and the event of `db`.
  std::string Definers(const std::string& db) {
    std::string s = testing::SqlString(db);
    return Q("", absl::StrCat(
                     "SELECT DEFINER FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ", s,
                     " UNION ALL SELECT DEFINER FROM information_schema.ROUTINES WHERE "
                     "ROUTINE_SCHEMA = ", s, " UNION ALL SELECT DEFINER FROM "
                     "information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ", s,
                     " UNION ALL SELECT DEFINER FROM information_schema.EVENTS WHERE "
                     "EVENT_SCHEMA = ", s, ";"));
  }
  // Tables, views, routines, triggers and events of `db`.
  std::string ObjectCount(const std::string& db) {
    std::string s = testing::SqlString(db);
    return Q("", absl::StrCat(
                     "SELECT (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ",
                     s, ") + (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE "
                     "ROUTINE_SCHEMA = ", s, ") + (SELECT COUNT(*) FROM "
                     "information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ", s, ") + (SELECT "
                     "COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ", s, ");"));
  }

  v1::StorageDestination storage_;
  JobRunnerOptions ro_;
};

TEST_F(MysqlDefinersTest, MissingDefinerFailsUnlessRewrittenToCurrentUser) {
  Exec("", "DROP USER IF EXISTS 'def_alice'@'%'; CREATE USER 'def_alice'@'%';"
           "GRANT ALL PRIVILEGES ON *.* TO 'def_alice'@'%';");
  CreateDatabase("def_src");
  Exec("def_src", R"sql(
CREATE TABLE a_big (id INT PRIMARY KEY, pad TEXT);
INSERT INTO a_big SELECT seq, REPEAT('x', 1000) FROM seq_1_to_2000;
CREATE TABLE t (id INT PRIMARY KEY, v INT);
CREATE TABLE log (what VARCHAR(100));
INSERT INTO t VALUES (1, 10), (2, 20);
INSERT INTO log VALUES ('CREATE DEFINER=`nobody`@`%` VIEW x'), ('/*!50013 DEFINER=nobody */');
CREATE DEFINER='def_alice'@'%' SQL SECURITY DEFINER VIEW v AS SELECT id, v FROM t;
CREATE DEFINER='def_alice'@'%' FUNCTION f(x INT) RETURNS INT DETERMINISTIC RETURN x + 1;
DELIMITER //
CREATE DEFINER='def_alice'@'%' PROCEDURE p()
BEGIN
  -- CREATE DEFINER=`nobody`@`%` in a comment
  SELECT COUNT(*) FROM t WHERE 'DEFINER=nobody' <> '';
END//
DELIMITER ;
CREATE DEFINER='def_alice'@'%' TRIGGER t_ai AFTER INSERT ON t FOR EACH ROW
  INSERT INTO log VALUES (CONCAT('row ', NEW.id));
CREATE DEFINER='def_alice'@'%' EVENT ev ON SCHEDULE EVERY 1 DAY STARTS '2031-01-01 00:00:00'
  ON COMPLETION PRESERVE DISABLE DO DELETE FROM log;
)sql");
  std::string alice = "def_alice@%\n";
  ASSERT_EQ(Definers("def_src"), absl::StrCat(alice, alice, alice, alice, alice));
  std::string id = BackUpThroughRunner("def", "def_src");
  ASSERT_FALSE(HasFailure());
  absl::StatusOr<Backup> direct = BackUp(server_->Target("def", "def_src"));
  ASSERT_TRUE(direct.ok()) << direct.status();
  Exec("", "DROP USER 'def_alice'@'%';");

  // Kept: the missing account fails the restore before anything is
  // defined by it, and the database the restore created goes again.
  DropDatabase("def_new");
  v1::RestoreReport report;
  absl::Status st = RestoreThroughRunner("def", id, server_->Target("def", "def_new"), {}, &report);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "'def_alice'@'%', which does not exist on the "
                                              "target server"))
      << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "--definers=current-user")) << st;
  EXPECT_FALSE(server_->HasDatabase("def_new"));
  // Driven without JobRunner (a refused Write, then Finish): the client is
  // stopped rather than given the end of its input, the error is the same.
  DropDatabase("def_direct");
  auto session = engine_->StartRestore(server_->Target("def", "def_direct"), direct->manifest,
                                       {}, work_);
  ASSERT_TRUE(session.ok()) << session.status();
  st = (*session)->sink()->Write(direct->data.data(), direct->data.size());
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  st = (*session)->Finish();
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "'def_alice'@'%'")) << st;
  EXPECT_FALSE(server_->HasDatabase("def_direct"));
  session->reset();
  // An empty database is empty again afterwards. a_big, 2 MB, passes the
  // checksum hold-back and is created before the first DEFINER is refused.
  CreateDatabase("def_empty");
  st = RestoreThroughRunner("def", id, server_->Target("def", "def_empty"), {}, &report);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_TRUE(server_->HasDatabase("def_empty"));
  EXPECT_EQ(ObjectCount("def_empty"), "0\n");

  // Rewritten: everything is defined by the restoring user, and works.
  v1::RestoreOptions cu;
  cu.set_definers(v1::DEFINER_MODE_CURRENT_USER);
  DropDatabase("def_cu");
  report.Clear();
  st = RestoreThroughRunner("def", id, server_->Target("def", "def_cu"), cu, &report);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_TRUE(absl::StrContains(report.summary(), "5 DEFINERs rewritten to CURRENT_USER"))
      << report.summary();
  std::string restorer = "dbdump@127.0.0.1\n";
  EXPECT_EQ(Definers("def_cu"), absl::StrCat(restorer, restorer, restorer, restorer, restorer));
  EXPECT_EQ(Q("", "SELECT SECURITY_TYPE FROM information_schema.VIEWS WHERE TABLE_SCHEMA = "
                  "'def_cu';"),
            "DEFINER\n");
  EXPECT_EQ(Q("def_cu", "SELECT COUNT(*), SUM(v) FROM v;"), "2\t30\n");
  EXPECT_EQ(Q("def_cu", "SELECT f(41);"), "42\n");
  EXPECT_EQ(Q("def_cu", "CALL p();"), "2\n");
  EXPECT_EQ(Q("def_cu", "INSERT INTO t VALUES (3, 30); SELECT what FROM log WHERE what LIKE "
                        "'row %';"),
            "row 3\n");
  EXPECT_EQ(Q("", "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = "
                  "'def_cu';"),
            "ev\n");
  // Look-alikes in the data and the routine's body stayed as they were.
  EXPECT_EQ(Q("def_cu", "SELECT what FROM log WHERE what NOT LIKE 'row %' ORDER BY what;"),
            "/*!50013 DEFINER=nobody */\nCREATE DEFINER=`nobody`@`%` VIEW x\n");
  auto body = [&](const std::string& db) {
    return Q("", absl::StrCat("SELECT ROUTINE_DEFINITION FROM information_schema.ROUTINES WHERE "
                              "ROUTINE_SCHEMA = ", testing::SqlString(db),
                              " AND ROUTINE_NAME = 'p';"));
  };
  EXPECT_TRUE(absl::StrContains(body("def_cu"), "'DEFINER=nobody'")) << body("def_cu");
  EXPECT_EQ(body("def_cu"), body("def_src"));

  // With the account back, the default restore keeps the original definer.
  Exec("", "CREATE USER 'def_alice'@'%';");
  DropDatabase("def_kept");
  st = RestoreThroughRunner("def", id, server_->Target("def", "def_kept"), {}, &report);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(Definers("def_kept"), Definers("def_src"));

  Exec("", "DROP USER 'def_alice'@'%';");
  for (const char* db : {"def_src", "def_empty", "def_cu", "def_kept"}) DropDatabase(db);
}

// MariaDB roles define objects too (DEFINER=`role`, no host): found among
// the accounts while the role exists, named when it does not.
TEST_F(MysqlDefinersTest, RoleDefinerIsCheckedToo) {
  Exec("", "DROP ROLE IF EXISTS def_role; CREATE ROLE def_role;"
           "GRANT ALL PRIVILEGES ON *.* TO def_role;");
  CreateDatabase("def_rsrc");
  Exec("def_rsrc", "CREATE TABLE t (id INT); INSERT INTO t VALUES (1);"
                   "CREATE DEFINER=def_role VIEW v AS SELECT id FROM t;");
  // information_schema writes a role as role@.
  ASSERT_EQ(Definers("def_rsrc"), "def_role@\n");
  std::string id = BackUpThroughRunner("role", "def_rsrc");
  ASSERT_FALSE(HasFailure());
  v1::RestoreReport report;
  DropDatabase("def_rkept");
  absl::Status st = RestoreThroughRunner("role", id, server_->Target("role", "def_rkept"), {},
                                         &report);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(Definers("def_rkept"), "def_role@\n");

  Exec("", "DROP ROLE def_role;");
  DropDatabase("def_rgone");
  st = RestoreThroughRunner("role", id, server_->Target("role", "def_rgone"), {}, &report);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "defined by 'def_role', which does not exist"))
      << st;
  EXPECT_FALSE(server_->HasDatabase("def_rgone"));
  for (const char* db : {"def_rsrc", "def_rkept"}) DropDatabase(db);
}

// A restoring user that may not read mysql.user is not refused for that:
// the DEFINERs go unchecked and the server decides.
TEST_F(MysqlDefinersTest, UnreadableAccountsLeaveTheCheckToTheServer) {
  CreateDatabase("def_plain");
  Exec("def_plain", "CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1);");
  std::string id = BackUpThroughRunner("plain", "def_plain");
  ASSERT_FALSE(HasFailure());
  std::string password = "pw-limited-0123456789";
  std::string file = dir_ + "/limited-password";
  {
    std::ofstream(file) << password;
  }
  ::chmod(file.c_str(), 0600);
  Exec("", absl::StrCat("DROP USER IF EXISTS 'def_limited'@'127.0.0.1';"
                        "CREATE USER 'def_limited'@'127.0.0.1' IDENTIFIED BY '", password, "';"
                        "GRANT ALL PRIVILEGES ON `def\\_limited\\_db`.* TO "
                        "'def_limited'@'127.0.0.1';"));
  v1::DatabaseTarget t = server_->Target("plain", "def_limited_db");
  t.set_user("def_limited");
  t.set_password_ref("file:" + file);
  DropDatabase("def_limited_db");
  v1::RestoreReport report;
  absl::Status st = RestoreThroughRunner("plain", id, t, {}, &report);
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(Q("def_limited_db", "SELECT COUNT(*) FROM t;"), "1\n");
  Exec("", "DROP USER 'def_limited'@'127.0.0.1';");
  DropDatabase("def_limited_db");
  DropDatabase("def_plain");
}

}  // namespace
}  // namespace dbdump
