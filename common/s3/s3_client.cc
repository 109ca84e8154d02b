#include "common/s3/s3_client.h"

#include <arpa/inet.h>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/base/clock.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"
#include "common/s3/xml_document.h"

namespace dbdump {

struct S3Client::Call {
  std::string method;
  std::string key;  // empty: the bucket itself
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;
  const char* body = nullptr;
  size_t body_size = 0;
  // For error messages: what we were doing.
  std::string what;
};

namespace {

bool HasQuery(const std::vector<std::pair<std::string, std::string>>& query, const char* name) {
  for (const auto& [k, v] : query) {
    if (k == name) return true;
  }
  return false;
}

// The S3 API operation a call is, for metrics: a fixed set of names, never
// the bucket or the key.
const char* OperationName(const std::string& method, const std::string& key,
                          const std::vector<std::pair<std::string, std::string>>& query) {
  bool upload_id = HasQuery(query, "uploadId");
  if (HasQuery(query, "object-lock")) return "GetObjectLockConfiguration";
  if (HasQuery(query, "retention")) return "PutObjectRetention";
  if (HasQuery(query, "versions")) return "ListObjectVersions";
  if (method == "PUT") return upload_id ? "UploadPart" : "PutObject";
  if (method == "POST") return upload_id ? "CompleteMultipartUpload" : "CreateMultipartUpload";
  if (method == "DELETE") return upload_id ? "AbortMultipartUpload" : "DeleteObject";
  if (method == "HEAD") return key.empty() ? "HeadBucket" : "HeadObject";
  if (HasQuery(query, "uploads")) return "ListMultipartUploads";
  return key.empty() ? "ListObjectsV2" : "GetObject";
}

bool RetryableCode(const std::string& code) {
  return code == "SlowDown" || code == "InternalError" || code == "RequestTimeout" ||
         code == "ServiceUnavailable" || code == "ExpiredToken" || code == "RequestTimeTooSkewed" ||
         code == "OperationAborted" || code == "Throttling";
}

absl::Status S3Error(const HttpResponse& r, const std::string& what) {
  XmlDocument answer(r.body);
  std::string code = answer.Value("Code");
  std::string message = answer.Value("Message");
  std::string detail = code.empty() ? absl::StrCat("HTTP ", r.status)
                                    : absl::StrCat(code, message.empty() ? "" : ": ", message);
  if (code == "NoSuchBucket") {
    return absl::NotFoundError(absl::StrCat(what, ": the bucket does not exist (", detail, ")"));
  }
  if (code == "ObjectLockConfigurationNotFoundError" ||
      absl::StrContains(message, "missing ObjectLockConfiguration") ||
      absl::StrContains(message, "missing Object Lock Configuration")) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, ": the bucket does not have Object Lock enabled (", detail,
        "); Object Lock can only be enabled on a versioned bucket: create one with "
        "`aws s3api create-bucket --object-lock-enabled-for-bucket` or drop the storage's object lock"));
  }
  if (code == "NoSuchKey" || code == "NoSuchUpload" || (r.status == 404 && code.empty())) {
    return absl::NotFoundError(absl::StrCat(what, ": not found (", detail, ")"));
  }
  if (r.status == 403 || code == "AccessDenied" || code == "SignatureDoesNotMatch" ||
      code == "InvalidAccessKeyId" || code == "InvalidToken") {
    return absl::PermissionDeniedError(absl::StrCat(
        what, ": access denied (", detail,
        "); check the agent's credentials, the role and the bucket policy"));
  }
  if (code == "BadDigest" || code == "InvalidDigest" || code == "XAmzContentSHA256Mismatch") {
    return absl::DataLossError(absl::StrCat(what, ": the server received corrupted data (", detail, ")"));
  }
  if (r.status >= 500 || RetryableCode(code)) {
    return absl::UnavailableError(absl::StrCat(what, ": ", detail));
  }
  return absl::FailedPreconditionError(absl::StrCat(what, ": ", detail));
}

// S3's timestamps ("2026-12-07T01:02:03.000Z"); InfinitePast() when absent
// or unreadable.
absl::Time ParseS3Time(const std::string& text) {
  absl::Time t;
  std::string err;
  if (text.empty() || !absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
    return absl::InfinitePast();
  }
  return t;
}

}  // namespace

