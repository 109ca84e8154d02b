// The requests a locking S3 client sends, as a recording HTTP server on
// 127.0.0.1 sees them. A stand-in server, because what is checked here is the
// requests themselves, which no real server shows: moto, the only S3 server
// with Object Lock that runs here, ignores the lock headers of
// CreateMultipartUpload and does not check Content-MD5 on parts
// (tests/integration/s3_object_lock_test.cc covers what it does enforce).
#include <httplib.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/base/names.h"
#include "common/s3/s3_client.h"
#include "common/s3/sigv4_signer.h"
#include "common/storage/s3_storage.h"
#include "gtest/gtest.h"
#include "tests/fixtures/test_data.h"

namespace dbdump {
namespace {

struct Seen {
  std::string method;
  std::string query;  // the parameter names present: "uploads", "partNumber", "retention"
  std::map<std::string, std::string> headers;
  std::string body;
};

// Answers as S3 does for uploads and HEAD, keeping the lock each object was
// uploaded with, and records every request.
class RecordingS3 {
 public:
  RecordingS3() {
    server_.Put(".*", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.set_header("ETag", absl::StrCat("\"", Base64Md5(req.body.data(), req.body.size()), "\""));
      if (!req.has_param("partNumber")) Keep(req.path, req);
    });
    server_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      if (req.has_param("uploads")) {
        Keep(req.path, req);
        res.set_content("<InitiateMultipartUploadResult><UploadId>u-1</UploadId>"
                        "</InitiateMultipartUploadResult>",
                        "application/xml");
      } else {
        res.set_content("<CompleteMultipartUploadResult></CompleteMultipartUploadResult>",
                        "application/xml");
      }
    });
    // HEAD requests reach the GET handler (this cpp-httplib has no Head()).
    server_.Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      absl::MutexLock l(&mu_);
      auto it = locks_.find(req.path);
      if (it != locks_.end()) {
        res.set_header("x-amz-object-lock-mode", it->second.first);
        res.set_header("x-amz-object-lock-retain-until-date", it->second.second);
      }
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~RecordingS3() {
    server_.stop();
    thread_.join();
  }
  std::string endpoint() const { return absl::StrCat("http://127.0.0.1:", port_); }
  std::vector<Seen> seen() {
    absl::MutexLock l(&mu_);
    return seen_;
  }

 private:
  void Record(const httplib::Request& req) {
    Seen s{req.method, "", {}, req.body};
    for (const char* p : {"uploads", "partNumber", "retention", "uploadId"}) {
      if (req.has_param(p)) absl::StrAppend(&s.query, s.query.empty() ? "" : ",", p);
    }
    for (const auto& [k, v] : req.headers) s.headers[absl::AsciiStrToLower(k)] = v;
    absl::MutexLock l(&mu_);
    seen_.push_back(std::move(s));
  }
  void Keep(const std::string& path, const httplib::Request& req) {
    absl::MutexLock l(&mu_);
    locks_[path] = {req.get_header_value("x-amz-object-lock-mode"),
                    req.get_header_value("x-amz-object-lock-retain-until-date")};
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<Seen> seen_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::pair<std::string, std::string>> locks_ ABSL_GUARDED_BY(mu_);
};

class S3LockHeadersTest : public ::testing::Test {
 protected:
  std::unique_ptr<S3Storage> Open(bool content_md5) {
    S3Options o;
    o.endpoint = server_.endpoint();
    o.bucket = "vault";
    o.path_style = true;
    o.max_attempts = 1;
    o.content_md5 = content_md5;
    o.lock_mode = "COMPLIANCE";
    o.lock_retain_until = until_;
    AwsCredentials key;
    key.access_key_id = "AKIDTEST";
    key.secret_access_key = "secret";
    auto creds = std::make_shared<StaticCredentialsProvider>(key);
    S3StorageOptions so;
    so.part_size_bytes = 5 << 20;
    return std::make_unique<S3Storage>(std::make_shared<S3Client>(o, creds), so);
  }
  static absl::Status Put(Storage* s, const std::string& key, const std::string& data) {
    auto w = s->NewWriter(key);
    if (!w.ok()) return w.status();
    absl::Status st = (*w)->Write(data.data(), data.size());
    return st.ok() ? (*w)->Finish() : st;
  }

  RecordingS3 server_;
  absl::Time until_ = TimeFromString("2027-01-15T02:00:00Z");
};

TEST_F(S3LockHeadersTest, MultipartUploadCarriesTheLockAndEveryPartItsMd5) {
  // Content-MD5 switched off for the client: a locked upload sends it anyway.
  std::unique_ptr<S3Storage> s = Open(/*content_md5=*/false);
  std::string data = testing::RandomBytes((11 << 20) + 5, 3);
  ASSERT_TRUE(Put(s.get(), "db/b1/dump.sql", data).ok());
  int creates = 0, parts = 0, retention_puts = 0;
  for (const Seen& r : server_.seen()) {
    if (r.method == "POST" && r.query == "uploads") {
      ++creates;
      EXPECT_EQ(r.headers.count("x-amz-object-lock-mode") ? r.headers.at("x-amz-object-lock-mode") : "",
                "COMPLIANCE");
      EXPECT_EQ(r.headers.count("x-amz-object-lock-retain-until-date")
                    ? r.headers.at("x-amz-object-lock-retain-until-date")
                    : "",
                "2027-01-15T02:00:00Z");
    }
    if (r.method == "PUT" && r.query == "partNumber,uploadId") {
      ++parts;
      ASSERT_EQ(r.headers.count("content-md5"), 1u) << "part without Content-MD5";
      EXPECT_EQ(r.headers.at("content-md5"), Base64Md5(r.body.data(), r.body.size()));
    }
    if (r.query == "retention") ++retention_puts;
  }
  EXPECT_EQ(creates, 1);
  EXPECT_EQ(parts, 3);
  EXPECT_EQ(retention_puts, 0) << "the server kept the lock of the upload: nothing to set after";
}

TEST_F(S3LockHeadersTest, ASinglePutCarriesTheLockAndItsMd5) {
  std::unique_ptr<S3Storage> s = Open(/*content_md5=*/false);
  ASSERT_TRUE(Put(s.get(), "db/b1/manifest.json", "{}").ok());
  std::vector<Seen> seen = server_.seen();
  ASSERT_GE(seen.size(), 2u);
  const Seen& put = seen[0];
  EXPECT_EQ(put.method, "PUT");
  EXPECT_EQ(put.headers.at("x-amz-object-lock-mode"), "COMPLIANCE");
  EXPECT_EQ(put.headers.at("x-amz-object-lock-retain-until-date"), "2027-01-15T02:00:00Z");
  EXPECT_EQ(put.headers.at("content-md5"), Base64Md5("{}", 2));
  EXPECT_EQ(seen[1].method, "HEAD") << "the lock is read back after the commit";
}

}  // namespace
}  // namespace dbdump
