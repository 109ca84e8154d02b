// AWS credentials and the providers that supply them.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dbdump {

class Clock;

// A key pair, optionally temporary (session token + expiration). Never log it.
struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  absl::Time expiration = absl::InfiniteFuture();
};

// Supplies credentials for signing. Implementations are thread-safe.
class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  virtual absl::StatusOr<AwsCredentials> Get() = 0;
  // The server said the credentials expired: the next Get() fetches new ones.
  virtual void Invalidate() {}
};

// Caches temporary credentials and fetches new ones `refresh_before` they
// expire (STS AssumeRole, web identity, container, instance metadata). Thread-safe;
// concurrent callers share one fetch.
class RefreshingCredentialsProvider : public CredentialsProvider {
 public:
  RefreshingCredentialsProvider(Clock* clock, absl::Duration refresh_before);
  absl::StatusOr<AwsCredentials> Get() override;
  void Invalidate() override;
  // How many fetches succeeded (tests).
  int refreshes();

 protected:
  virtual absl::StatusOr<AwsCredentials> Fetch() = 0;
  Clock* const clock_;

 private:
  const absl::Duration refresh_before_;
  absl::Mutex mu_;
  bool have_ ABSL_GUARDED_BY(mu_) = false;
  AwsCredentials cached_ ABSL_GUARDED_BY(mu_);
  int refreshes_ ABSL_GUARDED_BY(mu_) = 0;
};

// Fixed credentials.
class StaticCredentialsProvider : public CredentialsProvider {
 public:
  explicit StaticCredentialsProvider(AwsCredentials c) : c_(std::move(c)) {}
  absl::StatusOr<AwsCredentials> Get() override { return c_; }

 private:
  AwsCredentials c_;
};

// Reads an AWS-style credentials file (`aws_access_key_id = ...`,
// `aws_secret_access_key = ...`, optional `aws_session_token`) from `profile`
// (default "default"). The file must not be readable by group or others.
absl::StatusOr<AwsCredentials> LoadCredentialsFile(const std::string& path,
                                                   const std::string& profile = "default");

// Resolves where an agent's credentials come from: `file:/path` (credentials
// file), or empty for the agent's environment (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, else AWS_SHARED_CREDENTIALS_FILE).
// Errors never contain a secret.
absl::StatusOr<AwsCredentials> ResolveCredentials(const std::string& ref);

}  // namespace dbdump