absl::Status ValidateBucketName(const std::string& b) {
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat("bucket name \"", b, "\" ", why));
  };
  if (b.size() < 3 || b.size() > 63) return bad("must be 3 to 63 characters long");
  for (char c : b) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '.' || c == '-')) {
      return bad("may only contain lowercase letters, digits, '.' and '-'");
    }
  }
  if (!absl::ascii_isalnum(b.front()) || !absl::ascii_isalnum(b.back())) {
    return bad("must start and end with a letter or digit");
  }
  if (absl::StrContains(b, "..") || absl::StrContains(b, ".-") || absl::StrContains(b, "-.")) {
    return bad("must not contain \"..\", \".-\" or \"-.\"");
  }
  int dots = 0;
  bool all_digits_dots = true;
  for (char c : b) {
    dots += c == '.';
    all_digits_dots &= absl::ascii_isdigit(c) || c == '.';
  }
  if (dots == 3 && all_digits_dots) return bad("must not look like an IP address");
  return absl::OkStatus();
}

bool EndpointIsIpAddress(const std::string& endpoint) {
  auto sep = endpoint.find("://");
  std::string host = sep == std::string::npos ? endpoint : endpoint.substr(sep + 3);
  host = host.substr(0, host.find('/'));
  if (absl::StartsWith(host, "[")) return true;  // only IPv6 literals are bracketed
  host = host.substr(0, host.find(':'));
  in_addr v4;
  return inet_pton(AF_INET, host.c_str(), &v4) == 1;
}

namespace {
S3Options WithAddressing(S3Options o) {
  if (!o.path_style && EndpointIsIpAddress(o.endpoint)) o.path_style = true;
  return o;
}

// A virtual-hosted name (bucket.host) that does not resolve usually means an
// S3-compatible server without wildcard DNS.
std::string AddressingHint(const absl::Status& last, const S3Options& o) {
  if (o.path_style || !absl::StrContains(last.message(), "resolve host")) return "";
  return "; the bucket's virtual-hosted name does not resolve: for an S3-compatible server "
         "use path-style addressing (--path-style)";
}
}  // namespace

S3Client::S3Client(S3Options options, std::shared_ptr<CredentialsProvider> credentials)
    : options_(WithAddressing(std::move(options))),
      clock_(options_.clock ? options_.clock : DefaultClock()),
      metrics_(options_.metrics ? options_.metrics : DefaultS3Metrics()),
      credentials_(std::move(credentials)),
      signer_(options_.region, "s3") {
  std::string ep = options_.endpoint.empty()
                       ? absl::StrCat("https://s3.", options_.region, ".amazonaws.com")
                       : options_.endpoint;
  auto sep = ep.find("://");
  scheme_ = sep == std::string::npos ? "https" : ep.substr(0, sep);
  host_ = sep == std::string::npos ? ep : ep.substr(sep + 3);
  while (!host_.empty() && host_.back() == '/') host_.pop_back();
}

S3Client::~S3Client() = default;

std::unique_ptr<HttpClient> S3Client::TakeConnection() {
  absl::MutexLock l(&mu_);
  if (pool_.empty()) return std::make_unique<HttpClient>(options_.http);
  auto c = std::move(pool_.back());
  pool_.pop_back();
  return c;
}

void S3Client::ReturnConnection(std::unique_ptr<HttpClient> c) {
  absl::MutexLock l(&mu_);
  pool_.push_back(std::move(c));
}

std::string S3Client::Describe(const std::string& key) const {
  return key.empty() ? absl::StrCat("s3://", options_.bucket)
                     : absl::StrCat("s3://", options_.bucket, "/", key);
}

void S3Client::Address(const std::string& key, SignableRequest* sr) const {
  if (options_.path_style) {
    sr->host = host_;
    sr->path = absl::StrCat("/", options_.bucket, key.empty() ? "" : "/", key);
  } else {
    sr->host = absl::StrCat(options_.bucket, ".", host_);
    sr->path = absl::StrCat("/", key);
  }
}

