// The S3 driver through a fault-injecting proxy (tests/fixtures/fault_proxy.py)
// in front of moto: 500/503/SlowDown, connection resets, delays, truncated
// downloads and a 200-with-Error on CompleteMultipartUpload. Uploads still end
// with the right bytes, or fail cleanly with no object and no open upload.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/storage/s3_storage.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_s3_metrics.h"
#include "tests/fixtures/postgres_server.h"
#include "tests/fixtures/s3_server.h"
#include "tests/fixtures/test_data.h"

namespace dbdump {
namespace {
using testing::S3Server;

using testing::RandomBytes;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class S3FaultsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto s = S3Server::Start("moto");
    if (!s.ok()) return;
    server_ = s->release();
    dir_ = testing::MakeTempDir("dbdump-proxy");
    WritePlan("[]");
    pid_ = fork();
    if (pid_ == 0) {
      execlp("python3", "python3", DBDUMP_FIXTURES_DIR "/fault_proxy.py", "--upstream",
             server_->endpoint().c_str(), "--port", "0", "--port-file", (dir_ + "/port").c_str(),
             "--plan", (dir_ + "/plan.json").c_str(), "--log", (dir_ + "/log").c_str(), nullptr);
      _exit(127);
    }
    for (int i = 0; i < 200 && !std::filesystem::exists(dir_ + "/port"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    port_ = Slurp(dir_ + "/port");
    while (!port_.empty() && (port_.back() == '\n' || port_.back() == ' ')) port_.pop_back();
  }
  static void TearDownTestSuite() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    std::filesystem::remove_all(dir_);
    delete server_;
  }
  static void WritePlan(const std::string& json) {
    std::string tmp = dir_ + "/plan.tmp";
    std::ofstream(tmp) << json;
    std::filesystem::rename(tmp, dir_ + "/plan.json");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the proxy re-reads it
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr) << "moto did not start";
    ASSERT_FALSE(port_.empty()) << "the fault proxy did not start";
    std::ofstream(dir_ + "/log", std::ios::trunc);
    AwsCredentials c{server_->access_key_id(), server_->secret_access_key(), "", absl::InfiniteFuture()};
    S3Options o;
    o.endpoint = "http://127.0.0.1:" + port_;
    o.bucket = "dbdump-test";
    o.path_style = true;
    o.base_backoff = absl::Milliseconds(20);
    o.max_backoff = absl::Milliseconds(200);
    o.max_attempts = 5;
    o.http.stall_timeout_s = 5;
    o.metrics = &metrics_;
    S3StorageOptions so;
    so.part_size_bytes = 5 << 20;
    so.upload_concurrency = 3;
    storage_ = std::make_unique<S3Storage>(
        std::make_shared<S3Client>(o, std::make_shared<StaticCredentialsProvider>(c)), so);
    // Direct, for checking what really is in the bucket.
    o.endpoint = server_->endpoint();
    o.metrics = nullptr;
    direct_ = std::make_unique<S3Client>(o, std::make_shared<StaticCredentialsProvider>(c));
  }
  void TearDown() override { WritePlan("[]"); }

  absl::Status Upload(const std::string& key, const std::string& data) {
    auto w = storage_->NewWriter(key);
    if (!w.ok()) return w.status();
    for (size_t off = 0; off < data.size(); off += 1 << 20) {
      absl::Status st = (*w)->Write(data.data() + off, std::min<size_t>(1 << 20, data.size() - off));
      if (!st.ok()) return st;
    }
    return (*w)->Finish();
  }
  std::string Download(Storage* s, const std::string& key) {
    auto r = s->NewReader(key);
    if (!r.ok()) return "ERROR " + r.status().ToString();
    std::string out;
    std::string buf(1 << 20, '\0');
    while (true) {
      auto n = (*r)->Read(buf.data(), buf.size());
      if (!n.ok()) return "ERROR " + n.status().ToString();
      if (*n == 0) return out;
      out.append(buf.data(), *n);
    }
  }
  int LogCount(const std::string& needle) {
    int n = 0;
    for (absl::string_view line : absl::StrSplit(Slurp(dir_ + "/log"), '\n')) {
      n += line.find(needle) != absl::string_view::npos;
    }
    return n;
  }
  void ExpectNothingLeft(const std::string& key) {
    auto uploads = direct_->ListMultipartUploads(key);
    ASSERT_TRUE(uploads.ok()) << uploads.status();
    EXPECT_TRUE(uploads->empty()) << "an incomplete upload is left";
    EXPECT_TRUE(absl::IsNotFound(direct_->HeadObject(key).status()));
  }

