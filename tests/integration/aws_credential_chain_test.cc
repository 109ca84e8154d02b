// The AWS credential chain and region discovery against real servers: moto
// (SigV4 checked, STS AssumeRoleWithWebIdentity) and a metadata stand-in
// (tests/fixtures/metadata_server.py: IMDSv2 and the container endpoint).
// Each test sets only the environment of the source it exercises; the others
// are cleared, and IMDS is disabled unless it is the subject.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/s3/credential_chain.h"
#include "common/s3/http_client.h"
#include "common/s3/sts_credentials_provider.h"
#include "common/storage/backup_layout.h"
#include "common/storage/s3_storage.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fixtures/postgres_server.h"
#include "tests/fixtures/s3_server.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;
using testing::S3Server;

const char* kAwsVars[] = {
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
    "AWS_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_DISABLED", "AWS_REGION",
    "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_STS",
    "AWS_CA_BUNDLE", "HOME"};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
}

// The metadata stand-in, stopped by its pid.
class MetadataServer {
 public:
  explicit MetadataServer(const std::string& dir) : dir_(dir) {
    pid_ = fork();
    if (pid_ == 0) {
      std::string script = std::string(getenv("DBDUMP_FIXTURES") ? getenv("DBDUMP_FIXTURES")
                                                                 : DBDUMP_FIXTURES_DIR) +
                           "/metadata_server.py";
      execlp("python3", "python3", script.c_str(), dir.c_str(), (char*)nullptr);
      _exit(127);
    }
    for (int i = 0; i < 100 && !fs::exists(dir + "/port"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    port_ = ReadFile(dir + "/port");
  }
  ~MetadataServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  std::string endpoint() const { return "http://127.0.0.1:" + port_; }
  bool ready() const { return !port_.empty(); }
  std::vector<std::string> Requests() const {
    return absl::StrSplit(ReadFile(dir_ + "/requests.log"), '\n', absl::SkipEmpty());
  }
  int Count(const std::string& needle) const {
    int n = 0;
    for (const std::string& r : Requests()) n += absl::StrContains(r, needle);
    return n;
  }
  void Serve(const AwsCredentials& c, absl::Time expiration) {
    WriteFile(dir_ + "/credentials.json",
              absl::StrCat("{\"AccessKeyId\": \"", c.access_key_id, "\", \"SecretAccessKey\": \"",
                           c.secret_access_key, "\", \"Token\": \"", c.session_token,
                           "\", \"Expiration\": \"",
                           absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", expiration, absl::UTCTimeZone()),
                           "\"}"));
  }

 private:
  std::string dir_;
  std::string port_;
  pid_t pid_ = -1;
};

class CredentialChainTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto s = S3Server::Start("moto");
    if (s.ok()) server_ = s->release();
  }
  static void TearDownTestSuite() { delete server_; }

