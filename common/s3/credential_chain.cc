#include "common/s3/credential_chain.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/base/clock.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"
#include "common/s3/sigv4_signer.h"
#include "common/s3/sts_credentials_provider.h"
#include "common/s3/xml_document.h"

namespace dbdump {
namespace {

std::string Env(const char* name) {
  const char* v = getenv(name);
  return v ? std::string(v) : std::string();
}

// "2026-01-15T03:00:00Z", with or without fractional seconds.
absl::Time ParseExpiration(const std::string& text, absl::Time fallback) {
  absl::Time t;
  std::string err;
  if (absl::ParseTime("%Y-%m-%dT%H:%M:%E*SZ", text, absl::UTCTimeZone(), &t, &err) ||
      absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
    return t;
  }
  return fallback;
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) {
    return absl::FailedPreconditionError(absl::StrCat(what, " ", path, " cannot be read"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(ss.str()));
}

// Credentials out of the JSON the container and instance metadata endpoints
// answer. The body is never quoted in an error: it holds the secret.
absl::StatusOr<AwsCredentials> CredentialsFromJson(const std::string& body, const std::string& what,
                                                   Clock* clock) {
  AwsCredentials c;
  c.access_key_id = JsonStringMember(body, "AccessKeyId");
  c.secret_access_key = JsonStringMember(body, "SecretAccessKey");
  c.session_token = JsonStringMember(body, "Token");
  // Without an expiration, check again within the hour like the SDKs do.
  c.expiration = ParseExpiration(JsonStringMember(body, "Expiration"), clock->Now() + absl::Hours(1));
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return absl::InternalError(absl::StrCat(what, " answered without AccessKeyId and SecretAccessKey"));
  }
  return c;
}

// scheme://host[:port] without a trailing slash.
std::string TrimEndpoint(std::string e) {
  while (!e.empty() && e.back() == '/') e.pop_back();
  return e;
}

// The refreshable providers live as long as the process, keyed by what
// configures them, so their credentials (and IMDS's absence) are not fetched
// again by every job.
absl::Mutex registry_mu(absl::kConstInit);
std::map<std::string, std::shared_ptr<CredentialsProvider>>& Registry() {
  static auto* registry = new std::map<std::string, std::shared_ptr<CredentialsProvider>>();
  return *registry;
}

template <typename T, typename Options>
std::shared_ptr<T> Shared(const std::string& key, Options options) {
  absl::MutexLock l(&registry_mu);
  auto& slot = Registry()[key];
  if (!slot) slot = std::make_shared<T>(std::move(options));
  return std::static_pointer_cast<T>(slot);
}

std::string ContainerUrl() {
  std::string relative = Env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  if (!relative.empty()) return absl::StrCat("http://169.254.170.2", relative);
  return Env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
}

// A full URI over plain HTTP must stay on this host or the ECS/EKS link-local
// agents: the answer is a secret.
absl::Status CheckContainerUrl(const std::string& url) {
  if (absl::StartsWith(url, "https://")) return absl::OkStatus();
  if (!absl::StartsWith(url, "http://")) {
    return absl::InvalidArgumentError("AWS_CONTAINER_CREDENTIALS_FULL_URI must be an http(s) URL");
  }
  std::string rest = url.substr(7);
  std::string host = rest.substr(0, rest.find('/'));
  if (absl::StartsWith(host, "[")) {
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  if (host == "localhost" || absl::StartsWith(host, "127.") || host == "[::1]" ||
      host == "169.254.170.2" || host == "169.254.170.23" || host == "[fd00:ec2::23]") {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      "AWS_CONTAINER_CREDENTIALS_FULL_URI over plain http must name a loopback or the ECS/EKS "
      "agent address (169.254.170.2, 169.254.170.23)");
}

std::shared_ptr<CredentialsProvider> ContainerProvider(const std::string& url) {
  ContainerOptions co;
  co.url = url;
  co.token_file = Env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  co.token = Env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  co.http.ca_file = Env("AWS_CA_BUNDLE");
  // The token is part of the key only as the file's name or by its presence.
  return Shared<ContainerCredentialsProvider>(
      absl::StrCat("container|", url, "|", co.token_file, "|", co.token.empty() ? "" : "token"), co);
}

std::shared_ptr<ImdsCredentialsProvider> ImdsProvider() {
  ImdsOptions io;
  io.endpoint = Env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  return Shared<ImdsCredentialsProvider>(absl::StrCat("imds|", io.endpoint), io);
}

std::shared_ptr<CredentialsProvider> WebIdentityProvider(const std::string& token_file,
                                                         const std::string& role_arn,
                                                         const std::string& session_name,
                                                         const std::string& region) {
  WebIdentityOptions wo;
  wo.token_file = token_file;
  wo.role_arn = role_arn;
  if (!session_name.empty()) wo.session_name = session_name;
  wo.endpoint = LoadAwsDefaults("").sts_endpoint;
  wo.region = region;
  wo.http.ca_file = Env("AWS_CA_BUNDLE");
  return Shared<WebIdentityCredentialsProvider>(
      absl::StrCat("web|", token_file, "|", role_arn, "|", wo.session_name, "|", wo.endpoint, "|",
                   region),
      wo);
}

bool IsTrue(const std::string& v) { return absl::AsciiStrToLower(v) == "true"; }

// The credentials a profile describes: its static keys, or its role assumed
// with the identity its source names. nullptr: the profile has neither.
absl::StatusOr<std::shared_ptr<CredentialsProvider>> ProfileProvider(const AwsProfile& p,
                                                                     const ChainOptions& chain,
                                                                     int depth) {
  if (depth > 4) {
    return absl::FailedPreconditionError(
        absl::StrCat("profile ", p.name, ": source_profile chain too long (a loop?)"));
  }
  std::string id = p.Get("aws_access_key_id");
  std::string secret = p.Get("aws_secret_access_key");
  std::shared_ptr<CredentialsProvider> keys;
  if (!id.empty() && !secret.empty()) {
    AwsCredentials c;
    c.access_key_id = id;
    c.secret_access_key = secret;
    c.session_token = p.Get("aws_session_token");
    keys = std::make_shared<StaticCredentialsProvider>(c);
  }
  std::string role_arn = p.Get("role_arn");
  if (role_arn.empty()) return keys;

  std::string region = !chain.region.empty() ? chain.region : LoadAwsDefaults(p.name).region;
  std::shared_ptr<CredentialsProvider> base;
  std::string source_profile = p.Get("source_profile");
  std::string credential_source = p.Get("credential_source");
  if (!source_profile.empty()) {
    if (source_profile == p.name) {
      // A profile may name itself: its own keys assume its role.
      base = keys;
    } else {
      ASSIGN_OR_RETURN(AwsProfile src, LoadAwsProfile(source_profile));
      if (!src.found) {
        return absl::FailedPreconditionError(absl::StrCat(
            "profile ", p.name, " names source_profile ", source_profile, ", which is in neither ",
            SharedCredentialsPath(), " nor ", SharedConfigPath()));
      }
      ASSIGN_OR_RETURN(base, ProfileProvider(src, chain, depth + 1));
    }
    if (!base) {
      return absl::FailedPreconditionError(absl::StrCat(
          "profile ", p.name, ": its source_profile ", source_profile, " has no keys"));
    }
  } else if (!credential_source.empty()) {
    if (credential_source == "Environment") {
      AwsCredentials c;
      c.access_key_id = Env("AWS_ACCESS_KEY_ID");
      c.secret_access_key = Env("AWS_SECRET_ACCESS_KEY");
      c.session_token = Env("AWS_SESSION_TOKEN");
      if (c.access_key_id.empty() || c.secret_access_key.empty()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "profile ", p.name, ": credential_source = Environment but AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY are not set"));
      }
      base = std::make_shared<StaticCredentialsProvider>(c);
    } else if (credential_source == "Ec2InstanceMetadata") {
      base = ImdsProvider();
    } else if (credential_source == "EcsContainer") {
      std::string url = ContainerUrl();
      if (url.empty()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "profile ", p.name, ": credential_source = EcsContainer but neither "
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set"));
      }
      RETURN_IF_ERROR(CheckContainerUrl(url));
      base = ContainerProvider(url);
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "profile ", p.name, ": credential_source \"", credential_source,
          "\" is not one of Environment, Ec2InstanceMetadata, EcsContainer"));
    }
  } else if (!p.Get("web_identity_token_file").empty()) {
    return WebIdentityProvider(p.Get("web_identity_token_file"), role_arn,
                               p.Get("role_session_name"), region);
  } else {
    return absl::FailedPreconditionError(absl::StrCat(
        "profile ", p.name, " has role_arn but no source_profile, credential_source or "
        "web_identity_token_file to assume it with"));
  }
  AssumeRoleOptions ar;
  ar.role_arn = role_arn;
  ar.external_id = p.Get("external_id");
  if (!p.Get("role_session_name").empty()) ar.session_name = p.Get("role_session_name");
  int duration = 0;
  if (absl::SimpleAtoi(p.Get("duration_seconds"), &duration) && duration >= 900) {
    ar.duration_s = duration;
  }
  ar.region = region.empty() ? "us-east-1" : region;
  ar.endpoint = LoadAwsDefaults(p.name).sts_endpoint;
  ar.http.ca_file = Env("AWS_CA_BUNDLE");
  if (chain.clock) ar.clock = chain.clock;
  return std::shared_ptr<CredentialsProvider>(std::make_shared<StsCredentialsProvider>(ar, base));
}

