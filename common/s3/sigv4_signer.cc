#include "common/s3/sigv4_signer.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace dbdump {
namespace {

std::string Hmac(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Digest(const EVP_MD* md, const char* data, size_t n) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data, n, out, &len, md, nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

// Trims and collapses inner runs of spaces, as SigV4 canonical headers want.
std::string CanonicalValue(const std::string& v) {
  std::string out;
  bool space = false;
  for (char c : absl::StripAsciiWhitespace(v)) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

// The canonical query string: names and values encoded, sorted by name
// (then value) in byte order, joined with '&'.
std::string CanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> q;
  for (const auto& [k, v] : query) q.emplace_back(UriEncode(k, false), UriEncode(v, false));
  std::sort(q.begin(), q.end());
  std::vector<std::string> parts;
  for (const auto& [k, v] : q) parts.push_back(absl::StrCat(k, "=", v));
  return absl::StrJoin(parts, "&");
}

}  // namespace

std::string UriEncode(const std::string& s, bool keep_slash) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string HexSha256(const char* data, size_t n) {
  return absl::BytesToHexString(Digest(EVP_sha256(), data, n));
}

std::string HexSha256(const std::string& data) { return HexSha256(data.data(), data.size()); }

std::string Base64Md5(const char* data, size_t n) {
  return absl::Base64Escape(Digest(EVP_md5(), data, n));
}

std::string SigV4Signer::Scope(const std::string& date) const {
  return absl::StrCat(date, "/", region_, "/", service_, "/aws4_request");
}

std::string SigV4Signer::Signature(const AwsCredentials& creds, const std::string& date,
                                   const std::string& string_to_sign) const {
  std::string key = Hmac(absl::StrCat("AWS4", creds.secret_access_key), date);
  key = Hmac(key, region_);
  key = Hmac(key, service_);
  key = Hmac(key, "aws4_request");
  return absl::BytesToHexString(Hmac(key, string_to_sign));
}

SignedRequest SigV4Signer::Sign(const SignableRequest& req, const AwsCredentials& creds,
                                absl::Time now) const {
  SignedRequest out;
  std::string amz_date = absl::FormatTime("%Y%m%dT%H%M%SZ", now, absl::UTCTimeZone());
  std::string date = amz_date.substr(0, 8);

  out.encoded_path = UriEncode(req.path.empty() ? "/" : req.path, /*keep_slash=*/true);
  out.encoded_query = CanonicalQuery(req.query);

  std::vector<std::pair<std::string, std::string>> h;
  for (const auto& [k, v] : req.headers) h.emplace_back(absl::AsciiStrToLower(k), CanonicalValue(v));
  h.emplace_back("host", req.host);
  h.emplace_back("x-amz-date", amz_date);
  if (service_ == "s3") h.emplace_back("x-amz-content-sha256", req.payload_sha256);
  if (!creds.session_token.empty()) h.emplace_back("x-amz-security-token", creds.session_token);
  std::sort(h.begin(), h.end());

  std::string canonical_headers, signed_headers;
  for (const auto& [k, v] : h) {
    absl::StrAppend(&canonical_headers, k, ":", v, "\n");
    absl::StrAppend(&signed_headers, signed_headers.empty() ? "" : ";", k);
  }
  out.canonical_request = absl::StrCat(req.method, "\n", out.encoded_path, "\n", out.encoded_query,
                                       "\n", canonical_headers, "\n", signed_headers, "\n",
                                       req.payload_sha256);
  std::string scope = Scope(date);
  out.string_to_sign = absl::StrCat("AWS4-HMAC-SHA256\n", amz_date, "\n", scope, "\n",
                                    HexSha256(out.canonical_request));
  std::string signature = Signature(creds, date, out.string_to_sign);

  out.headers = h;
  out.headers.emplace_back(
      "authorization", absl::StrCat("AWS4-HMAC-SHA256 Credential=", creds.access_key_id, "/", scope,
                                    ", SignedHeaders=", signed_headers, ", Signature=", signature));
  return out;
}

PresignedRequest SigV4Signer::Presign(const SignableRequest& req, const AwsCredentials& creds,
                                      absl::Time now, absl::Duration expires) const {
  PresignedRequest out;
  std::string amz_date = absl::FormatTime("%Y%m%dT%H%M%SZ", now, absl::UTCTimeZone());
  std::string date = amz_date.substr(0, 8);
  // S3 accepts 1 second to 7 days.
  int64_t expires_s = std::clamp<int64_t>(absl::ToInt64Seconds(expires), 1, 7 * 24 * 3600);

  out.encoded_path = UriEncode(req.path.empty() ? "/" : req.path, /*keep_slash=*/true);
  std::vector<std::pair<std::string, std::string>> query = req.query;
  query.emplace_back("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
  query.emplace_back("X-Amz-Credential", absl::StrCat(creds.access_key_id, "/", Scope(date)));
  query.emplace_back("X-Amz-Date", amz_date);
  query.emplace_back("X-Amz-Expires", absl::StrCat(expires_s));
  query.emplace_back("X-Amz-SignedHeaders", "host");
  // S3 wants the token signed with the rest of the query (some services
  // add it after signing; S3 is not one of them).
  if (!creds.session_token.empty()) query.emplace_back("X-Amz-Security-Token", creds.session_token);
  std::string canonical_query = CanonicalQuery(query);

  out.canonical_request = absl::StrCat(req.method, "\n", out.encoded_path, "\n", canonical_query,
                                       "\nhost:", req.host, "\n\nhost\nUNSIGNED-PAYLOAD");
  out.string_to_sign = absl::StrCat("AWS4-HMAC-SHA256\n", amz_date, "\n", Scope(date), "\n",
                                    HexSha256(out.canonical_request));
  out.encoded_query = absl::StrCat(canonical_query, "&X-Amz-Signature=",
                                   Signature(creds, date, out.string_to_sign));
  return out;
}

}  // namespace dbdump
