// TLS to the database: PostgreSQL and MariaDB servers that accept only TLS,
// a test CA made with openssl, and the agent's connections, tools, backups,
// restores and test restores through them.
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "agent/job_tracker.h"
#include "common/engines/job_runner.h"
#include "common/engines/mysql/mysql_client.h"
#include "common/engines/postgres/postgres_connection.h"
#include "common/engines/postgres/postgres_engine.h"
#include "gtest/gtest.h"
#include "tests/fixtures/mysql_engine_fixture.h"
#include "tests/fixtures/postgres_engine_fixture.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;
using testing::BackupWith;
using testing::MysqlEngineTest;
using testing::PostgresBackupTest;

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// A CA, a second CA that signed nothing the servers use, a server
// certificate for "localhost" (DNS name only, so 127.0.0.1 is a host name the
// certificate does not name) and a client certificate with CN=dbdump_cert.
// Made once per test binary; srv/ holds what the fixtures' servers take.
struct TestPki {
  std::string dir;
  std::string ca() const { return dir + "/ca.crt"; }
  std::string wrong_ca() const { return dir + "/wrongca.crt"; }
  std::string server_dir() const { return dir + "/srv"; }
  std::string client_cert() const { return dir + "/client.crt"; }
  std::string client_key() const { return dir + "/client.key"; }
};

const TestPki& Pki() {
  static TestPki* pki = [] {
    auto* p = new TestPki;
    p->dir = testing::MakeTempDir("dbdump-tls-pki");
    std::string d = p->dir;
    std::string script = absl::StrCat(R"(set -e
cd ')", d, R"('
ca() { openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.crt" -days 2 -subj "/CN=$1 test CA" 2>/dev/null; }
ca ca
ca wrongca
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null
printf 'subjectAltName=DNS:localhost\n' > server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile server.ext 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=dbdump_cert 2>/dev/null
openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 2 2>/dev/null
chmod 600 client.key
mkdir -p srv
cp ca.crt server.crt server.key srv/
)");
    std::string path = d + "/make.sh";
    std::ofstream(path) << script;
    int rc = system(absl::StrCat("bash ", path).c_str());
    EXPECT_EQ(rc, 0) << "openssl failed making the test CA";
    // The keys of a throw-away CA, but still not left in /tmp.
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(Pki().dir, ec);
    });
    return p;
  }();
  return *pki;
}

// What the agent's environment holds for env: key references in the tests.
constexpr char kKeyEnv[] = "DBDUMP_TEST_TLS_CLIENT_KEY";

// The body of the key, without its armour: what must never show up in a
// tool's argv or environment.
std::string KeyBody() {
  std::string pem = ReadAll(Pki().client_key());
  std::vector<std::string> lines = absl::StrSplit(pem, '\n');
  return lines.size() > 2 ? lines[1] : pem;
}

// --- PostgreSQL -------------------------------------------------------------

class PgTlsTest : public PostgresBackupTest {
 protected:
  static void SetUpTestSuite() {
    setenv("DBDUMP_PG_TLS_DIR", Pki().server_dir().c_str(), 1);
    setenv("DBDUMP_PG_TLS_CLIENTCERT", "1", 1);
    PostgresBackupTest::SetUpTestSuite();
    unsetenv("DBDUMP_PG_TLS_DIR");
    unsetenv("DBDUMP_PG_TLS_CLIENTCERT");
    setenv(kKeyEnv, ReadAll(Pki().client_key()).c_str(), 1);
  }

  // verify-full against the right CA, by the host name the certificate
  // names.
  v1::DatabaseTarget Verified(const std::string& db) {
    v1::DatabaseTarget t = server_->Target(db, db);
    t.set_host("localhost");
    t.mutable_tls()->set_mode(v1::DATABASE_TLS_MODE_VERIFY_FULL);
    t.mutable_tls()->set_ca_file(Pki().ca());
    return t;
  }
  // The role that logs in by its client certificate alone (pg_hba "cert").
  v1::DatabaseTarget CertUser(const std::string& db, const std::string& key_ref) {
    Exec("postgres",
         "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dbdump_cert') THEN "
         "CREATE ROLE dbdump_cert LOGIN SUPERUSER; END IF; END$$");
    v1::DatabaseTarget t = Verified(db);
    t.set_user("dbdump_cert");
    t.clear_password_ref();
    t.mutable_tls()->set_cert_file(Pki().client_cert());
    t.mutable_tls()->set_key_ref(key_ref);
    return t;
  }
};