// Sections of an INI-style AWS file; `config` strips the "profile " prefix.
// Indented lines (nested settings such as `s3 =` blocks) are skipped.
std::map<std::string, std::map<std::string, std::string>> ReadIni(const std::string& path) {
  std::map<std::string, std::map<std::string, std::string>> out;
  std::ifstream in(path);
  std::string line, section;
  bool in_section = false;
  while (std::getline(in, line)) {
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) continue;
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#' || l[0] == ';') continue;
    if (l.front() == '[' && l.back() == ']') {
      section = std::string(absl::StripAsciiWhitespace(l.substr(1, l.size() - 2)));
      if (absl::StartsWith(section, "profile ")) {
        section = std::string(absl::StripAsciiWhitespace(section.substr(8)));
      }
      out[section];
      in_section = true;
      continue;
    }
    if (!in_section) continue;
    auto eq = l.find('=');
    if (eq == absl::string_view::npos) continue;
    std::string key = absl::AsciiStrToLower(absl::StripAsciiWhitespace(l.substr(0, eq)));
    out[section][key] = std::string(absl::StripAsciiWhitespace(l.substr(eq + 1)));
  }
  return out;
}

}  // namespace

// --- web identity --------------------------------------------------------------

WebIdentityCredentialsProvider::WebIdentityCredentialsProvider(WebIdentityOptions options)
    : RefreshingCredentialsProvider(options.clock, options.refresh_before),
      options_(std::move(options)) {}

