// The credential chain's decisions that need no server: order, profiles,
// errors, and the S3 defaults taken from the environment.
#include "common/s3/credential_chain.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/s3/s3_client.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {
namespace fs = std::filesystem;

const char* kVars[] = {
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_DISABLED", "AWS_REGION",
    "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_STS",
    "AWS_CA_BUNDLE", "HOME"};

class ChainUnitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* v : kVars) {
      if (const char* old = getenv(v)) saved_[v] = old;
      unsetenv(v);
    }
    dir_ = fs::temp_directory_path() / absl::StrCat("dbdump-chain-unit-", getpid());
    fs::create_directories(dir_);
    setenv("HOME", dir_.c_str(), 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    ResetSharedCredentialSources();
  }
  void TearDown() override {
    for (const char* v : kVars) unsetenv(v);
    for (const auto& [k, v] : saved_) setenv(k.c_str(), v.c_str(), 1);
    ResetSharedCredentialSources();
    fs::remove_all(dir_);
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::string p = dir_ + "/" + name;
    std::ofstream(p) << text;
    fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write);
    return p;
  }
  std::map<std::string, std::string> saved_;
  std::string dir_;
};

TEST_F(ChainUnitTest, EnvironmentComesFirst) {
  fs::create_directories(dir_ + "/.aws");
  Write(".aws/credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = FILESECRET\n");
  setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
  setenv("AWS_SESSION_TOKEN", "ENVTOKEN", 1);
  CredentialChain chain(ChainOptions{});
  auto c = chain.Get();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "ENVKEY");
  EXPECT_EQ(c->session_token, "ENVTOKEN");
  EXPECT_EQ(chain.source(), "environment");

  // Without the environment's keys: ~/.aws/credentials, [default].
  unsetenv("AWS_ACCESS_KEY_ID");
  CredentialChain from_file(ChainOptions{});
  c = from_file.Get();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "FILEKEY");
  EXPECT_EQ(from_file.source(), "profile default");
}

TEST_F(ChainUnitTest, ProfilesMergeConfigAndCredentials) {
  setenv("AWS_CONFIG_FILE", Write("config", "[default]\nregion = eu-central-1\n[profile a]\nregion = eu-west-3\n"
                                            "s3 =\n  addressing_style = path\naws_access_key_id = CFG\n").c_str(), 1);
  setenv("AWS_SHARED_CREDENTIALS_FILE",
         Write("credentials", "[a]\naws_access_key_id = CRED\naws_secret_access_key = S\n").c_str(), 1);
  auto p = LoadAwsProfile("a");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->found);
  EXPECT_EQ(p->Get("region"), "eu-west-3");
  EXPECT_EQ(p->Get("aws_access_key_id"), "CRED");  // the credentials file wins
  EXPECT_EQ(p->Get("addressing_style"), "");       // nested settings are not top-level keys
  EXPECT_EQ(LoadAwsDefaults("a").region, "eu-west-3");
  EXPECT_EQ(LoadAwsDefaults("").region, "eu-central-1");
  setenv("AWS_DEFAULT_REGION", "us-west-2", 1);
  EXPECT_EQ(LoadAwsDefaults("a").region, "us-west-2");
  setenv("AWS_REGION", "ap-south-1", 1);
  EXPECT_EQ(LoadAwsDefaults("a").region, "ap-south-1");
  EXPECT_EQ(LoadAwsDefaults("a").region_source, "AWS_REGION");
}

TEST_F(ChainUnitTest, GroupReadableCredentialsFileIsRefused) {
  std::string p = Write("credentials", "[default]\naws_access_key_id = K\naws_secret_access_key = SECRETVALUE\n");
  fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  setenv("AWS_SHARED_CREDENTIALS_FILE", p.c_str(), 1);
  CredentialChain chain(ChainOptions{});
  auto c = chain.Get();
  EXPECT_FALSE(c.ok());
  EXPECT_TRUE(absl::StrContains(c.status().message(), "chmod 600")) << c.status();
  EXPECT_FALSE(absl::StrContains(c.status().message(), "SECRETVALUE"));
}

