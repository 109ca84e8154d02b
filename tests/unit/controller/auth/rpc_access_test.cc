// The RPC access table against the services the controller serves: every
// method has a rule, every rule names a method, and what changes data or
// touches credentials needs the role the security model says.
#include "controller/auth/rpc_access.h"

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "dbdump/v1/controller_service.pb.h"
#include "dbdump/v1/security_service.pb.h"

namespace dbdump {
namespace {

namespace pb = google::protobuf;

// Every method of every service in the controller's proto files.
std::set<std::string> ServedMethods() {
  // Using a message of each file links its descriptors in.
  EXPECT_NE(v1::ListAgentsRequest::descriptor(), nullptr);
  EXPECT_NE(v1::EnrollRequest::descriptor(), nullptr);
  std::set<std::string> methods;
  for (const char* file : {"dbdump/v1/controller_service.proto", "dbdump/v1/security_service.proto"}) {
    const pb::FileDescriptor* fd = pb::DescriptorPool::generated_pool()->FindFileByName(file);
    EXPECT_NE(fd, nullptr) << file;
    if (fd == nullptr) continue;
    for (int s = 0; s < fd->service_count(); ++s) {
      const pb::ServiceDescriptor* service = fd->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        methods.insert(absl::StrCat("/", service->full_name(), "/", service->method(m)->name()));
      }
    }
  }
  return methods;
}

TEST(RpcAccessTest, EveryServedMethodHasARule) {
  std::set<std::string> served = ServedMethods();
  ASSERT_GT(served.size(), 30u);
  for (const std::string& method : served) {
    EXPECT_TRUE(ControllerRpcRule(method).has_value())
        << method << " has no entry in ControllerRpcRules(): every RPC declares who may call it";
  }
}

TEST(RpcAccessTest, EveryRuleNamesAServedMethod) {
  std::set<std::string> served = ServedMethods();
  served.insert("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo");
  // gRPC's default health service (grpc::EnableDefaultHealthCheckService).
  served.insert("/grpc.health.v1.Health/Check");
  served.insert("/grpc.health.v1.Health/Watch");
  for (const auto& [method, rule] : ControllerRpcRules()) {
    EXPECT_TRUE(served.count(method)) << method << " is in the table but not served";
  }
}

TEST(RpcAccessTest, UnknownMethodsHaveNoRule) {
  EXPECT_FALSE(ControllerRpcRule("/dbdump.v1.BackupService/DropEverything").has_value());
  EXPECT_FALSE(ControllerRpcRule("").has_value());
}

// A download hands out a database's data: an admin's, and audited.
TEST(RpcAccessTest, RestoresDeletesCredentialsTokensAndDownloadsNeedAdmin) {
  for (const char* method : {
           "/dbdump.v1.DatabaseService/AddDatabase", "/dbdump.v1.DatabaseService/RemoveDatabase",
           "/dbdump.v1.StorageService/AddStorage", "/dbdump.v1.StorageService/RemoveStorage",
           "/dbdump.v1.DatabaseService/UpdateDatabase", "/dbdump.v1.StorageService/UpdateStorage",
           "/dbdump.v1.RetentionService/ApplyRetention", "/dbdump.v1.BackupService/DeleteBackup",
           "/dbdump.v1.AgentAdminService/CreateJoinToken",
           "/dbdump.v1.AgentAdminService/RevokeAgent", "/dbdump.v1.AgentAdminService/DeleteAgent",
           "/dbdump.v1.TokenService/CreateToken",
           "/dbdump.v1.TokenService/ListTokens", "/dbdump.v1.TokenService/RevokeToken",
           "/dbdump.v1.BackupService/DownloadBackup"}) {
    ASSERT_TRUE(ControllerRpcRule(method).has_value()) << method;
    EXPECT_EQ(ControllerRpcRule(method)->access, Access::kAdmin) << method;
  }
  // StartRestore is the operator's for dry runs and test restores only: the
  // service asks for admin otherwise (tested with the real server).
  EXPECT_EQ(ControllerRpcRule("/dbdump.v1.BackupService/StartRestore")->access, Access::kOperator);
  EXPECT_TRUE(ControllerRpcRule("/dbdump.v1.BackupService/DownloadBackup")->audited);
}

TEST(RpcAccessTest, ViewersChangeNothingAndEveryChangeIsAudited) {
  for (const auto& [method, rule] : ControllerRpcRules()) {
    if (rule.access == Access::kViewer) {
      EXPECT_FALSE(rule.audited) << method << " is a viewer's and changes something?";
    }
    if (rule.access == Access::kOperator || rule.access == Access::kAdmin) {
      bool reads = method.find("/List") != std::string::npos ||
                   method.find("/Get") != std::string::npos;
      EXPECT_EQ(rule.audited, !reads) << method;
    }
  }
}

TEST(RpcAccessTest, AgentsOnlyRegisterHeartbeatAndRenew) {
  std::set<std::string> agent_methods;
  for (const auto& [method, rule] : ControllerRpcRules()) {
    if (rule.access == Access::kAgent) agent_methods.insert(method);
  }
  EXPECT_EQ(agent_methods, (std::set<std::string>{"/dbdump.v1.RegistryService/RegisterAgent",
                                                   "/dbdump.v1.RegistryService/Heartbeat",
                                                   "/dbdump.v1.EnrollmentService/RenewCertificate"}));
}

}  // namespace
}  // namespace dbdump
