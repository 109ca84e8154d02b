// DeleteAgent and GetAgent on a real store: an agent that backs up
// databases is not removed (the error names them and the verb that moves
// them); once they moved, removing it revokes its certificates and forgets
// it.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "common/base/names.h"
#include "controller/api/agent_admin_service_impl.h"
#include "controller/api/database_service_impl.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_agent_client.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fixtures/dispatch_stack.h"
#include "tests/fixtures/test_catalogue.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

class AgentRemoveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dbdump-agents.XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = *Store::Open(dir_ + "/c.db");
    ASSERT_TRUE(AddLocalStorage(store_.get(), dir_ + "/backups", clock_.Now()).ok());
    for (const char* a : {"agent-1", "agent-2"}) {
      ASSERT_TRUE(AddInProcessAgent(store_.get(), a, clock_.Now()).ok());
      agents_.push_back(std::make_shared<FakeAgentClient>(a, &tally_, &clock_));
      clients_.Add(agents_.back());
    }
    CertificateRecord cert;
    cert.serial = "01";
    cert.agent_name = "agent-1";
    cert.fingerprint = "sha256:aa";
    cert.issued_at = clock_.Now();
    cert.not_after = clock_.Now() + absl::Hours(24 * 90);
    ASSERT_TRUE(store_->RecordCertificate(cert).ok());
    ASSERT_TRUE(AddSqliteDatabase(store_.get(), "orders", "agent-1", clock_.Now()).ok());
    ASSERT_TRUE(AddSqliteDatabase(store_.get(), "users", "agent-1", clock_.Now()).ok());
    DispatcherOptions o;
    o.clock = &clock_;
    stack_ = std::make_unique<DispatchStack>(store_.get(), &clients_, o, nullptr);
    AdminContext c;
    c.store = store_.get();
    c.dispatcher = stack_->dispatcher.get();
    c.agents = &clients_;
    c.updates = &stack_->updates;
    c.clock = &clock_;
    admin_ = std::make_unique<AgentAdminServiceImpl>(c);
    databases_ = std::make_unique<DatabaseServiceImpl>(c);
  }
  void TearDown() override {
    stack_->dispatcher->Shutdown();
    stack_.reset();
    clients_.Clear();
    for (auto& a : agents_) a->Stop();
    fs::remove_all(dir_);
  }
  grpc::Status Remove(const std::string& name, v1::DeleteAgentResponse* resp) {
    grpc::ServerContext ctx;
    v1::DeleteAgentRequest req;
    req.set_name(name);
    return admin_->DeleteAgent(&ctx, &req, resp);
  }
  grpc::Status Get(const std::string& name, v1::GetAgentResponse* resp) {
    grpc::ServerContext ctx;
    v1::GetAgentRequest req;
    req.set_name(name);
    return admin_->GetAgent(&ctx, &req, resp);
  }
  void MoveToAgent2(const std::string& database) {
    grpc::ServerContext ctx;
    v1::UpdateDatabaseRequest req;
    req.set_name(database);
    req.mutable_database()->mutable_target()->set_agent("agent-2");
    req.mutable_update_mask()->add_paths("target.agent");
    v1::UpdateDatabaseResponse resp;
    grpc::Status st = databases_->UpdateDatabase(&ctx, &req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }

  std::string dir_;
  FakeClock clock_{TimeFromString("2026-03-01T00:30:00Z")};
  FakeAgentTally tally_;
  std::vector<std::shared_ptr<FakeAgentClient>> agents_;
  FakeAgentClients clients_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<DispatchStack> stack_;
  std::unique_ptr<AgentAdminServiceImpl> admin_;
  std::unique_ptr<DatabaseServiceImpl> databases_;
};

TEST_F(AgentRemoveTest, AnAgentIsRemovedOnlyOnceItsDatabasesMoved) {
  v1::DeleteAgentResponse resp;
  grpc::Status st = Remove("agent-1", &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(st.error_message(),
            "agent \"agent-1\" backs up databases orders, users: move them to another agent first "
            "(dbdumpctl database update NAME --agent=OTHER) or remove them");
  EXPECT_FALSE(store_->GetCertificate("01")->revoked) << "a refused removal revokes nothing";

  MoveToAgent2("orders");
  st = Remove("agent-1", &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(st.error_message().find("backs up database users: move it"), std::string::npos)
      << st.error_message();

  MoveToAgent2("users");
  st = Remove("agent-1", &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.certificates_revoked(), 1);
  EXPECT_TRUE(store_->GetCertificate("01")->revoked);
  v1::GetAgentResponse got;
  EXPECT_EQ(Get("agent-1", &got).error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(Get("agent-2", &got).ok());
  EXPECT_TRUE(got.agent().online());
  EXPECT_EQ(Remove("agent-1", &resp).error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace dbdump
