// The S3 driver against real S3 implementations started by the test: moto
// (SigV4 verified, STS) and OpenStack Swift with s3api (strict, production).
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/storage/backup_layout.h"
#include "common/storage/s3_storage.h"
#include "common/io/sha256_filter.h"
#include "common/s3/sigv4_signer.h"
#include "common/s3/sts_credentials_provider.h"
#include "gtest/gtest.h"
#include "tests/fixtures/s3_server.h"
#include "tests/fixtures/test_data.h"

namespace dbdump {
namespace {
using testing::S3Server;

using testing::RandomBytes;

std::string ReadAll(Storage* s, const std::string& key) {
  auto r = s->NewReader(key);
  if (!r.ok()) return "ERROR " + r.status().ToString();
  std::string out;
  char buf[100000];
  while (true) {
    auto n = (*r)->Read(buf, sizeof buf);
    if (!n.ok()) return "ERROR " + n.status().ToString();
    if (*n == 0) break;
    out.append(buf, *n);
  }
  return out;
}

class S3StorageTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    for (std::string kind : {"moto", "swift"}) {
      auto s = S3Server::Start(kind);
      if (s.ok()) {
        servers_[kind] = s->release();
      } else {
        start_errors_[kind] = s.status().ToString();
      }
    }
  }
  static void TearDownTestSuite() {
    for (auto& [k, s] : servers_) delete s;
    servers_.clear();
  }
  void SetUp() override {
    ASSERT_TRUE(servers_.count(GetParam())) << GetParam() << " did not start: " << start_errors_[GetParam()];
    server_ = servers_[GetParam()];
    prefix_ = absl::StrCat("t", ++counter_);
    auto s = OpenS3Storage(server_->Destination(prefix_));
    ASSERT_TRUE(s.ok()) << s.status();
    storage_ = *std::move(s);
  }
  absl::Status Put(const std::string& key, const std::string& data, size_t write_size = 65536) {
    auto w = storage_->NewWriter(key);
    if (!w.ok()) return w.status();
    for (size_t off = 0; off < data.size(); off += write_size) {
      absl::Status st = (*w)->Write(data.data() + off, std::min(write_size, data.size() - off));
      if (!st.ok()) return st;
    }
    return (*w)->Finish();
  }
  static std::map<std::string, S3Server*> servers_;
  static std::map<std::string, std::string> start_errors_;
  static int counter_;
  S3Server* server_ = nullptr;
  std::string prefix_;
  std::unique_ptr<S3Storage> storage_;
};
std::map<std::string, S3Server*> S3StorageTest::servers_;
std::map<std::string, std::string> S3StorageTest::start_errors_;
int S3StorageTest::counter_ = 0;

TEST_P(S3StorageTest, RoundTripsOfEverySize) {
  const size_t part = 5 << 20;
  struct Case {
    std::string name;
    size_t size;
  } cases[] = {{"empty", 0}, {"one-byte", 1}, {"small", 1000}, {"exactly-one-part", part},
               {"many-parts", 3 * part + 12345}};
  for (const auto& c : cases) {
    std::string key = absl::StrCat(prefix_, "/", c.name, " ünï+=%.bin");
    std::string data = RandomBytes(c.size, static_cast<uint32_t>(c.size));
    absl::Status st = Put(key, data);
    ASSERT_TRUE(st.ok()) << c.name << ": " << st;
    auto info = storage_->Stat(key);
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(info->size_bytes, c.size) << c.name;
    std::string back = ReadAll(storage_.get(), key);
    EXPECT_EQ(back.size(), data.size()) << c.name << ": " << back.substr(0, 200);
    EXPECT_TRUE(back == data) << c.name;
  }
  auto list = storage_->List(prefix_ + "/");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->size(), 5u);
  EXPECT_TRUE(storage_->client()->ListMultipartUploads(prefix_).value().empty());
  ASSERT_TRUE(storage_->Remove(absl::StrCat(prefix_, "/small ünï+=%.bin")).ok());
  EXPECT_TRUE(absl::IsNotFound(storage_->Stat(absl::StrCat(prefix_, "/small ünï+=%.bin")).status()));
  EXPECT_TRUE(storage_->Remove(absl::StrCat(prefix_, "/never-there")).ok());
}

TEST_P(S3StorageTest, AbandonedUploadIsAbortedAndLeavesNothing) {
  std::string key = prefix_ + "/abandoned";
  {
    auto w = storage_->NewWriter(key);
    ASSERT_TRUE(w.ok());
    std::string data = RandomBytes(12 << 20, 7);  // two full parts: a multipart upload is open
    ASSERT_TRUE((*w)->Write(data.data(), data.size()).ok());
    auto uploads = storage_->client()->ListMultipartUploads(prefix_);
    ASSERT_TRUE(uploads.ok()) << uploads.status();
    EXPECT_EQ(uploads->size(), 1u);
  }  // destroyed without Finish
  auto uploads = storage_->client()->ListMultipartUploads(prefix_);
  ASSERT_TRUE(uploads.ok());
  EXPECT_TRUE(uploads->empty());
  EXPECT_TRUE(absl::IsNotFound(storage_->Stat(key).status()));
}

