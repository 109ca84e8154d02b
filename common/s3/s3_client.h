// S3Client: the S3 REST calls dbdump needs, signed with SigV4, with retries.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/s3/aws_credentials.h"
#include "common/s3/http_client.h"
#include "common/s3/s3_metrics.h"
#include "common/s3/sigv4_signer.h"

namespace dbdump {

class Clock;

struct S3Options {
  // Scheme and host[:port]; empty means https://s3.<region>.amazonaws.com.
  std::string endpoint;
  std::string region = "us-east-1";
  std::string bucket;
  // Path-style (endpoint/bucket/key) instead of virtual-hosted (bucket.endpoint/key).
  // An endpoint that is an IP address is always addressed path-style: a
  // bucket name cannot be prepended to an address.
  bool path_style = false;
  HttpOptions http;
  int max_attempts = 6;
  absl::Duration base_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(10);
  // Server-side encryption: "", "AES256" or "aws:kms" (with kms_key_id).
  std::string sse;
  std::string kms_key_id;
  std::string storage_class;
  // Object Lock of every object this client uploads: mode "GOVERNANCE" or
  // "COMPLIANCE" and the retain-until date; empty mode = none. Locked
  // uploads always carry Content-MD5 (S3 refuses them without).
  std::string lock_mode;
  absl::Time lock_retain_until = absl::InfinitePast();
  // Send Content-MD5 with every upload, so the server verifies each body.
  bool content_md5 = true;
  // The signing time; null: DefaultClock().
  Clock* clock = nullptr;
  // Requests, retries and failures are reported here; null: DefaultS3Metrics().
  S3Metrics* metrics = nullptr;
};

struct S3Object {
  std::string key;
  uint64_t size = 0;
  // InfinitePast() when the listing did not say.
  absl::Time last_modified = absl::InfinitePast();
};

struct S3Upload {
  std::string key;
  std::string upload_id;
  absl::Time initiated = absl::InfinitePast();
};

// A presigned GET of one object. The URL grants access until `expires_at`:
// never log it.
struct PresignedUrl {
  std::string url;
  absl::Time expires_at;
};

// One version of an object, or a delete marker, in a versioned bucket.
struct S3ObjectVersion {
  std::string key;
  std::string version_id;
  bool delete_marker = false;
};

// An object's Object Lock retention as the server reports it; empty mode
// when it has none.
struct S3Retention {
  std::string mode;
  absl::Time retain_until = absl::InfinitePast();
};

struct S3Part {
  int number = 0;
  std::string etag;
};

// Thread-safe: requests run on pooled connections, any number at once.
// Transient failures (5xx, SlowDown, timeouts, resets, expired tokens) are
// retried with exponential backoff and full jitter. Errors name the bucket
// and key and never contain credentials or signatures.
class S3Client {
 public:
  S3Client(S3Options options, std::shared_ptr<CredentialsProvider> credentials);
  ~S3Client();

  absl::StatusOr<std::string> PutObject(const std::string& key, const char* data, size_t n);
  // Size of the object; NotFound when absent.
  absl::StatusOr<uint64_t> HeadObject(const std::string& key);
  // Bytes [offset, offset+length) of the object into `out`.
  absl::Status GetObjectRange(const std::string& key, uint64_t offset, uint64_t length,
                              std::string* out);
  absl::Status DeleteObject(const std::string& key);
  absl::StatusOr<std::vector<S3Object>> ListObjects(const std::string& prefix);
  // A URL anyone can GET the object with for `ttl` (1 s to 7 days), signed
  // with these credentials without calling the server. Temporary
  // credentials shorten it: the URL stops working when they expire.
  absl::StatusOr<PresignedUrl> PresignGetObject(const std::string& key, absl::Duration ttl);
  // The bucket answers (exists and is reachable with these credentials).
  absl::Status HeadBucket();
  // The bucket's region as the server names it in x-amz-bucket-region, which
  // S3 sends with 200, 301, 400 and 403 answers alike, so this works before
  // the region (and even the right credentials) are known. NotFound when the
  // server does not say (S3-compatible servers); Unavailable when it cannot
  // be reached.
  absl::StatusOr<std::string> BucketRegion();

  absl::StatusOr<std::string> CreateMultipartUpload(const std::string& key);
  absl::StatusOr<std::string> UploadPart(const std::string& key, const std::string& upload_id,
                                         int part_number, const char* data, size_t n);
  // A 200 answer carrying an <Error> body is a failure.
  absl::Status CompleteMultipartUpload(const std::string& key, const std::string& upload_id,
                                       const std::vector<S3Part>& parts);
  absl::Status AbortMultipartUpload(const std::string& key, const std::string& upload_id);
  absl::StatusOr<std::vector<S3Upload>> ListMultipartUploads(const std::string& prefix);

  // Object Lock and versioning.
  // Whether the bucket has Object Lock enabled (GetObjectLockConfiguration):
  // false when it has no configuration.
  absl::StatusOr<bool> ObjectLockEnabled();
  // The retention of the current version of `key`, from HeadObject.
  absl::StatusOr<S3Retention> GetRetention(const std::string& key);
  // Sets the retention of the current version of `key` (PutObjectRetention).
  absl::Status PutRetention(const std::string& key, const S3Retention& retention);
  // Every version and delete marker whose key starts with `prefix`.
  absl::StatusOr<std::vector<S3ObjectVersion>> ListObjectVersions(const std::string& prefix);
  // Deletes one version for good; PermissionDenied while Object Lock holds it.
  absl::Status DeleteObjectVersion(const std::string& key, const std::string& version_id);

  const S3Options& options() const { return options_; }

 private:
  struct Call;
  absl::StatusOr<HttpResponse> Execute(const Call& call);
  // The Object Lock headers of an upload (and its Content-MD5 need).
  void AddLockHeaders(Call* call) const;
  bool locked() const { return !options_.lock_mode.empty(); }
  std::unique_ptr<HttpClient> TakeConnection();
  void ReturnConnection(std::unique_ptr<HttpClient> c);
  std::string Describe(const std::string& key) const;
  // The request's host and unencoded path for `key`, path-style or
  // virtual-hosted as configured.
  void Address(const std::string& key, SignableRequest* request) const;

  const S3Options options_;
  Clock* const clock_;  // options_.clock or DefaultClock()
  S3Metrics* const metrics_;  // options_.metrics or DefaultS3Metrics()
  std::shared_ptr<CredentialsProvider> credentials_;
  SigV4Signer signer_;
  std::string scheme_;
  std::string host_;  // endpoint host[:port]
  absl::Mutex mu_;
  std::vector<std::unique_ptr<HttpClient>> pool_ ABSL_GUARDED_BY(mu_);
};

// The endpoint's host is an IPv4 or IPv6 address (virtual-hosted addressing
// cannot work there).
bool EndpointIsIpAddress(const std::string& endpoint);

// S3's date form for Object Lock headers and bodies: 2026-12-07T01:02:03Z.
std::string S3LockDate(absl::Time t);

// Checks an S3 bucket name against the naming rules.
absl::Status ValidateBucketName(const std::string& bucket);

}  // namespace dbdump
