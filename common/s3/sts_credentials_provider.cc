#include "common/s3/sts_credentials_provider.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/clock.h"
#include "common/base/names.h"
#include "common/s3/sigv4_signer.h"
#include "common/base/status_macros.h"
#include "common/s3/xml_document.h"

namespace dbdump {

absl::Status ValidateRoleArn(const std::string& arn) {
  if (!absl::StartsWith(arn, "arn:aws") || !absl::StrContains(arn, ":iam::") ||
      !absl::StrContains(arn, ":role/")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "role ARN \"", arn, "\" is not of the form arn:aws:iam::<account>:role/<name>"));
  }
  return absl::OkStatus();
}

absl::Status SendToSts(const HttpOptions& options, const HttpRequest& req, HttpResponse* resp) {
  HttpClient http(options);
  absl::Status sent;
  for (int attempt = 0; attempt < 4; ++attempt) {
    sent = http.Send(req, resp);
    if (sent.ok() && resp->status < 500) break;
    absl::SleepFor(absl::Milliseconds(200 << attempt));
  }
  return sent;
}

StsCredentialsProvider::StsCredentialsProvider(AssumeRoleOptions options,
                                               std::shared_ptr<CredentialsProvider> base)
    : RefreshingCredentialsProvider(options.clock, options.refresh_before),
      options_(std::move(options)),
      base_(std::move(base)) {}

absl::StatusOr<AwsCredentials> StsCredentialsProvider::Fetch() {
  RETURN_IF_ERROR(ValidateRoleArn(options_.role_arn));
  ASSIGN_OR_RETURN(AwsCredentials base, base_->Get());
  std::string endpoint = options_.endpoint.empty()
                             ? absl::StrCat("https://sts.", options_.region, ".amazonaws.com")
                             : options_.endpoint;
  auto sep = endpoint.find("://");
  std::string host = sep == std::string::npos ? endpoint : endpoint.substr(sep + 3);
  while (!host.empty() && host.back() == '/') host.pop_back();
  std::vector<std::pair<std::string, std::string>> params = {
      {"Action", "AssumeRole"},
      {"Version", "2011-06-15"},
      {"RoleArn", options_.role_arn},
      {"RoleSessionName", options_.session_name},
      {"DurationSeconds", absl::StrCat(options_.duration_s)},
  };
  if (!options_.external_id.empty()) params.emplace_back("ExternalId", options_.external_id);
  std::vector<std::string> kv;
  for (const auto& [k, v] : params) kv.push_back(absl::StrCat(UriEncode(k, false), "=", UriEncode(v, false)));
  std::string body = absl::StrJoin(kv, "&");

  SignableRequest sr;
  sr.method = "POST";
  sr.host = host;
  sr.path = "/";
  sr.headers = {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"}};
  sr.payload_sha256 = HexSha256(body);
  SignedRequest signed_req = SigV4Signer(options_.region, "sts").Sign(sr, base, clock_->Now());
  HttpRequest req;
  req.method = "POST";
  req.url = absl::StrCat(sep == std::string::npos ? "https" : endpoint.substr(0, sep), "://", host, "/");
  req.headers = signed_req.headers;
  req.body = body.data();
  req.body_size = body.size();
  HttpResponse resp;
  absl::Status sent = SendToSts(options_.http, req, &resp);
  if (!sent.ok()) {
    return absl::UnavailableError(absl::StrCat("cannot reach STS at ", endpoint, ": ", sent.message()));
  }
  if (resp.status != 200) {
    XmlDocument answer(resp.body);
    std::string code = answer.Value("Code");
    std::string msg = answer.Value("Message");
    std::string detail = code.empty() ? absl::StrCat("HTTP ", resp.status) : absl::StrCat(code, ": ", msg);
    if (resp.status == 403 || code == "AccessDenied" || code == "SignatureDoesNotMatch" ||
        code == "InvalidClientTokenId") {
      return absl::PermissionDeniedError(absl::StrCat(
          "assume role ", options_.role_arn, " denied (", detail,
          "); check the agent's credentials, the role's trust policy and the external id"));
    }
    if (resp.status >= 500) {
      return absl::UnavailableError(absl::StrCat("assume role ", options_.role_arn, ": ", detail));
    }
    return absl::FailedPreconditionError(absl::StrCat("assume role ", options_.role_arn, ": ", detail));
  }
  XmlDocument answer(resp.body);
  AwsCredentials c;
  c.access_key_id = answer.Value("AccessKeyId");
  c.secret_access_key = answer.Value("SecretAccessKey");
  c.session_token = answer.Value("SessionToken");
  std::string exp = answer.Value("Expiration");
  // "2026-01-15T03:00:00Z" or with fractional seconds.
  std::string err;
  if (!absl::ParseTime("%Y-%m-%dT%H:%M:%E*SZ", exp, absl::UTCTimeZone(), &c.expiration, &err) &&
      !absl::ParseTime(absl::RFC3339_full, exp, &c.expiration, &err)) {
    c.expiration = clock_->Now() + absl::Seconds(options_.duration_s);
  }
  if (c.access_key_id.empty() || c.secret_access_key.empty() || c.session_token.empty()) {
    return absl::InternalError(absl::StrCat("assume role ", options_.role_arn, ": STS answered without credentials"));
  }
  return c;
}

}  // namespace dbdump
