// "database add|list" against a scripted fake controller.
#include <string>

#include "gtest/gtest.h"
#include "tests/unit/controller/cli/cli_commands_fixture.h"

namespace dbdump {
namespace {

TEST_F(CliCommandsTest, DatabaseAddPostgresSendsTheTarget) {
  fake_.server_version = "postgresql 15.18";
  ASSERT_EQ(Run({"database", "add", "orders", "--engine=postgres", "--agent", "a1", "--storage=s1",
                 "--host=db.internal", "--port", "5432", "--user=backup", "--dbname=orders_prod",
                 "--password-ref=env:PGPASS", "--skip-connection-test"}),
            0)
      << err_.str();
  const v1::DatabaseTarget& t = fake_.add_database.database();
  EXPECT_EQ(t.name(), "orders");
  EXPECT_EQ(t.engine(), v1::ENGINE_POSTGRES);
  EXPECT_EQ(t.agent(), "a1");
  EXPECT_EQ(t.host(), "db.internal");
  EXPECT_EQ(t.port(), 5432u);
  EXPECT_EQ(t.user(), "backup");
  EXPECT_EQ(t.database(), "orders_prod");
  EXPECT_EQ(t.password_ref(), "env:PGPASS");
  EXPECT_EQ(fake_.add_database.storage(), "s1");
  EXPECT_TRUE(fake_.add_database.skip_connection_test());
  EXPECT_EQ(out_.str(), "database \"orders\" added (postgresql 15.18)\n");
}

TEST_F(CliCommandsTest, DatabaseAddSendsDumpOptionsInOrder) {
  ASSERT_EQ(Run({"database", "add", "shop", "--engine=mariadb", "--agent=a1", "--storage=s1",
                 "--dbname=shop", "--table=orders", "--table", "a,b", "--exclude-table=x",
                 "--also-database=crm", "--schema-only"}),
            0)
      << err_.str();
  const v1::DatabaseTarget& t = fake_.add_database.database();
  EXPECT_EQ(t.engine(), v1::ENGINE_MYSQL);
  ASSERT_EQ(t.dump_options().include_tables_size(), 2);
  EXPECT_EQ(t.dump_options().include_tables(0), "orders");
  EXPECT_EQ(t.dump_options().include_tables(1), "a,b");  // values are never split
  EXPECT_EQ(t.dump_options().exclude_tables(0), "x");
  EXPECT_EQ(t.dump_options().databases(0), "crm");
  EXPECT_TRUE(t.dump_options().schema_only());
  EXPECT_FALSE(t.dump_options().data_only());
}

TEST_F(CliCommandsTest, DatabaseAddSqlite) {
  ASSERT_EQ(Run({"database", "add", "app", "--engine=sqlite", "--agent=a1", "--storage=s1",
                 "--path=/var/lib/app.db"}),
            0)
      << err_.str();
  EXPECT_EQ(fake_.add_database.database().engine(), v1::ENGINE_SQLITE);
  EXPECT_EQ(fake_.add_database.database().path(), "/var/lib/app.db");
  EXPECT_FALSE(fake_.add_database.skip_connection_test());
  EXPECT_EQ(out_.str(), "database \"app\" added\n");
}

TEST_F(CliCommandsTest, DatabaseListTable) {
  v1::Database* pg = fake_.databases.add_databases();
  pg->mutable_target()->set_name("orders");
  pg->mutable_target()->set_engine(v1::ENGINE_POSTGRES);
  pg->mutable_target()->set_agent("a1");
  pg->mutable_target()->set_host("db");
  pg->mutable_target()->set_port(5432);
  pg->mutable_target()->set_database("orders");
  pg->set_storage("s1");
  pg->set_server_version("15.18");
  v1::Database* lite = fake_.databases.add_databases();
  lite->mutable_target()->set_name("app");
  lite->mutable_target()->set_engine(v1::ENGINE_SQLITE);
  lite->mutable_target()->set_agent("agent-two");
  lite->mutable_target()->set_path("/data/app.db");
  lite->set_storage("s1");
  ASSERT_EQ(Run({"database", "list"}), 0) << err_.str();
  EXPECT_EQ(out_.str(),
            "NAME    ENGINE    AGENT      STORAGE  LOCATION        SERVER\n"
            "orders  postgres  a1         s1       db:5432/orders  15.18\n"
            "app     sqlite    agent-two  s1       /data/app.db    -\n");
}

}  // namespace
}  // namespace dbdump