  void SetUp() override {
    ASSERT_NE(server_, nullptr) << "moto did not start";
    for (const char* v : kAwsVars) {
      if (const char* old = getenv(v)) saved_[v] = old;
      unsetenv(v);
    }
    dir_ = testing::MakeTempDir("dbdump-awschain");
    setenv("HOME", dir_.c_str(), 1);  // no ~/.aws of the machine running the tests
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    ResetSharedCredentialSources();
  }
  void TearDown() override {
    for (const char* v : kAwsVars) unsetenv(v);
    for (const auto& [k, v] : saved_) setenv(k.c_str(), v.c_str(), 1);
    ResetSharedCredentialSources();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // The fixture's bucket with no credentials reference: the chain decides.
  v1::StorageDestination ChainDestination() {
    v1::StorageDestination d = server_->Destination("chain");
    d.clear_credentials_ref();
    return d;
  }

  // Writes, reads back and removes an object through the storage.
  static absl::Status RoundTrip(const v1::StorageDestination& d) {
    absl::StatusOr<std::unique_ptr<S3Storage>> s = OpenS3Storage(d);
    if (!s.ok()) return s.status();
    std::string key = absl::StrCat(d.prefix(), "/probe-", counter_++);
    if (absl::Status st = WriteSmallObject(s->get(), key, "chain"); !st.ok()) return st;
    absl::StatusOr<std::string> back = ReadSmallObject(s->get(), key, 100);
    if (!back.ok()) return back.status();
    if (*back != "chain") return absl::DataLossError("read back something else");
    return (*s)->Remove(key);
  }

  // Temporary credentials of the fixture's role (real ones: moto checks them).
  static AwsCredentials RoleCredentials() {
    AwsCredentials base;
    base.access_key_id = server_->access_key_id();
    base.secret_access_key = server_->secret_access_key();
    AssumeRoleOptions ar;
    ar.endpoint = server_->endpoint();
    ar.role_arn = server_->role_arn();
    ar.external_id = server_->external_id();
    StsCredentialsProvider sts(ar, std::make_shared<StaticCredentialsProvider>(base));
    return sts.Get().value();
  }

  static S3Server* server_;
  static inline int counter_ = 0;
  std::map<std::string, std::string> saved_;
  std::string dir_;
};
S3Server* CredentialChainTest::server_ = nullptr;

TEST_F(CredentialChainTest, EnvironmentKeys) {
  setenv("AWS_ACCESS_KEY_ID", server_->access_key_id().c_str(), 1);
  setenv("AWS_SECRET_ACCESS_KEY", server_->secret_access_key().c_str(), 1);
  absl::Status st = RoundTrip(ChainDestination());
  EXPECT_TRUE(st.ok()) << st;
}

TEST_F(CredentialChainTest, WebIdentityThroughMotoSts) {
  setenv("AWS_WEB_IDENTITY_TOKEN_FILE", (server_->dir() + "/server/web_identity_token").c_str(), 1);
  setenv("AWS_ROLE_ARN", server_->role_arn().c_str(), 1);
  setenv("AWS_ROLE_SESSION_NAME", "irsa-test", 1);
  setenv("AWS_ENDPOINT_URL_STS", server_->endpoint().c_str(), 1);
  absl::Status st = RoundTrip(ChainDestination());
  EXPECT_TRUE(st.ok()) << st;

  // A token STS does not accept: denied, named, and the token never shown.
  std::string bad = dir_ + "/bad-token";
  WriteFile(bad, "not-the-token-0123456789");
  setenv("AWS_WEB_IDENTITY_TOKEN_FILE", bad.c_str(), 1);
  ResetSharedCredentialSources();
  st = RoundTrip(ChainDestination());
  EXPECT_TRUE(absl::IsPermissionDenied(st)) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "web identity")) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "InvalidIdentityToken")) << st;
  EXPECT_FALSE(absl::StrContains(st.message(), "not-the-token")) << st;

  // The same through a profile: role_arn + web_identity_token_file.
  unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
  unsetenv("AWS_ROLE_ARN");
  std::string config = dir_ + "/config";
  WriteFile(config, absl::StrCat("[profile irsa]\nrole_arn = ", server_->role_arn(),
                                 "\nweb_identity_token_file = ", server_->dir(),
                                 "/server/web_identity_token\n"));
  setenv("AWS_CONFIG_FILE", config.c_str(), 1);
  setenv("AWS_PROFILE", "irsa", 1);
  ResetSharedCredentialSources();
  st = RoundTrip(ChainDestination());
  EXPECT_TRUE(st.ok()) << st;
}

