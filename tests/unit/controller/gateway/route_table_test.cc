#include "controller/gateway/route_table.h"

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include "controller/gateway/request_mapping.h"
#include "dbdump/v1/controller_service.pb.h"

namespace dbdump {
namespace {

using Kind = RouteTable::MatchKind;

const RouteTable& Routes() {
  static const RouteTable* table = new RouteTable(*RouteTable::ForAdminApi());
  return *table;
}

TEST(RouteTableTest, EveryDeclaredRouteIsReadAndNoneOverlap) {
  absl::StatusOr<RouteTable> table = RouteTable::ForAdminApi();
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_GE(table->routes().size(), 30u);
}

TEST(RouteTableTest, MatchesPathFieldsAndCustomVerbs) {
  RouteTable::Match m = Routes().Find("POST", "/v1/backups/20260101T000000Z-ab12:restore");
  ASSERT_EQ(m.kind, Kind::kMatched);
  EXPECT_EQ(m.route->grpc_method, "/dbdump.v1.BackupService/StartRestore");
  EXPECT_EQ(m.fields.at("backup_id"), "20260101T000000Z-ab12");

  m = Routes().Find("GET", "/v1/backups/20260101T000000Z-ab12");
  ASSERT_EQ(m.kind, Kind::kMatched);
  EXPECT_EQ(m.route->grpc_method, "/dbdump.v1.BackupService/GetBackup");

  m = Routes().Find("POST", "/v1/schedules:preview");
  ASSERT_EQ(m.kind, Kind::kMatched);
  EXPECT_EQ(m.route->grpc_method, "/dbdump.v1.ScheduleService/PreviewSchedule");
  EXPECT_TRUE(Routes().Find("GET", "/v1/jobs/j1:follow").route->server_streaming);
}

TEST(RouteTableTest, DownloadIsAFileRouteAndOnlyFileStreamsCanBe) {
  RouteTable::Match m = Routes().Find("GET", "/v1/backups/20260101T000000Z-ab12:download");
  ASSERT_EQ(m.kind, Kind::kMatched);
  EXPECT_EQ(m.route->grpc_method, "/dbdump.v1.BackupService/DownloadBackup");
  EXPECT_TRUE(m.route->file);
  EXPECT_EQ(m.fields.at("id"), "20260101T000000Z-ab12");
  EXPECT_FALSE(Routes().Find("GET", "/v1/jobs/j1:follow").route->file);
  EXPECT_TRUE(CheckFileStream(*m.route->method).ok());
  // A stream of other messages, or no stream at all, cannot be a file.
  const google::protobuf::FileDescriptor* file = v1::GetJobRequest::descriptor()->file();
  const google::protobuf::MethodDescriptor* follow =
      file->FindServiceByName("JobService")->FindMethodByName("FollowJob");
  const google::protobuf::MethodDescriptor* get =
      file->FindServiceByName("BackupService")->FindMethodByName("GetBackup");
  absl::Status st = CheckFileStream(*follow);
  EXPECT_TRUE(absl::IsInvalidArgument(st));
  EXPECT_NE(st.message().find("FollowJobResponse"), std::string::npos) << st;
  EXPECT_TRUE(absl::IsInvalidArgument(CheckFileStream(*get)));
}

TEST(RouteTableTest, UnknownPathsVerbsAndMethodsAreTold) {
  EXPECT_EQ(Routes().Find("GET", "/v1/nothing").kind, Kind::kNoSuchPath);
  EXPECT_EQ(Routes().Find("POST", "/v1/backups/x:explode").kind, Kind::kNoSuchPath);
  EXPECT_EQ(Routes().Find("GET", "/v1/backups/").kind, Kind::kBadSegment);
  RouteTable::Match m = Routes().Find("PUT", "/v1/schedules/nightly");
  ASSERT_EQ(m.kind, Kind::kMethodNotAllowed);
  EXPECT_NE(m.allowed.find("GET"), std::string::npos);
  EXPECT_NE(m.allowed.find("PATCH"), std::string::npos);
  EXPECT_NE(m.allowed.find("DELETE"), std::string::npos);
}

TEST(RouteTableTest, IdsThatAreNotNamesNeverFillAField) {
  for (const char* evil : {"/v1/backups/..%2F..%2Fetc%2Fpasswd", "/v1/backups/%2e%2e",
                           "/v1/backups/.", "/v1/backups/a%2Fb", "/v1/backups/%00",
                           "/v1/backups/%zz"}) {
    RouteTable::Match m = Routes().Find("GET", evil);
    EXPECT_EQ(m.kind, Kind::kBadSegment) << evil;
    EXPECT_TRUE(m.fields.empty() || m.kind != Kind::kMatched) << evil;
  }
  // Percent-encoding of ordinary characters is decoded.
  RouteTable::Match m = Routes().Find("GET", "/v1/schedules/night%2Dly");
  ASSERT_EQ(m.kind, Kind::kMatched);
  EXPECT_EQ(m.fields.at("name"), "night-ly");
}

TEST(RouteTableTest, OverlappingRoutesAreRefused) {
  const google::protobuf::ServiceDescriptor* jobs =
      v1::GetJobRequest::descriptor()->file()->FindServiceByName("JobService");
  ASSERT_NE(jobs, nullptr);
  // The same service twice: every route overlaps its twin.
  absl::StatusOr<RouteTable> table = RouteTable::FromServices({jobs, jobs});
  ASSERT_FALSE(table.ok());
  EXPECT_NE(table.status().message().find("overlaps"), std::string::npos);
}

TEST(RequestMappingTest, QueryPathAndBodyFillTheRequest) {
  RouteTable::Match m = Routes().Find("GET", "/v1/backups");
  HttpRequestParts parts;
  parts.query = {{"database", "orders"}, {"page_size", "50"}, {"state", "BACKUP_STATE_DELETED"}};
  auto request = BuildRequest(*m.route, parts);
  ASSERT_TRUE(request.ok()) << request.status();
  const auto& list = static_cast<const v1::ListBackupsRequest&>(**request);
  EXPECT_EQ(list.database(), "orders");
  EXPECT_EQ(list.page_size(), 50u);
  EXPECT_EQ(list.state(), v1::BACKUP_STATE_DELETED);

  m = Routes().Find("POST", "/v1/backups/b1:restore");
  parts = HttpRequestParts();
  parts.path_fields = m.fields;
  parts.body = R"({"target": "copy", "options": {"clean": true}})";
  request = BuildRequest(*m.route, parts);
  ASSERT_TRUE(request.ok()) << request.status();
  const auto& restore = static_cast<const v1::StartRestoreRequest&>(**request);
  EXPECT_EQ(restore.backup_id(), "b1");
  EXPECT_EQ(restore.target(), "copy");
  EXPECT_TRUE(restore.options().clean());
}

TEST(RequestMappingTest, BadRequestsSayWhatIsWrong) {
  const HttpRoute& list = *Routes().Find("GET", "/v1/backups").route;
  const HttpRoute& restore = *Routes().Find("POST", "/v1/backups/b1:restore").route;
  auto error = [](const HttpRoute& route, HttpRequestParts parts) {
    auto r = BuildRequest(route, parts);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(r.status().message());
  };
  HttpRequestParts p;
  p.query = {{"colour", "red"}};
  EXPECT_NE(error(list, p).find("unknown query parameter colour"), std::string::npos);
  p.query = {{"page_size", "lots"}};
  error(list, p);
  p.query = {{"page_size", "1"}, {"page_size", "2"}};
  EXPECT_NE(error(list, p).find("more than once"), std::string::npos);
  p = HttpRequestParts();
  p.body = "{\"database\": \"x\"}";
  EXPECT_NE(error(list, p).find("takes no body"), std::string::npos);
  p.body = "{}";  // no fields: the same as no body
  EXPECT_TRUE(BuildRequest(list, p).ok());
  p = HttpRequestParts();
  p.path_fields = {{"backup_id", "b1"}};
  p.body = "{\"target\": ";
  EXPECT_NE(error(restore, p).find("not valid JSON"), std::string::npos);
  p.body = "{\"colour\": 1}";
  EXPECT_NE(error(restore, p).find("colour"), std::string::npos);
  p.body = "{\"backup_id\": \"b2\"}";
  EXPECT_NE(error(restore, p).find("differs from the path"), std::string::npos);
  p.body = "[]";
  EXPECT_NE(error(restore, p).find("JSON object"), std::string::npos);
}

}  // namespace
}  // namespace dbdump