absl::StatusOr<AwsCredentials> WebIdentityCredentialsProvider::Fetch() {
  RETURN_IF_ERROR(ValidateRoleArn(options_.role_arn));
  ASSIGN_OR_RETURN(std::string token,
                   ReadSmallFile(options_.token_file, "web identity token file"));
  if (token.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("web identity token file ", options_.token_file, " is empty"));
  }
  std::string endpoint = TrimEndpoint(
      !options_.endpoint.empty() ? options_.endpoint
      : options_.region.empty()  ? "https://sts.amazonaws.com"
                                 : absl::StrCat("https://sts.", options_.region, ".amazonaws.com"));
  std::vector<std::pair<std::string, std::string>> params = {
      {"Action", "AssumeRoleWithWebIdentity"},
      {"Version", "2011-06-15"},
      {"RoleArn", options_.role_arn},
      {"RoleSessionName", options_.session_name},
      {"WebIdentityToken", token},
      {"DurationSeconds", absl::StrCat(options_.duration_s)},
  };
  std::vector<std::string> kv;
  for (const auto& [k, v] : params) {
    kv.push_back(absl::StrCat(UriEncode(k, false), "=", UriEncode(v, false)));
  }
  std::string body = absl::StrJoin(kv, "&");
  HttpRequest req;
  req.method = "POST";
  req.url = absl::StrCat(endpoint, "/");
  req.headers = {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"}};
  req.body = body.data();
  req.body_size = body.size();
  HttpResponse resp;
  absl::Status sent = SendToSts(options_.http, req, &resp);
  std::string what = absl::StrCat("assume role ", options_.role_arn, " with the web identity token in ",
                                   options_.token_file);
  if (!sent.ok()) {
    return absl::UnavailableError(absl::StrCat(what, ": cannot reach STS at ", endpoint, ": ", sent.message()));
  }
  XmlDocument answer(resp.body);
  if (resp.status != 200) {
    std::string code = answer.Value("Code");
    std::string detail = code.empty() ? absl::StrCat("HTTP ", resp.status)
                                      : absl::StrCat(code, ": ", answer.Value("Message"));
    if (resp.status >= 500) return absl::UnavailableError(absl::StrCat(what, ": ", detail));
    return absl::PermissionDeniedError(absl::StrCat(
        what, " denied (", detail, "); check the role's trust policy (the cluster's OIDC provider "
        "and the service account) and that the token is current"));
  }
  AwsCredentials c;
  c.access_key_id = answer.Value("AccessKeyId");
  c.secret_access_key = answer.Value("SecretAccessKey");
  c.session_token = answer.Value("SessionToken");
  c.expiration = ParseExpiration(answer.Value("Expiration"),
                                 clock_->Now() + absl::Seconds(options_.duration_s));
  if (c.access_key_id.empty() || c.secret_access_key.empty() || c.session_token.empty()) {
    return absl::InternalError(absl::StrCat(what, ": STS answered without credentials"));
  }
  return c;
}