absl::StatusOr<PresignedUrl> S3Client::PresignGetObject(const std::string& key,
                                                        absl::Duration ttl) {
  ASSIGN_OR_RETURN(AwsCredentials creds, credentials_->Get());
  absl::Time now = clock_->Now();
  absl::Duration lifetime = std::min(ttl, creds.expiration - now);
  if (lifetime < absl::Seconds(1)) {
    // Credentials about to expire: fetch new ones rather than hand out a
    // URL that dies at once.
    credentials_->Invalidate();
    ASSIGN_OR_RETURN(creds, credentials_->Get());
    lifetime = std::min(ttl, creds.expiration - now);
    if (lifetime < absl::Seconds(1)) {
      return absl::UnavailableError(absl::StrCat(
          "presign ", Describe(key), ": the storage credentials expire now; try again"));
    }
  }
  lifetime = absl::Trunc(lifetime, absl::Seconds(1));
  SignableRequest sr;
  sr.method = "GET";
  Address(key, &sr);
  PresignedRequest presigned = signer_.Presign(sr, creds, now, lifetime);
  PresignedUrl out;
  out.url = absl::StrCat(scheme_, "://", sr.host, presigned.encoded_path, "?",
                         presigned.encoded_query);
  out.expires_at = now + lifetime;
  return out;
}

absl::StatusOr<HttpResponse> S3Client::Execute(const Call& call) {
  SignableRequest sr;
  sr.method = call.method;
  Address(call.key, &sr);
  sr.query = call.query;
  sr.headers = call.headers;
  sr.payload_sha256 = HexSha256(call.body ? call.body : "", call.body ? call.body_size : 0);
  std::string what = absl::StrCat(call.what, " ", Describe(call.key));
  const char* operation = OperationName(call.method, call.key, call.query);

  absl::BitGen gen;
  absl::Status last;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    if (attempt > 1) {
      metrics_->Retried(operation);
      // Full jitter: a random wait up to the exponential cap.
      absl::Duration cap = std::min(options_.max_backoff, options_.base_backoff * (1 << (attempt - 2)));
      absl::SleepFor(cap * absl::Uniform(gen, 0.0, 1.0));
    }
    absl::StatusOr<AwsCredentials> got = credentials_->Get();
    if (!got.ok()) {
      if (!absl::IsUnavailable(got.status())) {
        metrics_->Failed(operation);
        return got.status();
      }
      last = got.status();  // STS unreachable for now: retried like a request
      continue;
    }
    const AwsCredentials& creds = *got;
    // Signed afresh each attempt: a new date, maybe new credentials.
    SignedRequest signed_req = signer_.Sign(sr, creds, clock_->Now());
    HttpRequest req;
    req.method = call.method;
    req.url = absl::StrCat(scheme_, "://", sr.host, signed_req.encoded_path,
                           signed_req.encoded_query.empty() ? "" : "?", signed_req.encoded_query);
    req.headers = signed_req.headers;
    req.body = call.body;
    req.body_size = call.body_size;
    HttpResponse resp;
    std::unique_ptr<HttpClient> conn = TakeConnection();
    metrics_->Requested(operation);
    absl::Status sent = conn->Send(req, &resp);
    if (!sent.ok()) {
      // A broken connection is not reused.
      last = absl::UnavailableError(absl::StrCat(what, ": ", sent.message()));
      continue;
    }
    ReturnConnection(std::move(conn));
    if (resp.status >= 200 && resp.status < 300) {
      if (call.body_size > 0) metrics_->Uploaded(operation, call.body_size);
      return resp;
    }
    last = S3Error(resp, what);
    std::string code = XmlDocument(resp.body).Value("Code");
    if (code == "ExpiredToken" || code == "InvalidToken") credentials_->Invalidate();
    if (!absl::IsUnavailable(last) && code != "ExpiredToken") {
      metrics_->Failed(operation);
      return last;
    }
  }
  metrics_->Failed(operation);
  return absl::UnavailableError(absl::StrCat(last.message(), " (gave up after ", options_.max_attempts,
                                             " attempts)", AddressingHint(last, options_)));
}

