// The AWS default credential chain and the environment's S3 defaults, so an
// agent on EC2, ECS or EKS needs no long-term keys.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/s3/aws_credentials.h"
#include "common/s3/http_client.h"

namespace dbdump {

class Clock;

struct WebIdentityOptions {
  std::string token_file;
  std::string role_arn;
  std::string session_name = "dbdump";
  // scheme://host[:port]; empty: https://sts.<region>.amazonaws.com, or the
  // global https://sts.amazonaws.com without a region.
  std::string endpoint;
  std::string region;
  int duration_s = 3600;
  absl::Duration refresh_before = absl::Minutes(5);
  HttpOptions http;
  Clock* clock = nullptr;
};

// STS AssumeRoleWithWebIdentity with the token in `token_file` (EKS IRSA
// projects a fresh one there; it is read at every fetch). The call is not
// signed: the token is the proof.
class WebIdentityCredentialsProvider : public RefreshingCredentialsProvider {
 public:
  explicit WebIdentityCredentialsProvider(WebIdentityOptions options);

 protected:
  absl::StatusOr<AwsCredentials> Fetch() override;

 private:
  const WebIdentityOptions options_;
};

struct ContainerOptions {
  // The full URL of the credentials (relative URIs already joined to
  // http://169.254.170.2).
  std::string url;
  // Authorization header: the file's content (read at every fetch, EKS Pod
  // Identity rotates it), else `token`.
  std::string token_file;
  std::string token;
  absl::Duration refresh_before = absl::Minutes(5);
  HttpOptions http;
  Clock* clock = nullptr;
};

// The ECS task role / EKS Pod Identity endpoint: a GET answering JSON.
class ContainerCredentialsProvider : public RefreshingCredentialsProvider {
 public:
  explicit ContainerCredentialsProvider(ContainerOptions options);

 protected:
  absl::StatusOr<AwsCredentials> Fetch() override;

 private:
  const ContainerOptions options_;
};

struct ImdsOptions {
  // scheme://host[:port]; empty: http://169.254.169.254.
  std::string endpoint;
  // IMDS is absent off EC2: a short connect and stall timeout keep a job from
  // waiting on it.
  long connect_timeout_s = 1;
  long stall_timeout_s = 2;
  absl::Duration token_ttl = absl::Hours(6);
  absl::Duration refresh_before = absl::Minutes(5);
  // After the endpoint did not answer, it is not asked again for this long.
  absl::Duration remember_absence = absl::Minutes(10);
  Clock* clock = nullptr;
};

// EC2 instance metadata, IMDSv2 only: PUT /latest/api/token, then the role
// name and its credentials with that token. IMDSv1 (no token) is not used.
class ImdsCredentialsProvider : public RefreshingCredentialsProvider {
 public:
  explicit ImdsCredentialsProvider(ImdsOptions options);
  // The endpoint did not answer recently (so the chain skips it).
  bool KnownAbsent();
  const std::string& endpoint() const { return endpoint_; }

 protected:
  absl::StatusOr<AwsCredentials> Fetch() override;

 private:
  absl::StatusOr<std::string> Token(HttpClient& http);
  const ImdsOptions options_;
  const std::string endpoint_;
  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  absl::Time token_expires_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time absent_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

// One profile of the shared files: the config file's [profile NAME] (or
// [default]) overlaid with the credentials file's [NAME]; keys lowercased.
struct AwsProfile {
  std::string name;
  std::map<std::string, std::string> values;
  bool found = false;
  std::string Get(const std::string& key) const {
    auto it = values.find(key);
    return it == values.end() ? "" : it->second;
  }
};

// Where the shared files are: AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE,
// else ~/.aws/credentials and ~/.aws/config ($HOME).
std::string SharedCredentialsPath();
std::string SharedConfigPath();
// The profile `name`; a credentials file readable by group or others is an
// error (it holds keys), a missing file is none.
absl::StatusOr<AwsProfile> LoadAwsProfile(const std::string& name);
// The profile the chain uses: `explicit_name`, else AWS_PROFILE, else "default".
std::string ChosenProfileName(const std::string& explicit_name);

struct ChainOptions {
  // Shared-files profile; empty: AWS_PROFILE or "default".
  std::string profile;
  // Region for STS calls made by the chain (web identity, profiles' roles);
  // empty: the environment's or the profile's.
  std::string region;
  // Used for the wording of errors: "the agent host", "this machine".
  std::string where = "the agent host";
  Clock* clock = nullptr;
};

// The standard AWS order, decided at the first Get() and then kept:
//   1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY [+ AWS_SESSION_TOKEN]
//   2. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN [+ AWS_ROLE_SESSION_NAME]
//   3. shared files: the profile's static keys, or its role_arn with
//      source_profile / credential_source / web_identity_token_file
//   4. container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI
//   5. EC2 instance metadata (IMDSv2), unless AWS_EC2_METADATA_DISABLED=true
// A source that is configured but fails is an error (no silent fall-through
// to another identity); the error lists every source tried and never holds a
// secret. Refreshable sources are shared process-wide, so their cached
// credentials and IMDS's absence outlive one storage.
class CredentialChain : public CredentialsProvider {
 public:
  explicit CredentialChain(ChainOptions options);
  absl::StatusOr<AwsCredentials> Get() override;
  void Invalidate() override;
  // The source that supplied credentials ("environment", "web identity",
  // "profile NAME", "container", "EC2 instance metadata"); empty before.
  std::string source();

 private:
  absl::StatusOr<std::shared_ptr<CredentialsProvider>> Resolve(std::vector<std::string>* tried,
                                                               std::string* source);
  const ChainOptions options_;
  absl::Mutex mu_;
  std::shared_ptr<CredentialsProvider> chosen_ ABSL_GUARDED_BY(mu_);
  std::string source_ ABSL_GUARDED_BY(mu_);
};

// What the environment and the shared config say about S3 when a storage
// leaves it open.
struct AwsDefaults {
  std::string region;         // AWS_REGION, AWS_DEFAULT_REGION, the profile's region
  std::string region_source;  // which of them, for logs
  std::string s3_endpoint;    // AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL
  std::string sts_endpoint;   // AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL
  std::string ca_bundle;      // AWS_CA_BUNDLE
};
AwsDefaults LoadAwsDefaults(const std::string& profile);

// The value of a flat JSON object's string member `name` ("" when absent).
// Enough for the metadata endpoints' answers.
std::string JsonStringMember(const std::string& json, const std::string& name);

// Test hook: forget the process-wide providers (cached credentials and
// remembered absence).
void ResetSharedCredentialSources();

}  // namespace dbdump