// --- container -----------------------------------------------------------------

ContainerCredentialsProvider::ContainerCredentialsProvider(ContainerOptions options)
    : RefreshingCredentialsProvider(options.clock, options.refresh_before),
      options_(std::move(options)) {}

absl::StatusOr<AwsCredentials> ContainerCredentialsProvider::Fetch() {
  RETURN_IF_ERROR(CheckContainerUrl(options_.url));
  HttpRequest req;
  req.method = "GET";
  req.url = options_.url;
  if (!options_.token_file.empty()) {
    ASSIGN_OR_RETURN(std::string token,
                     ReadSmallFile(options_.token_file, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"));
    req.headers.emplace_back("authorization", token);
  } else if (!options_.token.empty()) {
    req.headers.emplace_back("authorization", options_.token);
  }
  HttpOptions h = options_.http;
  h.connect_timeout_s = 2;
  h.stall_timeout_s = 5;
  HttpClient http(h);
  HttpResponse resp;
  absl::Status sent;
  for (int attempt = 0; attempt < 3; ++attempt) {
    sent = http.Send(req, &resp);
    if (sent.ok() && resp.status < 500) break;
    absl::SleepFor(absl::Milliseconds(100 << attempt));
  }
  // The URL may carry an id in its path; the scheme and host say enough.
  std::string what = "container credentials endpoint";
  if (!sent.ok()) return absl::UnavailableError(absl::StrCat(what, ": ", sent.message()));
  if (resp.status == 401 || resp.status == 403) {
    return absl::PermissionDeniedError(absl::StrCat(
        what, " refused the request (HTTP ", resp.status, "): check AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"));
  }
  if (resp.status != 200) {
    return absl::FailedPreconditionError(absl::StrCat(what, " answered HTTP ", resp.status));
  }
  return CredentialsFromJson(resp.body, what, clock_);
}

// --- instance metadata -----------------------------------------------------------

ImdsCredentialsProvider::ImdsCredentialsProvider(ImdsOptions options)
    : RefreshingCredentialsProvider(options.clock, options.refresh_before),
      options_(std::move(options)),
      endpoint_(TrimEndpoint(options_.endpoint.empty() ? "http://169.254.169.254" : options_.endpoint)) {}

bool ImdsCredentialsProvider::KnownAbsent() {
  absl::MutexLock l(&mu_);
  return clock_->Now() < absent_until_;
}

absl::StatusOr<std::string> ImdsCredentialsProvider::Token(HttpClient& http) {
  {
    absl::MutexLock l(&mu_);
    if (!token_.empty() && clock_->Now() < token_expires_) return token_;
  }
  HttpRequest req;
  req.method = "PUT";
  req.url = absl::StrCat(endpoint_, "/latest/api/token");
  req.headers = {{"x-aws-ec2-metadata-token-ttl-seconds",
                  absl::StrCat(absl::ToInt64Seconds(options_.token_ttl))}};
  HttpResponse resp;
  absl::Status sent = http.Send(req, &resp);
  absl::MutexLock l(&mu_);
  if (!sent.ok()) {
    absent_until_ = clock_->Now() + options_.remember_absence;
    return absl::UnavailableError(absl::StrCat("no answer from ", endpoint_, " within ",
                                               options_.connect_timeout_s, " s (not on EC2?)"));
  }
  if (resp.status != 200 || resp.body.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        endpoint_, " refused an IMDSv2 session token (HTTP ", resp.status,
        "); in a container on EC2 raise the instance's metadata hop limit to 2"));
  }
  token_ = resp.body;
  // Renewed a minute early so a request never carries an expired token.
  token_expires_ = clock_->Now() + options_.token_ttl - absl::Minutes(1);
  return token_;
}

