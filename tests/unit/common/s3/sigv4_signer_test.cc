#include "common/s3/sigv4_signer.h"

#include "absl/strings/str_cat.h"
#include "common/s3/xml_document.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {

absl::Time At(int y, int m, int d, int hh) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, 0, 0), absl::UTCTimeZone());
}

std::string Header(const SignedRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

// The "GET Object" example of AWS's Signature Version 4 documentation for S3,
// with its published signature.
TEST(SigV4SignerTest, MatchesTheAwsDocumentationExample) {
  AwsCredentials c;
  c.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  SignableRequest r;
  r.method = "GET";
  r.host = "examplebucket.s3.amazonaws.com";
  r.path = "/test.txt";
  r.headers = {{"range", "bytes=0-9"}};
  r.payload_sha256 = HexSha256("");
  SignedRequest s = SigV4Signer("us-east-1", "s3").Sign(r, c, At(2013, 5, 24, 0));
  EXPECT_EQ(Header(s, "authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(s.canonical_request,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(SigV4SignerTest, EncodesOddKeysAndSortsQuery) {
  AwsCredentials c{"AK", "SECRET", "TOKEN+/=", absl::InfiniteFuture()};
  SignableRequest r;
  r.method = "PUT";
  r.host = "127.0.0.1:9000";
  r.path = "/bucket/a b/ü+=%~.x";
  r.query = {{"uploadId", "x/y+z"}, {"partNumber", "3"}, {"uploads", ""}};
  r.payload_sha256 = "UNSIGNED-PAYLOAD";
  SignedRequest s = SigV4Signer("eu-west-1", "s3").Sign(r, c, At(2026, 1, 15, 2));
  EXPECT_EQ(s.encoded_path, "/bucket/a%20b/%C3%BC%2B%3D%25~.x");
  EXPECT_EQ(s.encoded_query, "partNumber=3&uploadId=x%2Fy%2Bz&uploads=");
  EXPECT_EQ(Header(s, "x-amz-security-token"), "TOKEN+/=");
  EXPECT_NE(Header(s, "authorization").find("x-amz-security-token"), std::string::npos);
  EXPECT_EQ(Header(s, "authorization").find("SECRET"), std::string::npos);
}

// The presigned-URL example of AWS's "Authenticating Requests: Using Query
// Parameters (AWS Signature Version 4)": GET examplebucket/test.txt for
// 86400 s from 20130524T000000Z, with the published canonical request, its
// hash in the string to sign, the signature and the whole URL.
TEST(SigV4SignerTest, PresignMatchesTheAwsDocumentationExample) {
  AwsCredentials c;
  c.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  SignableRequest r;
  r.method = "GET";
  r.host = "examplebucket.s3.amazonaws.com";
  r.path = "/test.txt";
  PresignedRequest p =
      SigV4Signer("us-east-1", "s3").Presign(r, c, At(2013, 5, 24, 0), absl::Hours(24));
  EXPECT_EQ(p.canonical_request,
            "GET\n/test.txt\n"
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2F"
            "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
            "X-Amz-SignedHeaders=host\nhost:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD");
  EXPECT_EQ(p.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04");
  EXPECT_EQ(absl::StrCat("https://", r.host, p.encoded_path, "?", p.encoded_query),
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&"
            "X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&"
            "X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&"
            "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

// Temporary credentials: the token is a signed query parameter (encoded,
// in sorted place), the secret appears nowhere, the expiry is bounded.
TEST(SigV4SignerTest, PresignSignsTheSessionTokenAndBoundsTheExpiry) {
  AwsCredentials c{"ASIATEMP", "SECRET", "TOKEN+/=", absl::InfiniteFuture()};
  SignableRequest r;
  r.method = "GET";
  r.host = "127.0.0.1:9000";
  r.path = "/bucket/orders/20260115T020000Z-ab12/dump.pgdump.zst";
  SigV4Signer signer("eu-west-1", "s3");
  PresignedRequest p = signer.Presign(r, c, At(2026, 1, 15, 2), absl::Seconds(300));
  EXPECT_NE(p.encoded_query.find("&X-Amz-Security-Token=TOKEN%2B%2F%3D&X-Amz-SignedHeaders=host&"
                                 "X-Amz-Signature="),
            std::string::npos)
      << p.encoded_query;
  EXPECT_NE(p.canonical_request.find("X-Amz-Security-Token=TOKEN%2B%2F%3D"), std::string::npos);
  EXPECT_NE(p.encoded_query.find("X-Amz-Expires=300&"), std::string::npos);
  EXPECT_NE(p.encoded_query.find("X-Amz-Credential=ASIATEMP%2F20260115%2Feu-west-1%2Fs3%2F"),
            std::string::npos);
  EXPECT_EQ(p.encoded_query.find("SECRET"), std::string::npos);
  EXPECT_EQ(p.encoded_path, r.path);
  // A different token is a different signature: the token is signed.
  c.session_token = "TOKEN2";
  PresignedRequest other = signer.Presign(r, c, At(2026, 1, 15, 2), absl::Seconds(300));
  EXPECT_NE(p.encoded_query.substr(p.encoded_query.rfind('=')),
            other.encoded_query.substr(other.encoded_query.rfind('=')));
  EXPECT_NE(signer.Presign(r, c, At(2026, 1, 15, 2), absl::Hours(24 * 30))
                .encoded_query.find("X-Amz-Expires=604800&"),
            std::string::npos);
}

TEST(XmlReaderTest, ReadsValuesAndRecords) {
  std::string xml =
      "<?xml version=\"1.0\"?><ListBucketResult><IsTruncated>false</IsTruncated>"
      "<Contents><Key>a&amp;b &lt;c&gt; &#252;</Key><Size>3</Size></Contents>"
      "<Contents><Key>d</Key><Size>40</Size></Contents></ListBucketResult>";
  XmlDocument doc(xml);
  auto records = doc.Elements("Contents");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].Value("Key"), "a&b <c> \xC3\xBC");
  EXPECT_EQ(records[1].Value("Size"), "40");
  EXPECT_EQ(doc.Value("IsTruncated"), "false");
  EXPECT_EQ(doc.Value("Missing"), "");
  EXPECT_EQ(XmlEscape("a<&>\"'"), "a&lt;&amp;&gt;&quot;&apos;");
}

TEST(XmlReaderTest, ReadsErrorAnswersAndBodiesThatAreNotXml) {
  // S3 puts <Code> under <Error>, STS under <ErrorResponse><Error>.
  XmlDocument s3("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>"
                 "<Message>The specified key does not exist.</Message></Error>");
  EXPECT_TRUE(s3.Has("Error"));
  EXPECT_EQ(s3.Value("Code"), "NoSuchKey");
  EXPECT_EQ(s3.Value("Message"), "The specified key does not exist.");
  XmlDocument sts("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
                  "<Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message></Error>"
                  "</ErrorResponse>");
  EXPECT_EQ(sts.Value("Code"), "AccessDenied");
  // A proxy's HTML page, an empty body, a body cut short.
  EXPECT_EQ(XmlDocument("<html><body>502 Bad Gateway</body></html>").Value("Code"), "");
  EXPECT_EQ(XmlDocument("").Value("Code"), "");
  EXPECT_FALSE(XmlDocument("").Has("Error"));
  EXPECT_EQ(XmlDocument("<Error><Code>SlowDown</Code><Message>Plea").Value("Code"), "SlowDown");
}

}  // namespace
}  // namespace dbdump