std::string S3LockDate(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

void S3Client::AddLockHeaders(Call* c) const {
  if (!locked()) return;
  c->headers.emplace_back("x-amz-object-lock-mode", options_.lock_mode);
  c->headers.emplace_back("x-amz-object-lock-retain-until-date",
                          S3LockDate(options_.lock_retain_until));
}

absl::StatusOr<std::string> S3Client::PutObject(const std::string& key, const char* data, size_t n) {
  Call c{"PUT", key, {}, {}, data, n, "upload"};
  if (options_.content_md5 || locked()) {
    c.headers.emplace_back("content-md5", Base64Md5(data ? data : "", n));
  }
  AddLockHeaders(&c);
  if (!options_.sse.empty()) c.headers.emplace_back("x-amz-server-side-encryption", options_.sse);
  if (!options_.kms_key_id.empty()) {
    c.headers.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", options_.kms_key_id);
  }
  if (!options_.storage_class.empty()) c.headers.emplace_back("x-amz-storage-class", options_.storage_class);
  ASSIGN_OR_RETURN(HttpResponse r, Execute(c));
  return r.headers["etag"];
}

absl::StatusOr<uint64_t> S3Client::HeadObject(const std::string& key) {
  ASSIGN_OR_RETURN(HttpResponse r, Execute({"HEAD", key, {}, {}, nullptr, 0, "stat"}));
  uint64_t size = 0;
  if (!absl::SimpleAtoi(r.headers["content-length"], &size)) {
    return absl::InternalError(absl::StrCat("stat ", Describe(key), ": no content-length"));
  }
  return size;
}

absl::Status S3Client::GetObjectRange(const std::string& key, uint64_t offset, uint64_t length,
                                      std::string* out) {
  if (length == 0) {
    out->clear();
    return absl::OkStatus();
  }
  Call c{"GET", key, {}, {}, nullptr, 0, "download"};
  c.headers.emplace_back("range", absl::StrCat("bytes=", offset, "-", offset + length - 1));
  for (int attempt = 0; attempt < 3; ++attempt) {
    ASSIGN_OR_RETURN(HttpResponse r, Execute(c));
    if (r.body.size() == length) {
      *out = std::move(r.body);
      return absl::OkStatus();
    }
    // A short body (connection cut mid-transfer) is retried.
  }
  return absl::UnavailableError(absl::StrCat("download ", Describe(key), ": short read at offset ", offset));
}

absl::Status S3Client::DeleteObject(const std::string& key) {
  absl::StatusOr<HttpResponse> r = Execute({"DELETE", key, {}, {}, nullptr, 0, "delete"});
  if (absl::IsNotFound(r.status()) && !absl::StrContains(r.status().message(), "(NoSuchBucket")) {
    return absl::OkStatus();
  }
  return r.status();
}

absl::Status S3Client::HeadBucket() {
  return Execute({"HEAD", "", {}, {}, nullptr, 0, "check bucket"}).status();
}

absl::StatusOr<std::string> S3Client::BucketRegion() {
  // Not through Execute: every answer counts here, errors included, and the
  // credentials may be denied by a bucket in another region.
  SignableRequest sr;
  sr.method = "HEAD";
  Address("", &sr);
  sr.payload_sha256 = HexSha256("", 0);
  ASSIGN_OR_RETURN(AwsCredentials creds, credentials_->Get());
  absl::Status sent;
  HttpResponse resp;
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (attempt > 0) absl::SleepFor(options_.base_backoff * (1 << attempt));
    SignedRequest signed_req = signer_.Sign(sr, creds, clock_->Now());
    HttpRequest req;
    req.method = "HEAD";
    req.url = absl::StrCat(scheme_, "://", sr.host, signed_req.encoded_path);
    req.headers = signed_req.headers;
    std::unique_ptr<HttpClient> conn = TakeConnection();
    sent = conn->Send(req, &resp);
    if (!sent.ok()) continue;
    ReturnConnection(std::move(conn));
    if (resp.status < 500) break;
  }
  std::string what = absl::StrCat("find the region of ", Describe(""));
  if (!sent.ok()) {
    return absl::UnavailableError(absl::StrCat(what, ": ", sent.message(), AddressingHint(sent, options_)));
  }
  std::string region = resp.headers["x-amz-bucket-region"];
  if (region.empty()) {
    return absl::NotFoundError(absl::StrCat(what, ": the server does not say (HTTP ", resp.status, ")"));
  }
  return region;
}