absl::StatusOr<AwsCredentials> ImdsCredentialsProvider::Fetch() {
  HttpOptions h;
  h.connect_timeout_s = options_.connect_timeout_s;
  h.stall_timeout_s = options_.stall_timeout_s;
  HttpClient http(h);
  std::string base = absl::StrCat(endpoint_, "/latest/meta-data/iam/security-credentials/");
  for (int attempt = 0; attempt < 2; ++attempt) {
    ASSIGN_OR_RETURN(std::string token, Token(http));
    HttpRequest req;
    req.method = "GET";
    req.url = base;
    req.headers = {{"x-aws-ec2-metadata-token", token}};
    HttpResponse resp;
    absl::Status sent = http.Send(req, &resp);
    if (!sent.ok()) return absl::UnavailableError(absl::StrCat(endpoint_, ": ", sent.message()));
    if (resp.status == 401) {
      // The session token expired or the instance restarted: a new one.
      absl::MutexLock l(&mu_);
      token_.clear();
      continue;
    }
    if (resp.status == 404) {
      return absl::FailedPreconditionError(
          "this EC2 instance has no IAM role: attach an instance profile with access to the bucket");
    }
    if (resp.status != 200) {
      return absl::FailedPreconditionError(
          absl::StrCat(endpoint_, " answered HTTP ", resp.status, " for the instance's role"));
    }
    std::string role(absl::StripAsciiWhitespace(resp.body.substr(0, resp.body.find('\n'))));
    if (role.empty()) {
      return absl::FailedPreconditionError(
          "this EC2 instance has no IAM role: attach an instance profile with access to the bucket");
    }
    req.url = absl::StrCat(base, role);
    sent = http.Send(req, &resp);
    if (!sent.ok()) return absl::UnavailableError(absl::StrCat(endpoint_, ": ", sent.message()));
    if (resp.status == 401) {
      absl::MutexLock l(&mu_);
      token_.clear();
      continue;
    }
    if (resp.status != 200) {
      return absl::FailedPreconditionError(absl::StrCat(
          endpoint_, " answered HTTP ", resp.status, " for the credentials of role ", role));
    }
    std::string code = JsonStringMember(resp.body, "Code");
    if (!code.empty() && code != "Success") {
      return absl::FailedPreconditionError(
          absl::StrCat("instance metadata has no credentials for role ", role, " (", code, ")"));
    }
    return CredentialsFromJson(resp.body, absl::StrCat("instance metadata for role ", role), clock_);
  }
  return absl::UnavailableError(absl::StrCat(endpoint_, " kept refusing its own session tokens"));
}

// --- shared files ----------------------------------------------------------------

std::string SharedCredentialsPath() {
  std::string f = Env("AWS_SHARED_CREDENTIALS_FILE");
  return f.empty() ? absl::StrCat(Env("HOME"), "/.aws/credentials") : f;
}

std::string SharedConfigPath() {
  std::string f = Env("AWS_CONFIG_FILE");
  return f.empty() ? absl::StrCat(Env("HOME"), "/.aws/config") : f;
}

std::string ChosenProfileName(const std::string& explicit_name) {
  if (!explicit_name.empty()) return explicit_name;
  std::string env = Env("AWS_PROFILE");
  return env.empty() ? "default" : env;
}

absl::StatusOr<AwsProfile> LoadAwsProfile(const std::string& name) {
  AwsProfile p;
  p.name = name;
  auto config = ReadIni(SharedConfigPath());
  if (auto it = config.find(name); it != config.end()) {
    p.found = true;
    p.values = it->second;
  }
  std::string cred_path = SharedCredentialsPath();
  struct stat st;
  if (::stat(cred_path.c_str(), &st) == 0) {
    auto creds = ReadIni(cred_path);
    if (auto it = creds.find(name); it != creds.end()) {
      if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "credentials file ", cred_path, " is accessible by group or others: chmod 600 it"));
      }
      p.found = true;
      // The credentials file wins over the config file, as in the AWS CLI.
      for (const auto& [k, v] : it->second) p.values[k] = v;
    }
  }
  return p;
}