TEST_F(PgTlsTest, VerifyFullBackupAndRestoreRoundTripOverTls) {
  CreateContent("tlssrc");
  v1::BackupJob job = Job("tlssrc", "tlssrc", v1::COMPRESSION_ZSTD);
  *job.mutable_target() = Verified("tlssrc");
  auto version = engine_->TestConnection(job.target());
  ASSERT_TRUE(version.ok()) << version.status();
  auto m = BackupWith(this, job);
  ASSERT_TRUE(m.ok()) << m.status();
  v1::RestoreJob r = RestoreJobFor(job, "tlsdst");
  *r.mutable_target() = Verified("tlsdst");
  JobTracker t(r.job_id());
  ASSERT_TRUE(JobRunner(runner_opts_).Restore(r, engine_.get(), &t).ok());
  EXPECT_EQ(Fingerprint("tlssrc"), Fingerprint("tlsdst"));
  // A test restore: its scratch database is reached the same way.
  v1::RestoreJob tr = RestoreJobFor(job, "");
  *tr.mutable_target() = Verified("tlssrc");
  tr.mutable_options()->set_test_restore(true);
  JobTracker tt(tr.job_id());
  absl::Status st = JobRunner(runner_opts_).Restore(tr, engine_.get(), &tt);
  EXPECT_TRUE(st.ok()) << st;
  // The tools got the settings through libpq's variables, never argv.
  bool saw_pg_dump = false;
  for (const auto& s : runner_.started()) {
    std::string argv = absl::StrJoin(s.options.argv, " ");
    EXPECT_FALSE(absl::StrContains(argv, "ssl")) << argv;
    // (--version probes carry no connection.)
    if (absl::StrContains(s.options.argv[0], "pg_dump") && s.options.env.count("PGHOST")) {
      saw_pg_dump = true;
      EXPECT_EQ(s.options.env.at("PGSSLMODE"), "verify-full");
      EXPECT_EQ(s.options.env.at("PGSSLROOTCERT"), Pki().ca());
    }
  }
  EXPECT_TRUE(saw_pg_dump);
}

TEST_F(PgTlsTest, EveryConnectionOfTheAgentUsedTls) {
  // The server's pg_hba has only hostssl lines for TCP: a connection
  // without TLS finds none.
  v1::DatabaseTarget plain = server_->Target("postgres", "postgres");
  plain.mutable_tls()->set_mode(v1::DATABASE_TLS_MODE_DISABLE);
  auto refused = engine_->TestConnection(plain);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied) << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "refuses connections without TLS"))
      << refused.status();
  // And a connection of ours reports TLS in pg_stat_ssl.
  pg::PgConn c;
  ASSERT_TRUE(pg::Connect(Verified("postgres"), "postgres", 10, &c).ok());
  PGresult* r = PQexec(c.conn, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
  ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK);
  EXPECT_STREQ(PQgetvalue(r, 0, 0), "t");
  PQclear(r);
}

TEST_F(PgTlsTest, WrongCaFailsNamingTheCaFile) {
  v1::DatabaseTarget t = Verified("postgres");
  t.mutable_tls()->set_ca_file(Pki().wrong_ca());
  auto v = engine_->TestConnection(t);
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(absl::StrContains(v.status().message(), "not trusted")) << v.status();
  EXPECT_TRUE(absl::StrContains(v.status().message(), "--tls-ca-file")) << v.status();
  // verify-ca checks the chain as well.
  t.mutable_tls()->set_mode(v1::DATABASE_TLS_MODE_VERIFY_CA);
  EXPECT_FALSE(engine_->TestConnection(t).ok());
}

TEST_F(PgTlsTest, HostNameNotInTheCertificateFailsUnderVerifyFullOnly) {
  v1::DatabaseTarget t = Verified("postgres");
  t.set_host("127.0.0.1");
  auto v = engine_->TestConnection(t);
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(absl::StrContains(v.status().message(), "another host name")) << v.status();
  // verify-ca checks the chain, not the name.
  t.mutable_tls()->set_mode(v1::DATABASE_TLS_MODE_VERIFY_CA);
  auto ca_only = engine_->TestConnection(t);
  EXPECT_TRUE(ca_only.ok()) << ca_only.status();
}

