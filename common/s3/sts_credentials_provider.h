// StsCredentialsProvider: temporary credentials from STS AssumeRole.
#pragma once

#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "common/s3/aws_credentials.h"
#include "common/s3/http_client.h"

namespace dbdump {

class Clock;

struct AssumeRoleOptions {
  // STS endpoint (scheme://host[:port]); empty: https://sts.<region>.amazonaws.com.
  std::string endpoint;
  std::string region = "us-east-1";
  std::string role_arn;
  std::string external_id;
  std::string session_name = "dbdump";
  int duration_s = 3600;
  // Fetch new credentials this long before the old ones expire, so a long
  // upload never signs with expired ones.
  absl::Duration refresh_before = absl::Minutes(5);
  HttpOptions http;
  // Signing time and credential expiry; null: DefaultClock().
  Clock* clock = nullptr;
};

// Signs AssumeRole with the agent's own credentials (`base`) and caches the
// temporary credentials until `refresh_before` their expiry. Thread-safe;
// concurrent callers share one refresh.
class StsCredentialsProvider : public RefreshingCredentialsProvider {
 public:
  StsCredentialsProvider(AssumeRoleOptions options, std::shared_ptr<CredentialsProvider> base);

 protected:
  // One AssumeRole call, signed with the base credentials.
  absl::StatusOr<AwsCredentials> Fetch() override;

 private:
  const AssumeRoleOptions options_;
  std::shared_ptr<CredentialsProvider> base_;
};

absl::Status ValidateRoleArn(const std::string& arn);

// Sends one STS call (AssumeRole, AssumeRoleWithWebIdentity), tried up to
// four times with backoff while the server answers 5xx or cannot be reached;
// the last attempt's status, `resp` its answer.
absl::Status SendToSts(const HttpOptions& options, const HttpRequest& req, HttpResponse* resp);

}  // namespace dbdump