absl::StatusOr<std::vector<S3Object>> S3Client::ListObjects(const std::string& prefix) {
  std::vector<S3Object> out;
  std::string token;
  while (true) {
    Call c{"GET", "", {{"list-type", "2"}, {"prefix", prefix}}, {}, nullptr, 0, "list"};
    if (!token.empty()) c.query.emplace_back("continuation-token", token);
    ASSIGN_OR_RETURN(HttpResponse r, Execute(c));
    XmlDocument page(r.body);
    for (const XmlDocument& e : page.Elements("Contents")) {
      S3Object o;
      o.key = e.Value("Key");
      if (!absl::SimpleAtoi(e.Value("Size"), &o.size)) {
        LogWarn("s3", "listing ", prefix, ": object ", o.key, " has no readable size (\"",
                e.Value("Size"), "\"); taking 0");
      }
      o.last_modified = ParseS3Time(e.Value("LastModified"));
      out.push_back(std::move(o));
    }
    if (page.Value("IsTruncated") != "true") break;
    token = page.Value("NextContinuationToken");
    if (token.empty()) break;
  }
  return out;
}

absl::StatusOr<std::string> S3Client::CreateMultipartUpload(const std::string& key) {
  Call c{"POST", key, {{"uploads", ""}}, {}, nullptr, 0, "start multipart upload"};
  AddLockHeaders(&c);
  if (!options_.sse.empty()) c.headers.emplace_back("x-amz-server-side-encryption", options_.sse);
  if (!options_.kms_key_id.empty()) {
    c.headers.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", options_.kms_key_id);
  }
  if (!options_.storage_class.empty()) c.headers.emplace_back("x-amz-storage-class", options_.storage_class);
  ASSIGN_OR_RETURN(HttpResponse r, Execute(c));
  std::string id = XmlDocument(r.body).Value("UploadId");
  if (id.empty()) {
    return absl::InternalError(absl::StrCat("start multipart upload ", Describe(key), ": no UploadId in the answer"));
  }
  return id;
}

absl::StatusOr<std::string> S3Client::UploadPart(const std::string& key, const std::string& upload_id,
                                                 int part_number, const char* data, size_t n) {
  Call c{"PUT", key, {{"partNumber", absl::StrCat(part_number)}, {"uploadId", upload_id}}, {}, data, n,
         absl::StrCat("upload part ", part_number, " of")};
  // Parts of a locked object need their Content-MD5 as the whole object does.
  if (options_.content_md5 || locked()) c.headers.emplace_back("content-md5", Base64Md5(data, n));
  ASSIGN_OR_RETURN(HttpResponse r, Execute(c));
  std::string etag = r.headers["etag"];
  if (etag.empty()) {
    return absl::InternalError(absl::StrCat("upload part ", part_number, " of ", Describe(key), ": no ETag"));
  }
  return etag;
}

absl::Status S3Client::CompleteMultipartUpload(const std::string& key, const std::string& upload_id,
                                               const std::vector<S3Part>& parts) {
  std::string body = "<CompleteMultipartUpload>";
  for (const S3Part& p : parts) {
    absl::StrAppend(&body, "<Part><PartNumber>", p.number, "</PartNumber><ETag>", XmlEscape(p.etag),
                    "</ETag></Part>");
  }
  body += "</CompleteMultipartUpload>";
  Call c{"POST", key, {{"uploadId", upload_id}}, {{"content-type", "application/xml"}},
         body.data(), body.size(), "complete multipart upload"};
  if (options_.content_md5) c.headers.emplace_back("content-md5", Base64Md5(body.data(), body.size()));
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<HttpResponse> r = Execute(c);
    if (!r.ok()) {
      // A retried Complete that already succeeded answers NoSuchUpload: the
      // object is there if it has the size we expect; the caller verifies.
      return r.status();
    }
    // S3 may answer 200 and report the failure in the body.
    XmlDocument answer(r->body);
    if (answer.Has("Error")) {
      absl::Status s = S3Error(*r, absl::StrCat("complete multipart upload ", Describe(key)));
      if (absl::IsUnavailable(s) || answer.Value("Code") == "InternalError") continue;
      return s;
    }
    return absl::OkStatus();
  }
  return absl::UnavailableError(absl::StrCat("complete multipart upload ", Describe(key),
                                             ": the server kept failing"));
}

absl::Status S3Client::AbortMultipartUpload(const std::string& key, const std::string& upload_id) {
  absl::StatusOr<HttpResponse> r =
      Execute({"DELETE", key, {{"uploadId", upload_id}}, {}, nullptr, 0, "abort multipart upload"});
  if (absl::IsNotFound(r.status())) return absl::OkStatus();
  return r.status();
}