TEST_F(CredentialChainTest, SharedFilesPickTheProfile) {
  std::string creds = dir_ + "/credentials", config = dir_ + "/config";
  WriteFile(creds, absl::StrCat("[default]\naws_access_key_id = ", server_->access_key_id(),
                                "\naws_secret_access_key = WRONGsecretWRONGsecret\n\n[ops]\n",
                                "aws_access_key_id = ", server_->access_key_id(),
                                "\naws_secret_access_key = ", server_->secret_access_key(), "\n"));
  WriteFile(config, absl::StrCat("[default]\nregion = us-east-1\n\n[profile from-config]\n",
                                 "aws_access_key_id = ", server_->access_key_id(),
                                 "\naws_secret_access_key = ", server_->secret_access_key(),
                                 "\n\n[profile assumer]\nrole_arn = ", server_->role_arn(),
                                 "\nexternal_id = ", server_->external_id(),
                                 "\nsource_profile = ops\n"));
  setenv("AWS_SHARED_CREDENTIALS_FILE", creds.c_str(), 1);
  setenv("AWS_CONFIG_FILE", config.c_str(), 1);
  setenv("AWS_ENDPOINT_URL_STS", server_->endpoint().c_str(), 1);

  // [default] has a wrong secret: moto checks the signature.
  absl::Status st = RoundTrip(ChainDestination());
  EXPECT_TRUE(absl::IsPermissionDenied(st)) << st;
  EXPECT_FALSE(absl::StrContains(st.message(), "WRONGsecret")) << st;

  setenv("AWS_PROFILE", "ops", 1);
  st = RoundTrip(ChainDestination());
  EXPECT_TRUE(st.ok()) << st;

  // [profile NAME] of the config file.
  setenv("AWS_PROFILE", "from-config", 1);
  st = RoundTrip(ChainDestination());
  EXPECT_TRUE(st.ok()) << st;

  // The storage's own profile wins over AWS_PROFILE.
  v1::StorageDestination d = ChainDestination();
  d.set_profile("ops");
  setenv("AWS_PROFILE", "default", 1);
  st = RoundTrip(d);
  EXPECT_TRUE(st.ok()) << st;

  // role_arn + source_profile: ops's keys assume the role.
  setenv("AWS_PROFILE", "assumer", 1);
  CredentialChain chain(ChainOptions{});
  absl::StatusOr<AwsCredentials> c = chain.Get();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->session_token.empty());
  EXPECT_NE(c->access_key_id, server_->access_key_id());
  EXPECT_EQ(chain.source(), "profile assumer");
  st = RoundTrip(ChainDestination());
  EXPECT_TRUE(st.ok()) << st;

  // A profile asked for by name must exist.
  setenv("AWS_PROFILE", "nobody", 1);
  st = RoundTrip(ChainDestination());
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(absl::StrContains(st.message(), "profile nobody")) << st;
}

TEST_F(CredentialChainTest, ImdsV2WithSessionToken) {
  MetadataServer md(dir_);
  ASSERT_TRUE(md.ready());
  AwsCredentials role = RoleCredentials();
  md.Serve(role, absl::Now() + absl::Hours(1));
  unsetenv("AWS_EC2_METADATA_DISABLED");
  setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", md.endpoint().c_str(), 1);

  absl::Status st = RoundTrip(ChainDestination());
  EXPECT_TRUE(st.ok()) << st;
  // The session token was fetched with a TTL, and every GET carried it.
  EXPECT_GE(md.Count("PUT /latest/api/token token=no auth=no 200"), 1);
  EXPECT_GE(md.Count("GET /latest/meta-data/iam/security-credentials/dbdump-role token=yes"), 1);
  EXPECT_EQ(md.Count("GET /latest/meta-data/iam/security-credentials/ token=no"), 0);

  // The stand-in refuses IMDSv1 like an instance with HttpTokens=required.
  HttpClient http(HttpOptions{});
  HttpRequest req;
  req.method = "GET";
  req.url = md.endpoint() + "/latest/meta-data/iam/security-credentials/";
  HttpResponse resp;
  ASSERT_TRUE(http.Send(req, &resp).ok());
  EXPECT_EQ(resp.status, 401);

  // Disabled: not asked, and the error lists every source.
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  ResetSharedCredentialSources();
  st = RoundTrip(ChainDestination());
  EXPECT_TRUE(absl::IsFailedPrecondition(st)) << st;
  for (const char* source : {"environment", "web identity", "shared files", "container",
                             "AWS_EC2_METADATA_DISABLED"}) {
    EXPECT_TRUE(absl::StrContains(st.message(), source)) << source << ": " << st;
  }
}