TEST_F(ChainUnitTest, NothingFoundListsEverySourceAndWhatToDo) {
  setenv("AWS_ACCESS_KEY_ID", "ONLYKEY", 1);  // half a key pair is no credentials
  CredentialChain chain(ChainOptions{});
  auto c = chain.Get();
  ASSERT_TRUE(absl::IsFailedPrecondition(c.status())) << c.status();
  std::string m(c.status().message());
  EXPECT_TRUE(absl::StrContains(m, "only AWS_ACCESS_KEY_ID is set")) << m;
  EXPECT_TRUE(absl::StrContains(m, "web identity")) << m;
  EXPECT_TRUE(absl::StrContains(m, "shared files")) << m;
  EXPECT_TRUE(absl::StrContains(m, "container")) << m;
  EXPECT_TRUE(absl::StrContains(m, "EC2 instance metadata")) << m;
  EXPECT_TRUE(absl::StrContains(m, "instance profile")) << m;
  EXPECT_FALSE(absl::StrContains(m, "ONLYKEY")) << m;
}

TEST_F(ChainUnitTest, RoleWithoutSourceIsExplained) {
  setenv("AWS_CONFIG_FILE", Write("config", "[profile r]\nrole_arn = arn:aws:iam::1:role/x\n").c_str(), 1);
  ChainOptions o;
  o.profile = "r";
  CredentialChain chain(o);
  auto c = chain.Get();
  EXPECT_TRUE(absl::StrContains(c.status().message(), "no source_profile")) << c.status();
}

TEST_F(ChainUnitTest, PlainHttpContainerUrlMustBeLocal) {
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds", 1);
  CredentialChain chain(ChainOptions{});
  auto c = chain.Get();
  EXPECT_TRUE(absl::StrContains(c.status().message(), "loopback")) << c.status();
}

TEST(JsonStringMemberTest, ReadsFlatObjects) {
  std::string j = R"({"Code" : "Success", "AccessKeyId":"AK", "SecretAccessKey": "a\/b\"c", "Token":"T"})";
  EXPECT_EQ(JsonStringMember(j, "Code"), "Success");
  EXPECT_EQ(JsonStringMember(j, "AccessKeyId"), "AK");
  EXPECT_EQ(JsonStringMember(j, "SecretAccessKey"), "a/b\"c");
  EXPECT_EQ(JsonStringMember(j, "Expiration"), "");
}

TEST(S3AddressingTest, IpEndpointsArePathStyle) {
  EXPECT_TRUE(EndpointIsIpAddress("http://127.0.0.1:9000"));
  EXPECT_TRUE(EndpointIsIpAddress("https://[::1]:9000"));
  EXPECT_TRUE(EndpointIsIpAddress("10.0.0.5"));
  EXPECT_FALSE(EndpointIsIpAddress("http://localhost:9000"));
  EXPECT_FALSE(EndpointIsIpAddress("https://s3.eu-west-1.amazonaws.com"));
  EXPECT_FALSE(EndpointIsIpAddress(""));
  S3Options o;
  o.endpoint = "http://127.0.0.1:9000";
  o.bucket = "b";
  S3Client client(o, std::make_shared<StaticCredentialsProvider>(AwsCredentials{"k", "s"}));
  EXPECT_TRUE(client.options().path_style);
}

TEST(S3AddressingTest, UnresolvableVirtualHostSuggestsPathStyle) {
  S3Options o;
  o.endpoint = "http://dbdump-no-such-host.invalid:9000";
  o.bucket = "bucket";
  o.max_attempts = 1;
  S3Client client(o, std::make_shared<StaticCredentialsProvider>(AwsCredentials{"k", "s"}));
  absl::Status st = client.HeadBucket();
  EXPECT_TRUE(absl::StrContains(st.message(), "--path-style")) << st;
}

}  // namespace
}  // namespace dbdump