TEST_F(PgTlsTest, RequireWithoutCaWorks) {
  CreateContent("tlsreq");
  v1::BackupJob job = Job("tlsreq", "tlsreq", v1::COMPRESSION_ZSTD);
  job.mutable_target()->mutable_tls()->set_mode(v1::DATABASE_TLS_MODE_REQUIRE);
  auto v = engine_->TestConnection(job.target());
  ASSERT_TRUE(v.ok()) << v.status();
  auto m = BackupWith(this, job);
  EXPECT_TRUE(m.ok()) << m.status();
}

TEST_F(PgTlsTest, ClientCertificateWithKeyFromTheEnvironmentOrAFile) {
  CreateContent("tlscert");
  // pg_hba's "cert" method: no password at all, the certificate is the login.
  for (const std::string& ref : {absl::StrCat("env:", kKeyEnv),
                                 absl::StrCat("file:", Pki().client_key())}) {
    SCOPED_TRACE(ref);
    v1::BackupJob job = Job("tlscert", "tlscert", v1::COMPRESSION_ZSTD);
    *job.mutable_target() = CertUser("tlscert", ref);
    auto v = engine_->TestConnection(job.target());
    ASSERT_TRUE(v.ok()) << v.status();
    auto m = BackupWith(this, job);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_TRUE(WorkDirEmpty());
  }
  // Without the certificate the role cannot log in.
  v1::DatabaseTarget no_cert = CertUser("tlscert", "");
  no_cert.mutable_tls()->clear_cert_file();
  EXPECT_FALSE(engine_->TestConnection(no_cert).ok());
}