absl::StatusOr<std::vector<S3Upload>> S3Client::ListMultipartUploads(const std::string& prefix) {
  std::vector<S3Upload> out;
  std::string key_marker, id_marker;
  while (true) {
    Call c{"GET", "", {{"uploads", ""}, {"prefix", prefix}}, {}, nullptr, 0, "list uploads"};
    if (!key_marker.empty()) {
      c.query.emplace_back("key-marker", key_marker);
      c.query.emplace_back("upload-id-marker", id_marker);
    }
    ASSIGN_OR_RETURN(HttpResponse r, Execute(c));
    XmlDocument page(r.body);
    for (const XmlDocument& e : page.Elements("Upload")) {
      out.push_back({e.Value("Key"), e.Value("UploadId"), ParseS3Time(e.Value("Initiated"))});
    }
    if (page.Value("IsTruncated") != "true") break;
    key_marker = page.Value("NextKeyMarker");
    id_marker = page.Value("NextUploadIdMarker");
    if (key_marker.empty()) break;
  }
  return out;
}

absl::StatusOr<bool> S3Client::ObjectLockEnabled() {
  absl::StatusOr<HttpResponse> r =
      Execute({"GET", "", {{"object-lock", ""}}, {}, nullptr, 0, "read the Object Lock configuration of"});
  if (!r.ok()) {
    // No configuration at all: S3 answers ObjectLockConfigurationNotFoundError.
    if (absl::IsFailedPrecondition(r.status()) &&
        absl::StrContains(r.status().message(), "ObjectLockConfigurationNotFoundError")) {
      return false;
    }
    return r.status();
  }
  return XmlDocument(r->body).Value("ObjectLockEnabled") == "Enabled";
}

absl::StatusOr<S3Retention> S3Client::GetRetention(const std::string& key) {
  // HeadObject reports the retention in headers; GetObjectRetention needs
  // its own permission and is missing from some S3-compatible servers.
  ASSIGN_OR_RETURN(HttpResponse r, Execute({"HEAD", key, {}, {}, nullptr, 0, "read the retention of"}));
  S3Retention out;
  out.mode = r.headers["x-amz-object-lock-mode"];
  out.retain_until = ParseS3Time(r.headers["x-amz-object-lock-retain-until-date"]);
  return out;
}

absl::Status S3Client::PutRetention(const std::string& key, const S3Retention& retention) {
  std::string body = absl::StrCat("<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>",
                                  XmlEscape(retention.mode), "</Mode><RetainUntilDate>",
                                  S3LockDate(retention.retain_until),
                                  "</RetainUntilDate></Retention>");
  Call c{"PUT", key, {{"retention", ""}}, {{"content-type", "application/xml"}},
         body.data(), body.size(), "set the retention of"};
  c.headers.emplace_back("content-md5", Base64Md5(body.data(), body.size()));
  return Execute(c).status();
}

absl::StatusOr<std::vector<S3ObjectVersion>> S3Client::ListObjectVersions(const std::string& prefix) {
  std::vector<S3ObjectVersion> out;
  std::string key_marker, id_marker;
  while (true) {
    Call c{"GET", "", {{"versions", ""}, {"prefix", prefix}}, {}, nullptr, 0, "list versions"};
    if (!key_marker.empty()) {
      c.query.emplace_back("key-marker", key_marker);
      c.query.emplace_back("version-id-marker", id_marker);
    }
    ASSIGN_OR_RETURN(HttpResponse r, Execute(c));
    XmlDocument page(r.body);
    for (const XmlDocument& e : page.Elements("Version")) {
      out.push_back({e.Value("Key"), e.Value("VersionId"), false});
    }
    for (const XmlDocument& e : page.Elements("DeleteMarker")) {
      out.push_back({e.Value("Key"), e.Value("VersionId"), true});
    }
    if (page.Value("IsTruncated") != "true") break;
    key_marker = page.Value("NextKeyMarker");
    id_marker = page.Value("NextVersionIdMarker");
    if (key_marker.empty()) break;
  }
  return out;
}

absl::Status S3Client::DeleteObjectVersion(const std::string& key, const std::string& version_id) {
  absl::StatusOr<HttpResponse> r =
      Execute({"DELETE", key, {{"versionId", version_id}}, {}, nullptr, 0, "delete a version of"});
  if (absl::IsNotFound(r.status()) && !absl::StrContains(r.status().message(), "(NoSuchBucket")) {
    return absl::OkStatus();
  }
  return r.status();
}

}  // namespace dbdump