AwsDefaults LoadAwsDefaults(const std::string& profile) {
  AwsDefaults d;
  if (!Env("AWS_REGION").empty()) {
    d.region = Env("AWS_REGION");
    d.region_source = "AWS_REGION";
  } else if (!Env("AWS_DEFAULT_REGION").empty()) {
    d.region = Env("AWS_DEFAULT_REGION");
    d.region_source = "AWS_DEFAULT_REGION";
  }
  std::string name = ChosenProfileName(profile);
  absl::StatusOr<AwsProfile> p = LoadAwsProfile(name);
  if (d.region.empty() && p.ok() && !p->Get("region").empty()) {
    d.region = p->Get("region");
    d.region_source = absl::StrCat("profile ", name);
  }
  d.s3_endpoint = Env("AWS_ENDPOINT_URL_S3");
  if (d.s3_endpoint.empty()) d.s3_endpoint = Env("AWS_ENDPOINT_URL");
  d.sts_endpoint = Env("AWS_ENDPOINT_URL_STS");
  if (d.sts_endpoint.empty()) d.sts_endpoint = Env("AWS_ENDPOINT_URL");
  d.ca_bundle = Env("AWS_CA_BUNDLE");
  if (d.ca_bundle.empty() && p.ok()) d.ca_bundle = p->Get("ca_bundle");
  return d;
}

std::string JsonStringMember(const std::string& json, const std::string& name) {
  std::string quoted = absl::StrCat("\"", name, "\"");
  size_t pos = 0;
  while ((pos = json.find(quoted, pos)) != std::string::npos) {
    size_t i = pos + quoted.size();
    while (i < json.size() && absl::ascii_isspace(json[i])) ++i;
    if (i >= json.size() || json[i] != ':') {
      pos = i;
      continue;
    }
    ++i;
    while (i < json.size() && absl::ascii_isspace(json[i])) ++i;
    if (i >= json.size() || json[i] != '"') return "";
    std::string out;
    for (++i; i < json.size() && json[i] != '"'; ++i) {
      if (json[i] == '\\' && i + 1 < json.size()) {
        char e = json[++i];
        out += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;  // \" \\ \/ as is
      } else {
        out += json[i];
      }
    }
    return out;
  }
  return "";
}

void ResetSharedCredentialSources() {
  absl::MutexLock l(&registry_mu);
  Registry().clear();
}

// --- the chain ---------------------------------------------------------------------

CredentialChain::CredentialChain(ChainOptions options) : options_(std::move(options)) {}

std::string CredentialChain::source() {
  absl::MutexLock l(&mu_);
  return source_;
}

void CredentialChain::Invalidate() {
  absl::MutexLock l(&mu_);
  if (chosen_) chosen_->Invalidate();
}