TEST_P(S3StorageTest, WrongSecretIsAccessDeniedWithoutLeakingIt) {
  v1::StorageDestination d = server_->Destination(prefix_);
  std::string bad = server_->dir() + "/bad-credentials";
  {
    std::ofstream(bad) << "[default]\naws_access_key_id = " << server_->access_key_id()
                       << "\naws_secret_access_key = WRONGwrongWRONGwrong1234\n";
  }
  std::filesystem::permissions(bad, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  d.set_credentials_ref("file:" + bad);
  auto s = OpenS3Storage(d);
  ASSERT_TRUE(s.ok());
  absl::Status st = WriteSmallObject(s->get(), prefix_ + "/x", "hello");
  EXPECT_TRUE(absl::IsPermissionDenied(st)) << st;
  EXPECT_EQ(st.message().find("WRONGwrong"), std::string::npos);
  EXPECT_TRUE(absl::IsNotFound(storage_->Stat(prefix_ + "/x").status()));
}

TEST_P(S3StorageTest, MissingBucketIsNotFound) {
  v1::StorageDestination d = server_->Destination(prefix_);
  d.set_bucket("no-such-bucket-here");
  auto s = OpenS3Storage(d);
  ASSERT_TRUE(s.ok());
  absl::Status st = WriteSmallObject(s->get(), "x", "hello");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("no-such-bucket-here"), std::string::npos) << st;
}

INSTANTIATE_TEST_SUITE_P(Servers, S3StorageTest, ::testing::Values("moto", "swift"),
                         [](const auto& info) { return info.param; });

// --- moto only: STS (Swift has none) and virtual-hosted addressing ---------

class MotoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto s = S3Server::Start("moto");
    if (s.ok()) server_ = s->release();
  }
  static void TearDownTestSuite() { delete server_; }
  static S3Server* server_;
};
S3Server* MotoTest::server_ = nullptr;

TEST_F(MotoTest, AssumeRoleWithExternalIdAndRefreshMidUpload) {
  ASSERT_NE(server_, nullptr);
  AwsCredentials base;
  base.access_key_id = server_->access_key_id();
  base.secret_access_key = server_->secret_access_key();
  AssumeRoleOptions ar;
  ar.endpoint = server_->endpoint();
  ar.role_arn = server_->role_arn();
  ar.external_id = server_->external_id();
  ar.duration_s = 900;
  // Treat every credential as about to expire: each signing fetches new ones,
  // so a multipart upload crosses many refreshes.
  ar.refresh_before = absl::Seconds(901);
  auto sts = std::make_shared<StsCredentialsProvider>(ar, std::make_shared<StaticCredentialsProvider>(base));
  auto first = sts->Get();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->session_token.empty());
  EXPECT_NE(first->access_key_id, base.access_key_id);
  EXPECT_GT(first->expiration, absl::Now());

  S3Options o;
  o.endpoint = server_->endpoint();
  o.bucket = "dbdump-test";
  o.path_style = true;
  S3StorageOptions so;
  so.part_size_bytes = 5 << 20;
  S3Storage storage(std::make_shared<S3Client>(o, sts), so);
  std::string data = RandomBytes(16 << 20, 3);
  auto w = storage.NewWriter("sts/object");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write(data.data(), data.size()).ok());
  absl::Status st = (*w)->Finish();
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_GE(sts->refreshes(), 5);  // create, 4 parts, complete
  EXPECT_TRUE(ReadAll(&storage, "sts/object") == data);

  // Normal caching: one STS call serves many requests.
  ar.refresh_before = absl::Minutes(5);
  StsCredentialsProvider cached(ar, std::make_shared<StaticCredentialsProvider>(base));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(cached.Get().ok());
  EXPECT_EQ(cached.refreshes(), 1);
}

TEST_F(MotoTest, AssumeRoleWithWrongBaseSecretIsDenied) {
  ASSERT_NE(server_, nullptr);
  AwsCredentials base;
  base.access_key_id = server_->access_key_id();
  base.secret_access_key = "not-the-secret";
  AssumeRoleOptions ar;
  ar.endpoint = server_->endpoint();
  ar.role_arn = server_->role_arn();
  ar.external_id = server_->external_id();
  StsCredentialsProvider sts(ar, std::make_shared<StaticCredentialsProvider>(base));
  auto c = sts.Get();
  EXPECT_TRUE(absl::IsPermissionDenied(c.status())) << c.status();
  EXPECT_EQ(c.status().message().find("not-the-secret"), std::string::npos);
}

TEST_F(MotoTest, VirtualHostedAddressing) {
  ASSERT_NE(server_, nullptr);
  // curl resolves *.localhost to the loopback address itself, so
  // "dbdump-test.localhost:PORT" reaches moto with the bucket in Host.
  v1::StorageDestination d = server_->Destination("virtual");
  std::string ep = d.endpoint();
  d.set_endpoint("http://localhost" + ep.substr(ep.rfind(':')));
  d.set_path_style(false);
  auto s = OpenS3Storage(d);
  ASSERT_TRUE(s.ok());
  std::string data = RandomBytes((5 << 20) + 3, 11);
  auto w = (*s)->NewWriter("virtual/object");
  ASSERT_TRUE((*w)->Write(data.data(), data.size()).ok());
  absl::Status st = (*w)->Finish();
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_TRUE(ReadAll(s->get(), "virtual/object") == data);
  // The same object, addressed path-style.
  auto path_style = OpenS3Storage(server_->Destination("virtual"));
  EXPECT_TRUE(ReadAll(path_style->get(), "virtual/object") == data);
}

}  // namespace
}  // namespace dbdump