  static S3Server* server_;
  static std::string dir_;
  static pid_t pid_;
  static std::string port_;
  FakeS3Metrics metrics_;
  std::unique_ptr<S3Storage> storage_;
  std::unique_ptr<S3Client> direct_;
};
S3Server* S3FaultsTest::server_ = nullptr;
std::string S3FaultsTest::dir_;
pid_t S3FaultsTest::pid_ = -1;
std::string S3FaultsTest::port_;

TEST_F(S3FaultsTest, TransientErrorsAreRetriedAndTheBytesAreRight) {
  WritePlan(R"([
    {"method": "POST", "path": "\\?uploads", "action": "reset"},
    {"method": "PUT", "path": "partNumber=2&", "times": 2, "action": "status", "status": 500},
    {"method": "PUT", "path": "partNumber=3&", "action": "status", "status": 503, "code": "SlowDown"},
    {"method": "PUT", "path": "partNumber=4&", "action": "reset", "forward": true},
    {"method": "PUT", "path": "partNumber=1&", "action": "delay_ms", "delay_ms": 700}
  ])");
  std::string data = RandomBytes((5 << 20) * 4 + 777, 1);
  absl::Status st = Upload("faults/retried", data);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_GE(LogCount("action=status:500"), 2);
  EXPECT_GE(LogCount("action=status:503"), 1);
  EXPECT_GE(LogCount("action=reset"), 2);
  EXPECT_TRUE(Download(storage_.get(), "faults/retried") == data);
  EXPECT_TRUE(direct_->ListMultipartUploads("faults/").value().empty());
  // The metrics hook saw each retry where it happened, and no failure.
  EXPECT_EQ(metrics_.retried("CreateMultipartUpload"), 1u);
  EXPECT_GE(metrics_.retried("UploadPart"), 4u);  // 500 twice, SlowDown, a reset
  EXPECT_EQ(metrics_.requested("UploadPart"), 5u + metrics_.retried("UploadPart"));
  EXPECT_EQ(metrics_.failed("UploadPart"), 0u);
  EXPECT_EQ(metrics_.uploaded("UploadPart"), data.size());
  EXPECT_GE(metrics_.requested("GetObject"), 1u);
}

TEST_F(S3FaultsTest, CompleteAnswered200WithErrorIsNotTakenAsSuccess) {
  WritePlan(R"([{"method": "POST", "path": "uploadId=", "action": "complete_error"}])");
  std::string data = RandomBytes((5 << 20) + 5, 2);
  absl::Status st = Upload("faults/complete", data);
  // The proxy let moto complete the upload but told us it failed: the retry
  // finds the upload gone, and the object is accepted only because it holds
  // exactly our bytes.
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(LogCount("action=complete_error"), 1);
  EXPECT_TRUE(Download(storage_.get(), "faults/complete") == data);
}

TEST_F(S3FaultsTest, CompleteErrorThatPersistsFailsCleanly) {
  // Every Complete fails and never reaches the server.
  WritePlan(R"([{"method": "POST", "path": "uploadId=", "times": -1, "action": "status", "status": 500}])");
  absl::Status st = Upload("faults/never-completes", RandomBytes((5 << 20) * 2, 3));
  EXPECT_FALSE(st.ok());
  WritePlan("[]");
  ExpectNothingLeft("faults/never-completes");
}

TEST_F(S3FaultsTest, PersistentPartFailureAbortsTheUpload) {
  WritePlan(R"([{"method": "PUT", "path": "partNumber=2&", "times": -1, "action": "status", "status": 503}])");
  absl::Status st = Upload("faults/aborted", RandomBytes((5 << 20) * 3, 4));
  EXPECT_TRUE(absl::IsUnavailable(st)) << st;
  EXPECT_NE(st.message().find("gave up"), std::string::npos) << st;
  EXPECT_EQ(metrics_.failed("UploadPart"), 1u);
  EXPECT_EQ(metrics_.retried("UploadPart"), 4u);  // max_attempts 5
  EXPECT_GE(metrics_.requested("AbortMultipartUpload"), 1u);
  WritePlan("[]");
  ExpectNothingLeft("faults/aborted");
}

TEST_F(S3FaultsTest, TruncatedDownloadsAreRetried) {
  std::string data = RandomBytes((8 << 20) * 2 + 99, 5);
  ASSERT_TRUE(Upload("faults/download", data).ok());
  WritePlan(R"([{"method": "GET", "times": 2, "action": "truncate"},
                {"method": "GET", "skip": 1, "action": "reset"}])");
  EXPECT_TRUE(Download(storage_.get(), "faults/download") == data);
  EXPECT_GE(LogCount("action=truncate"), 2);
}

}  // namespace
}  // namespace dbdump