absl::StatusOr<std::shared_ptr<CredentialsProvider>> CredentialChain::Resolve(
    std::vector<std::string>* tried, std::string* source) {
  // 1. Environment.
  std::string id = Env("AWS_ACCESS_KEY_ID"), secret = Env("AWS_SECRET_ACCESS_KEY");
  if (!id.empty() && !secret.empty()) {
    AwsCredentials c;
    c.access_key_id = id;
    c.secret_access_key = secret;
    c.session_token = Env("AWS_SESSION_TOKEN");
    *source = "environment";
    return std::shared_ptr<CredentialsProvider>(std::make_shared<StaticCredentialsProvider>(c));
  }
  tried->push_back(id.empty() && secret.empty()
                       ? "environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY not set)"
                       : absl::StrCat("environment (only ", id.empty() ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID",
                                      " is set)"));

  std::string profile_name = ChosenProfileName(options_.profile);
  std::string region = !options_.region.empty() ? options_.region : LoadAwsDefaults(profile_name).region;

  // 2. Web identity (EKS IRSA).
  std::string token_file = Env("AWS_WEB_IDENTITY_TOKEN_FILE"), role_arn = Env("AWS_ROLE_ARN");
  if (!token_file.empty() && !role_arn.empty()) {
    *source = "web identity";
    return WebIdentityProvider(token_file, role_arn, Env("AWS_ROLE_SESSION_NAME"), region);
  }
  tried->push_back(token_file.empty() && role_arn.empty()
                       ? "web identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN not set)"
                       : absl::StrCat("web identity (", token_file.empty() ? "AWS_WEB_IDENTITY_TOKEN_FILE" : "AWS_ROLE_ARN",
                                      " not set)"));

  // 3. Shared files.
  ASSIGN_OR_RETURN(AwsProfile profile, LoadAwsProfile(profile_name));
  if (profile.found) {
    ASSIGN_OR_RETURN(std::shared_ptr<CredentialsProvider> p, ProfileProvider(profile, options_, 0));
    if (p) {
      *source = absl::StrCat("profile ", profile_name);
      return p;
    }
    tried->push_back(absl::StrCat("profile ", profile_name, " (no aws_access_key_id/aws_secret_access_key or role_arn)"));
  } else if (!options_.profile.empty() || !Env("AWS_PROFILE").empty()) {
    // A profile asked for by name must exist: using another identity instead
    // would write backups with credentials nobody chose.
    return absl::FailedPreconditionError(absl::StrCat(
        "profile ", profile_name, " is in neither ", SharedCredentialsPath(), " nor ", SharedConfigPath()));
  } else {
    tried->push_back(absl::StrCat("shared files (no profile default in ", SharedCredentialsPath(), " or ",
                                  SharedConfigPath(), ")"));
  }

  // 4. Container (ECS task role, EKS Pod Identity).
  std::string url = ContainerUrl();
  if (!url.empty()) {
    RETURN_IF_ERROR(CheckContainerUrl(url));
    *source = "container";
    return ContainerProvider(url);
  }
  tried->push_back("container (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, _FULL_URI not set)");

  // 5. EC2 instance metadata: it is the last, so its failure is only a note.
  if (IsTrue(Env("AWS_EC2_METADATA_DISABLED"))) {
    tried->push_back("EC2 instance metadata (AWS_EC2_METADATA_DISABLED=true)");
    return std::shared_ptr<CredentialsProvider>();
  }
  std::shared_ptr<ImdsCredentialsProvider> imds = ImdsProvider();
  if (imds->KnownAbsent()) {
    tried->push_back(absl::StrCat("EC2 instance metadata (", imds->endpoint(), " did not answer recently)"));
    return std::shared_ptr<CredentialsProvider>();
  }
  absl::StatusOr<AwsCredentials> c = imds->Get();
  if (!c.ok()) {
    tried->push_back(absl::StrCat("EC2 instance metadata (", c.status().message(), ")"));
    return std::shared_ptr<CredentialsProvider>();
  }
  *source = "EC2 instance metadata";
  return std::shared_ptr<CredentialsProvider>(imds);
}

absl::StatusOr<AwsCredentials> CredentialChain::Get() {
  std::shared_ptr<CredentialsProvider> chosen;
  std::string source;
  {
    absl::MutexLock l(&mu_);
    if (!chosen_) {
      std::vector<std::string> tried;
      absl::StatusOr<std::shared_ptr<CredentialsProvider>> p = Resolve(&tried, &source);
      if (!p.ok()) {
        return absl::Status(p.status().code(), absl::StrCat("S3 credentials on ", options_.where, ": ",
                                                            p.status().message()));
      }
      if (!*p) {
        return absl::FailedPreconditionError(absl::StrCat(
            "no S3 credentials on ", options_.where, "; tried ", absl::StrJoin(tried, "; "),
            ". Give it an IAM role (EC2 instance profile, EKS IRSA or Pod Identity, ECS task role), "
            "a profile in ", SharedCredentialsPath(), ", or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; "
            "or give the storage a credentials reference"));
      }
      chosen_ = *p;
      source_ = source;
      LogInfo("s3", "S3 credentials from ", source);
    }
    chosen = chosen_;
    source = source_;
  }
  absl::StatusOr<AwsCredentials> c = chosen->Get();
  if (!c.ok()) {
    return absl::Status(c.status().code(),
                        absl::StrCat("S3 credentials from ", source, ": ", c.status().message()));
  }
  return c;
}

}  // namespace dbdump