TEST_F(CredentialChainTest, ImdsAbsentIsQuickAndRemembered) {
  // A closed port stands for "not on EC2".
  unsetenv("AWS_EC2_METADATA_DISABLED");
  setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1", 1);
  absl::Time start = absl::Now();
  CredentialChain first(ChainOptions{});
  absl::Status st = first.Get().status();
  EXPECT_TRUE(absl::IsFailedPrecondition(st)) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "EC2 instance metadata")) << st;
  CredentialChain second(ChainOptions{});
  st = second.Get().status();
  EXPECT_TRUE(absl::StrContains(st.message(), "did not answer recently")) << st;
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(CredentialChainTest, ContainerEndpointWithAuthorizationFile) {
  MetadataServer md(dir_);
  ASSERT_TRUE(md.ready());
  md.Serve(RoleCredentials(), absl::Now() + absl::Hours(1));
  WriteFile(dir_ + "/auth_token", "container-auth-value");
  std::string token_file = dir_ + "/token-for-client";
  WriteFile(token_file, "container-auth-value\n");
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", (md.endpoint() + "/ecs/v2/credentials/abc").c_str(), 1);
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file.c_str(), 1);
  absl::Status st = RoundTrip(ChainDestination());
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_GE(md.Count("GET /ecs/v2/credentials/abc token=no auth=yes 200"), 1);

  // A wrong token: refused, and the error says where to look.
  WriteFile(token_file, "stale-value");
  ResetSharedCredentialSources();
  st = RoundTrip(ChainDestination());
  EXPECT_TRUE(absl::IsPermissionDenied(st)) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) << st;
  EXPECT_FALSE(absl::StrContains(st.message(), "stale-value")) << st;

  // The token in the environment instead of a file.
  unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth-value", 1);
  ResetSharedCredentialSources();
  st = RoundTrip(ChainDestination());
  EXPECT_TRUE(st.ok()) << st;
}

TEST_F(CredentialChainTest, ImdsCredentialsRefreshBeforeExpiry) {
  MetadataServer md(dir_);
  ASSERT_TRUE(md.ready());
  absl::Time now = absl::Now();
  AwsCredentials first = RoleCredentials();
  md.Serve(first, now + absl::Minutes(10));
  FakeClock clock(now);
  ImdsOptions io;
  io.endpoint = md.endpoint();
  io.clock = &clock;
  ImdsCredentialsProvider imds(io);
  for (int i = 0; i < 3; ++i) {
    auto c = imds.Get();
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->access_key_id, first.access_key_id);
  }
  EXPECT_EQ(imds.refreshes(), 1);  // cached
  AwsCredentials second = RoleCredentials();
  md.Serve(second, now + absl::Minutes(70));
  clock.Advance(absl::Minutes(6));  // within 5 minutes of the expiry: refreshed
  auto c = imds.Get();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, second.access_key_id);
  EXPECT_EQ(imds.refreshes(), 2);
  EXPECT_EQ(md.Count("PUT /latest/api/token"), 1);  // the session token is reused
  EXPECT_EQ(md.Count("security-credentials/dbdump-role token=yes auth=no 200"), 2);
}

TEST_F(CredentialChainTest, RegionLearnedFromTheBucket) {
  // A bucket in eu-west-1, created with boto3 (keys from the fixture's file,
  // not argv).
  std::string cmd = absl::StrCat(
      "AWS_SHARED_CREDENTIALS_FILE=", server_->credentials_file(), " python3 -c '",
      "import boto3,sys; boto3.client(\"s3\", endpoint_url=sys.argv[1], region_name=\"us-east-1\")"
      ".create_bucket(Bucket=\"dbdump-eu\", CreateBucketConfiguration={\"LocationConstraint\": "
      "\"eu-west-1\"})' ",
      server_->endpoint());
  ASSERT_EQ(system(cmd.c_str()), 0);
  setenv("AWS_ACCESS_KEY_ID", server_->access_key_id().c_str(), 1);
  setenv("AWS_SECRET_ACCESS_KEY", server_->secret_access_key().c_str(), 1);
  // The endpoint from the environment too; an IP address: path-style by itself.
  setenv("AWS_ENDPOINT_URL_S3", server_->endpoint().c_str(), 1);
  v1::StorageDestination d;
  d.set_name("eu");
  d.set_kind(v1::STORAGE_KIND_S3);
  d.set_bucket("dbdump-eu");
  d.set_prefix("region");
  auto s = OpenS3Storage(d);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->client()->options().region, "eu-west-1");
  EXPECT_TRUE((*s)->client()->options().path_style);
  EXPECT_EQ((*s)->client()->options().endpoint, server_->endpoint());
  absl::Status st = RoundTrip(d);
  EXPECT_TRUE(st.ok()) << st;

  // The environment's region is taken as given.
  setenv("AWS_REGION", "ap-south-1", 1);
  s = OpenS3Storage(d);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->client()->options().region, "ap-south-1");
}

}  // namespace
}  // namespace dbdump
