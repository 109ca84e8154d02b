// "database add|update|show" with the TLS flags against a scripted fake
// controller: what reaches the controller, and what is refused before.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/unit/controller/cli/cli_commands_fixture.h"

namespace dbdump {
namespace {

TEST_F(CliCommandsTest, DatabaseAddSendsTheTlsSettings) {
  ASSERT_EQ(Run({"database", "add", "orders", "--engine=postgres", "--agent=a1", "--storage=s1",
                 "--host=db.internal", "--tls-mode=verify-full",
                 "--tls-ca-file=/etc/dbdump/rds-ca.pem", "--tls-cert-file=/etc/dbdump/c.pem",
                 "--tls-key-ref=env:DB_CLIENT_KEY"}),
            0)
      << err_.str();
  const v1::DatabaseTls& tls = fake_.add_database.database().tls();
  EXPECT_EQ(tls.mode(), v1::DATABASE_TLS_MODE_VERIFY_FULL);
  EXPECT_EQ(tls.ca_file(), "/etc/dbdump/rds-ca.pem");
  EXPECT_EQ(tls.cert_file(), "/etc/dbdump/c.pem");
  EXPECT_EQ(tls.key_ref(), "env:DB_CLIENT_KEY");
  // MySQL's names map onto the same modes.
  ASSERT_EQ(Run({"database", "add", "shop", "--engine=mysql", "--agent=a1", "--storage=s1",
                 "--host=db", "--dbname=shop", "--tls-mode=VERIFY_IDENTITY",
                 "--tls-ca-file=/etc/ca.pem"}),
            0)
      << err_.str();
  EXPECT_EQ(fake_.add_database.database().tls().mode(), v1::DATABASE_TLS_MODE_VERIFY_FULL);
}

TEST_F(CliCommandsTest, DatabaseAddRefusesBadTlsSettings) {
  std::vector<std::string> base = {"database", "add",         "orders",
                                   "--engine=postgres", "--agent=a1", "--storage=s1",
                                   "--host=db"};
  struct Case {
    std::vector<std::string> flags;
    std::string says;
  };
  std::vector<Case> cases = {
      {{"--tls-mode=strict"}, "unknown --tls-mode \"strict\""},
      {{"--tls-mode=verify-full"}, "give --tls-ca-file"},
      {{"--tls-mode=verify-ca"}, "give --tls-ca-file"},
      {{"--tls-mode=require", "--tls-ca-file=ca.pem"}, "--tls-ca-file must be an absolute path"},
      {{"--tls-mode=require", "--tls-key-ref=env:K"}, "give --tls-cert-file"},
      {{"--tls-mode=require", "--tls-cert-file=/c.pem"}, "needs its private key"},
      {{"--tls-mode=require", "--tls-cert-file=/c.pem", "--tls-key-ref=-----BEGIN"},
       "--tls-key-ref must be file:/absolute/path or env:NAME"},
      {{"--tls-ca-file=/ca.pem"}, "without --tls-mode"},
      {{"--tls-mode=disable", "--tls-ca-file=/ca.pem"}, "uses no TLS"},
  };
  int calls = fake_.calls;
  for (const Case& c : cases) {
    std::vector<std::string> argv = base;
    argv.insert(argv.end(), c.flags.begin(), c.flags.end());
    EXPECT_EQ(Run(argv), 2) << c.flags[0];
    EXPECT_NE(err_.str().find(c.says), std::string::npos) << err_.str();
    // The key reference's value is never echoed.
    EXPECT_EQ(err_.str().find("-----BEGIN"), std::string::npos) << err_.str();
  }
  EXPECT_EQ(Run({"database", "add", "shop", "--engine=mysql", "--agent=a1", "--storage=s1",
                 "--host=db", "--dbname=shop", "--tls-mode=allow"}),
            2);
  EXPECT_NE(err_.str().find("allow is PostgreSQL's"), std::string::npos) << err_.str();
  EXPECT_EQ(Run({"database", "add", "app", "--engine=sqlite", "--agent=a1", "--storage=s1",
                 "--path=/a.db", "--tls-mode=require"}),
            2);
  EXPECT_NE(err_.str().find("postgres and mysql databases only"), std::string::npos)
      << err_.str();
  EXPECT_EQ(fake_.calls, calls) << "usage errors reach no controller";
}

TEST_F(CliCommandsTest, DatabaseUpdateNamesEachTlsField) {
  ASSERT_EQ(Run({"database", "update", "orders", "--tls-mode=verify-full",
                 "--tls-ca-file=/etc/ca.pem"}),
            0)
      << err_.str();
  const v1::UpdateDatabaseRequest& req = fake_.update_database;
  EXPECT_EQ(std::vector<std::string>(req.update_mask().paths().begin(),
                                     req.update_mask().paths().end()),
            (std::vector<std::string>{"target.tls.mode", "target.tls.ca_file"}));
  EXPECT_EQ(req.database().target().tls().mode(), v1::DATABASE_TLS_MODE_VERIFY_FULL);
  // Back to the client's default, or no TLS setting at all.
  ASSERT_EQ(Run({"database", "update", "orders", "--tls-mode=default"}), 0) << err_.str();
  EXPECT_EQ(fake_.update_database.database().target().tls().mode(),
            v1::DATABASE_TLS_MODE_UNSPECIFIED);
  ASSERT_EQ(Run({"database", "update", "orders", "--clear-tls"}), 0) << err_.str();
  EXPECT_EQ(std::vector<std::string>(fake_.update_database.update_mask().paths().begin(),
                                     fake_.update_database.update_mask().paths().end()),
            (std::vector<std::string>{"target.tls"}));
  EXPECT_EQ(Run({"database", "update", "orders", "--clear-tls", "--tls-mode=require"}), 2);
  EXPECT_EQ(Run({"database", "update", "orders", "--tls-mode=sometimes"}), 2);
}

TEST_F(CliCommandsTest, DatabaseShowNamesTheTlsSettingsNotTheKey) {
  v1::DatabaseTarget* t = fake_.database.mutable_database()->mutable_target();
  t->set_name("shop");
  t->set_engine(v1::ENGINE_MYSQL);
  t->set_host("db");
  t->mutable_tls()->set_mode(v1::DATABASE_TLS_MODE_VERIFY_FULL);
  t->mutable_tls()->set_ca_file("/etc/ca.pem");
  t->mutable_tls()->set_cert_file("/etc/c.pem");
  t->mutable_tls()->set_key_ref("file:/etc/c.key");
  ASSERT_EQ(Run({"database", "show", "shop"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("VERIFY_IDENTITY, CA /etc/ca.pem, client certificate /etc/c.pem "
                            "(key file:/etc/c.key)"),
            std::string::npos)
      << out_.str();
}

}  // namespace
}  // namespace dbdump
