#include "common/security/secret_token.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {

TEST(SecretTokenTest, ShapeIsPrefixAndBase64Url) {
  for (const char* prefix : {"dbdt_", "dbdj_", ""}) {
    std::string token = NewSecretToken(prefix);
    EXPECT_TRUE(absl::StartsWith(token, prefix)) << token;
    ASSERT_EQ(token.size(), strlen(prefix) + 43) << token;
    for (char c : token.substr(strlen(prefix))) {
      EXPECT_TRUE(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')
          << token;
    }
    EXPECT_TRUE(LooksLikeToken(token, prefix)) << token;
  }
}

TEST(SecretTokenTest, TokensAreUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(NewSecretToken("dbdt_"));
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(SecretTokenTest, LooksLikeTokenRefusesOtherShapes) {
  std::string token = NewSecretToken("dbdt_");
  EXPECT_FALSE(LooksLikeToken(token, "dbdj_"));
  EXPECT_FALSE(LooksLikeToken(token.substr(0, token.size() - 1), "dbdt_"));
  EXPECT_FALSE(LooksLikeToken(token + "A", "dbdt_"));
  EXPECT_FALSE(LooksLikeToken(token.substr(5), "dbdt_"));
  EXPECT_FALSE(LooksLikeToken("", "dbdt_"));
  for (char bad : {'+', '/', '=', ' ', '.', '\0', '\n'}) {
    std::string t = token;
    t[10] = bad;
    EXPECT_FALSE(LooksLikeToken(t, "dbdt_")) << static_cast<int>(bad);
  }
}

TEST(SecretTokenTest, TokenHashIsStableAndDiffers) {
  std::string a = NewSecretToken("dbdt_");
  std::string b = NewSecretToken("dbdt_");
  EXPECT_EQ(TokenHash(a), TokenHash(a));
  EXPECT_NE(TokenHash(a), TokenHash(b));
  EXPECT_TRUE(absl::StartsWith(TokenHash(a), "sha256:"));
  EXPECT_EQ(TokenHash(a).size(), 7u + 64u);
  EXPECT_EQ(TokenHash(a), absl::AsciiStrToLower(TokenHash(a)));
  // Known answer: SHA-256 of "abc".
  EXPECT_EQ(TokenHash("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace dbdump