TEST_F(PgTlsTest, KeyNeverInTheRunningToolsCmdlineOrEnviron) {
  Exec("postgres", "CREATE DATABASE tlsproc");
  Exec("tlsproc",
       "CREATE TABLE t AS SELECT g, repeat('z', 500) AS s FROM generate_series(1, 200000) g");
  v1::DatabaseTarget target = CertUser("tlsproc", absl::StrCat("env:", kKeyEnv));
  auto dump = engine_->StartDump(target, dir_ + "/work");
  ASSERT_TRUE(dump.ok()) << dump.status();
  pid_t pid = runner_.started().back().pid;
  std::string cmdline;
  for (int i = 0; i < 200 && cmdline.empty(); ++i) {
    cmdline = ReadAll(absl::StrCat("/proc/", pid, "/cmdline"));
    if (cmdline.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::string environ = ReadAll(absl::StrCat("/proc/", pid, "/environ"));
  ASSERT_TRUE(absl::StrContains(cmdline, "pg_dump")) << cmdline;
  std::string body = KeyBody();
  ASSERT_GT(body.size(), 40u);
  EXPECT_FALSE(absl::StrContains(cmdline, body));
  EXPECT_FALSE(absl::StrContains(environ, body));
  EXPECT_FALSE(absl::StrContains(environ, "PRIVATE KEY"));
  // The key is a 0600 file in the work directory while the tool runs.
  std::string key_path = runner_.started().back().options.env.at("PGSSLKEY");
  EXPECT_TRUE(absl::StartsWith(key_path, dir_ + "/work/")) << key_path;
  EXPECT_EQ(fs::status(key_path).permissions(),
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(ReadAll(key_path), ReadAll(Pki().client_key()));
  (*dump)->Cancel();
  (void)(*dump)->Finish();
  EXPECT_TRUE(WorkDirEmpty());
  EXPECT_FALSE(fs::exists(key_path));
}

TEST(PgTlsEnvTest, ToolEnvCarriesTheTlsSettings) {
  v1::DatabaseTarget t;
  t.set_engine(v1::ENGINE_POSTGRES);
  t.set_host("db.example");
  auto none = pg::ToolEnv(t, "/w/pgpass", 10);
  EXPECT_EQ(none.count("PGSSLMODE"), 0u);
  t.mutable_tls()->set_mode(v1::DATABASE_TLS_MODE_VERIFY_FULL);
  t.mutable_tls()->set_ca_file("/etc/ca.pem");
  t.mutable_tls()->set_cert_file("/etc/c.pem");
  auto env = pg::ToolEnv(t, "/w/pgpass", 10, "/w/tls-client.key");
  EXPECT_EQ(env["PGSSLMODE"], "verify-full");
  EXPECT_EQ(env["PGSSLROOTCERT"], "/etc/ca.pem");
  EXPECT_EQ(env["PGSSLCERT"], "/etc/c.pem");
  EXPECT_EQ(env["PGSSLKEY"], "/w/tls-client.key");
}

// --- MariaDB ----------------------------------------------------------------

class MariadbTlsTest : public MysqlEngineTest {
 protected:
  static void SetUpTestSuite() {
    setenv("DBDUMP_MARIADB_TLS_DIR", Pki().server_dir().c_str(), 1);
    MysqlEngineTest::SetUpTestSuite();
    unsetenv("DBDUMP_MARIADB_TLS_DIR");
    setenv(kKeyEnv, ReadAll(Pki().client_key()).c_str(), 1);
  }
  v1::DatabaseTarget Verified(const std::string& db) {
    v1::DatabaseTarget t = server_->Target(db, db);
    t.set_host("localhost");
    t.mutable_tls()->set_mode(v1::DATABASE_TLS_MODE_VERIFY_FULL);
    t.mutable_tls()->set_ca_file(Pki().ca());
    return t;
  }
};

TEST_F(MariadbTlsTest, VerifyIdentityBackupAndRestoreRoundTrip) {
  CreateAwkwardContent("tlsm");
  v1::DatabaseTarget src = Verified("tlsm");
  auto v = engine_->TestConnection(src);
  ASSERT_TRUE(v.ok()) << v.status();
  auto b = BackUp(src);
  ASSERT_TRUE(b.ok()) << b.status();
  DropDatabase("tlsm2");
  absl::Status st = Restore(Verified("tlsm2"), *b);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(Q("tlsm2", "SELECT COUNT(*) FROM items"), Q("tlsm", "SELECT COUNT(*) FROM items"));
  // Every tool got TLS through its option file, nothing in argv.
  for (const auto& s : runner_.started()) {
    std::string argv = absl::StrJoin(s.options.argv, " ");
    EXPECT_FALSE(absl::StrContains(argv, "ssl")) << argv;
  }
  EXPECT_TRUE(WorkDirEmpty());
}

TEST_F(MariadbTlsTest, WithoutTlsTheServerRefuses) {
  v1::DatabaseTarget t = server_->Target("", "");
  t.mutable_tls()->set_mode(v1::DATABASE_TLS_MODE_DISABLE);
  auto v = engine_->TestConnection(t);
  ASSERT_FALSE(v.ok());
}

TEST_F(MariadbTlsTest, WrongCaFails) {
  v1::DatabaseTarget t = Verified("");
  t.mutable_tls()->set_ca_file(Pki().wrong_ca());
  auto v = engine_->TestConnection(t);
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(absl::StrContains(v.status().message(), "not trusted")) << v.status();
  // VERIFY_CA checks the chain too.
  t.mutable_tls()->set_mode(v1::DATABASE_TLS_MODE_VERIFY_CA);
  t.set_host("127.0.0.1");
  EXPECT_FALSE(engine_->TestConnection(t).ok());
}

TEST_F(MariadbTlsTest, HostNameNotInTheCertificateFailsUnderVerifyIdentityOnly) {
  v1::DatabaseTarget t = Verified("");
  t.set_host("127.0.0.1");
  auto v = engine_->TestConnection(t);
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(absl::StrContains(v.status().message(), "does not name the host")) << v.status();
  t.mutable_tls()->set_mode(v1::DATABASE_TLS_MODE_VERIFY_CA);
  auto ca_only = engine_->TestConnection(t);
  EXPECT_TRUE(ca_only.ok()) << ca_only.status();
  t.mutable_tls()->set_mode(v1::DATABASE_TLS_MODE_REQUIRE);
  t.mutable_tls()->clear_ca_file();
  auto required = engine_->TestConnection(t);
  EXPECT_TRUE(required.ok()) << required.status();
}

TEST_F(MariadbTlsTest, ClientCertificateKeyFromTheEnvironmentNeverInArgvOrEnviron) {
  Exec("", "CREATE USER IF NOT EXISTS 'dbdump_cert'@'127.0.0.1' REQUIRE SUBJECT '/CN=dbdump_cert';"
           "GRANT ALL PRIVILEGES ON *.* TO 'dbdump_cert'@'127.0.0.1';");
  CreateDatabase("tlsmc");
  Exec("tlsmc", "CREATE TABLE t (a INT); INSERT INTO t VALUES (1), (2);");
  v1::DatabaseTarget t = Verified("tlsmc");
  t.set_user("dbdump_cert");
  t.clear_password_ref();
  // Without the certificate the account cannot log in.
  EXPECT_FALSE(engine_->TestConnection(t).ok());
  t.mutable_tls()->set_cert_file(Pki().client_cert());
  t.mutable_tls()->set_key_ref(absl::StrCat("env:", kKeyEnv));
  auto v = engine_->TestConnection(t);
  ASSERT_TRUE(v.ok()) << v.status();
  auto b = BackUp(t);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(absl::StrContains(b->data, "INSERT INTO `t`"));
  EXPECT_TRUE(WorkDirEmpty());
  // The running dump tool: the key is a 0600 file beside its option file.
  auto dump = engine_->StartDump(t, work_);
  ASSERT_TRUE(dump.ok()) << dump.status();
  pid_t pid = runner_.started().back().pid;
  std::string cmdline;
  for (int i = 0; i < 200 && cmdline.empty(); ++i) {
    cmdline = ReadAll(absl::StrCat("/proc/", pid, "/cmdline"));
    if (cmdline.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::string environ = ReadAll(absl::StrCat("/proc/", pid, "/environ"));
  std::string body = KeyBody();
  EXPECT_FALSE(absl::StrContains(cmdline, body));
  EXPECT_FALSE(absl::StrContains(environ, body));
  int key_files = 0;
  for (auto& e : fs::directory_iterator(work_)) {
    EXPECT_EQ(fs::status(e.path()).permissions() & (fs::perms::group_all | fs::perms::others_all),
              fs::perms::none);
    if (absl::StrContains(e.path().filename().string(), "tls-client")) ++key_files;
  }
  EXPECT_EQ(key_files, 1);
  (*dump)->Cancel();
  (void)(*dump)->Finish();
  EXPECT_TRUE(WorkDirEmpty());
}

// MariaDB's client falls back to a plain connection under REQUIRED and
// VERIFY_CA when the server offers no TLS: the connection test says so.
TEST_F(MariadbTlsTest, RequiredAgainstAServerWithoutTlsFailsTheConnectionTest) {
  auto plain = testing::MariadbServer::Start();
  ASSERT_TRUE(plain.ok()) << plain.status();
  v1::DatabaseTarget t = (*plain)->Target("", "");
  t.mutable_tls()->set_mode(v1::DATABASE_TLS_MODE_REQUIRE);
  auto v = engine_->TestConnection(t);
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(absl::StrContains(v.status().message(), "answered without TLS")) << v.status();
  t.mutable_tls()->set_mode(v1::DATABASE_TLS_MODE_VERIFY_FULL);
  t.mutable_tls()->set_ca_file(Pki().ca());
  v = engine_->TestConnection(t);
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(absl::StrContains(v.status().message(), "does not support it")) << v.status();
  // Without a mode nothing changes: the client's default works as before.
  t.clear_tls();
  EXPECT_TRUE(engine_->TestConnection(t).ok());
}

TEST(MysqlTlsOptionFileTest, MariadbOptionsPerMode) {
  std::string dir = testing::MakeTempDir("dbdump-tls-cnf");
  v1::DatabaseTarget t;
  t.set_engine(v1::ENGINE_MYSQL);
  t.set_host("db.example");
  auto text = [&](v1::DatabaseTlsMode mode, bool ssl_mode) {
    t.mutable_tls()->set_mode(mode);
    auto f = mysql::MakeOptionFile(dir, t, "pw", "", 10, ssl_mode);
    return f.ok() ? ReadAll(f->path()) : f.status().ToString();
  };
  t.mutable_tls()->set_ca_file("/etc/ca.pem");
  EXPECT_TRUE(absl::StrContains(text(v1::DATABASE_TLS_MODE_DISABLE, false), "skip-ssl\n"));
  std::string full = text(v1::DATABASE_TLS_MODE_VERIFY_FULL, false);
  EXPECT_TRUE(absl::StrContains(full, "\nssl\n")) << full;
  EXPECT_TRUE(absl::StrContains(full, "ssl-verify-server-cert\n")) << full;
  EXPECT_TRUE(absl::StrContains(full, "ssl-ca=")) << full;
  EXPECT_TRUE(absl::StrContains(full, "protocol=TCP\n")) << full;
  std::string ca = text(v1::DATABASE_TLS_MODE_VERIFY_CA, false);
  EXPECT_FALSE(absl::StrContains(ca, "ssl-verify-server-cert")) << ca;
  EXPECT_TRUE(absl::StrContains(text(v1::DATABASE_TLS_MODE_VERIFY_FULL, true),
                                "ssl-mode=VERIFY_IDENTITY\n"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dbdump
