// SigV4Signer: AWS Signature Version 4, header authentication and query
// string authentication (presigned URLs).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "common/s3/aws_credentials.h"

namespace dbdump {

// A request to sign. `path` and `query` are raw (unencoded); the signer
// encodes them the way S3 expects and returns the encoded forms to put on the
// wire, so what is signed is exactly what is sent.
struct SignableRequest {
  std::string method;
  std::string host;  // host[:port] as sent in the Host header
  std::string path;  // e.g. "/bucket/key with spaces"
  std::vector<std::pair<std::string, std::string>> query;
  // Extra headers to sign (lowercase names), e.g. content-md5, content-type.
  std::vector<std::pair<std::string, std::string>> headers;
  // Hex SHA-256 of the body, or "UNSIGNED-PAYLOAD".
  std::string payload_sha256;
};

struct SignedRequest {
  std::string encoded_path;
  std::string encoded_query;  // without '?'
  // Every header to send: the given ones plus host, x-amz-date,
  // x-amz-content-sha256, x-amz-security-token and authorization.
  std::vector<std::pair<std::string, std::string>> headers;
  // For tests and debugging; holds no secret.
  std::string canonical_request;
  std::string string_to_sign;
};

// A request authenticated by its query string alone: the URL is
// `scheme://host` + encoded_path + "?" + encoded_query.
struct PresignedRequest {
  std::string encoded_path;
  // Every parameter of the request plus X-Amz-Algorithm, X-Amz-Credential,
  // X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Security-Token
  // (temporary credentials) and X-Amz-Signature, without '?'.
  std::string encoded_query;
  // For tests and debugging. The security token is in both (S3 signs it
  // as a query parameter), so never log them when it is set.
  std::string canonical_request;
  std::string string_to_sign;
};

// Stateless; thread-safe.
class SigV4Signer {
 public:
  SigV4Signer(std::string region, std::string service)
      : region_(std::move(region)), service_(std::move(service)) {}
  SignedRequest Sign(const SignableRequest& req, const AwsCredentials& creds, absl::Time now) const;
  // Query-string authentication ("Authenticating Requests: Using Query
  // Parameters"): only the host header is signed (`req.headers` must be
  // empty), the payload is UNSIGNED-PAYLOAD whatever `req.payload_sha256`
  // says, and the URL is valid for `expires` (1 s to 7 days) from `now`.
  PresignedRequest Presign(const SignableRequest& req, const AwsCredentials& creds, absl::Time now,
                           absl::Duration expires) const;

 private:
  // "20130524/us-east-1/s3/aws4_request".
  std::string Scope(const std::string& date) const;
  // The hex signature of `string_to_sign` with the key derived for `date`.
  std::string Signature(const AwsCredentials& creds, const std::string& date,
                        const std::string& string_to_sign) const;

  std::string region_;
  std::string service_;
};

// RFC 3986 percent-encoding of everything but unreserved characters; '/' is
// kept when `keep_slash`.
std::string UriEncode(const std::string& s, bool keep_slash);
std::string HexSha256(const std::string& data);
std::string HexSha256(const char* data, size_t n);
std::string Base64Md5(const char* data, size_t n);

}  // namespace dbdump
