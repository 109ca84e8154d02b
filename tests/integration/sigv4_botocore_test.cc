// The SigV4 signer against botocore (the AWS SDK for Python) for the same
// requests: odd keys (spaces, unicode, '+', '=', '%'), query strings, session
// tokens, extra signed headers. tests/fixtures/sigv4_reference.py asks
// botocore what it signs.
#include <cstdio>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "common/s3/sigv4_signer.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {

struct Case {
  std::string method, host, path;
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload, token, region;
};

std::string JsonString(const std::string& s) {
  google::protobuf::Value v;
  v.set_string_value(s);
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(v, &out);
  return out;
}

// Runs the reference with `input` JSON; returns its output parsed.
google::protobuf::Struct Reference(const std::string& input) {
  std::string path = absl::StrCat(testing::TempDir(), "/sigv4-in.json");
  FILE* f = fopen(path.c_str(), "w");
  fwrite(input.data(), 1, input.size(), f);
  fclose(f);
  std::string cmd = absl::StrCat("python3 ", DBDUMP_FIXTURES_DIR, "/sigv4_reference.py < ", path);
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  EXPECT_EQ(pclose(p), 0) << out;
  google::protobuf::Struct s;
  auto st = google::protobuf::util::JsonStringToMessage(out, &s);
  EXPECT_TRUE(st.ok()) << out;
  return s;
}

TEST(SigV4BotocoreTest, SameSignatureAsBotocore) {
  std::vector<Case> cases = {
      {"GET", "127.0.0.1:9000", "/bucket/plain.txt", {}, {}, "", "", "us-east-1"},
      {"PUT", "127.0.0.1:9000", "/bucket/db/with space/ünïcødé+plus=eq%pct~tilde.bin",
       {{"partNumber", "7"}, {"uploadId", "abc/def+ghi=="}},
       {{"content-md5", "1B2M2Y8AsgTpgAmY7PhCfg=="}}, "UNSIGNED-PAYLOAD", "", "us-east-1"},
      {"GET", "bucket.s3.eu-west-1.amazonaws.com", "/",
       {{"list-type", "2"}, {"prefix", "a b/c+d"}, {"continuation-token", "tok=="}}, {},
       "", "FwoGZXIvYXdzE+/session=token", "eu-west-1"},
      {"POST", "127.0.0.1:9000", "/bucket/key", {{"uploads", ""}},
       {{"x-amz-server-side-encryption", "aws:kms"}, {"content-type", "application/xml"}},
       "", "", "us-east-1"},
  };
  for (const Case& c : cases) {
    AwsCredentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", c.token,
                         absl::InfiniteFuture()};
    SignableRequest r;
    r.method = c.method;
    r.host = c.host;
    r.path = c.path;
    r.query = c.query;
    r.headers = c.headers;
    r.payload_sha256 = c.payload.empty() ? HexSha256("body") : c.payload;
    absl::Time now = absl::FromCivil(absl::CivilSecond(2026, 1, 15, 2, 0, 0), absl::UTCTimeZone());
    SignedRequest s = SigV4Signer(c.region, "s3").Sign(r, creds, now);

    std::string headers = absl::StrCat("{\"Host\": ", JsonString(c.host));
    for (const auto& [k, v] : c.headers) absl::StrAppend(&headers, ", ", JsonString(k), ": ", JsonString(v));
    headers += "}";
    std::string url = absl::StrCat("http://", c.host, s.encoded_path,
                                   s.encoded_query.empty() ? "" : "?", s.encoded_query);
    std::string input = absl::StrCat(
        "{\"method\": ", JsonString(c.method), ", \"url\": ", JsonString(url), ", \"headers\": ",
        headers, ", \"payload_sha256\": ", JsonString(r.payload_sha256),
        ", \"access_key\": \"AKIDEXAMPLE\", \"secret_key\": ", JsonString(creds.secret_access_key),
        c.token.empty() ? "" : absl::StrCat(", \"session_token\": ", JsonString(c.token)),
        ", \"region\": ", JsonString(c.region), ", \"service\": \"s3\", \"amz_date\": \"20260115T020000Z\"}");
    google::protobuf::Struct ref = Reference(input);
    std::string auth;
    for (const auto& [k, v] : s.headers) {
      if (k == "authorization") auth = v;
    }
    EXPECT_EQ(s.canonical_request, ref.fields().at("canonical_request").string_value()) << c.path;
    EXPECT_EQ(auth, ref.fields().at("authorization").string_value()) << c.path;
  }
}

}  // namespace
}  // namespace dbdump
