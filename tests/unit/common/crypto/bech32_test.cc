// Bech32 and the age key encodings built on it.
#include "common/crypto/bech32.h"

#include "absl/strings/ascii.h"
#include "common/crypto/age_keys.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {

TEST(Bech32Test, DecodesBip173ValidStrings) {
  for (const char* s : {"A12UEL5L", "a12uel5l",
                        "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
                        "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w"}) {
    EXPECT_TRUE(Bech32Decode(s).ok()) << s;
  }
}

TEST(Bech32Test, RefusesBadChecksumMixedCaseAndBadCharacters) {
  EXPECT_FALSE(Bech32Decode("a12uel5m").ok());          // checksum
  EXPECT_FALSE(Bech32Decode("A12uEL5L").ok());          // mixed case
  EXPECT_FALSE(Bech32Decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxb").ok());  // 'b'
  EXPECT_FALSE(Bech32Decode("pzry9x0s0muk").ok());      // no separator
}

TEST(Bech32Test, RoundTripsBytesWithoutALengthLimit) {
  std::vector<uint8_t> data(100);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 37);
  std::string s = Bech32Encode("test", data);
  EXPECT_GT(s.size(), 90u);
  auto v = Bech32Decode(s);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->hrp, "test");
  EXPECT_EQ(v->data, data);
}

TEST(AgeKeysTest, RecipientRoundTripAndChecks) {
  auto id = GenerateAgeIdentity();
  ASSERT_TRUE(id.ok());
  auto pub = AgeRecipientOf(*id);
  ASSERT_TRUE(pub.ok());
  std::string text = FormatAgeRecipient(*pub);
  EXPECT_EQ(text.substr(0, 4), "age1");
  EXPECT_EQ(text.size(), 62u);
  auto back = ParseAgeRecipient(text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, *pub);

  std::string flipped = text;
  flipped[10] = flipped[10] == 'q' ? 'p' : 'q';
  auto bad = ParseAgeRecipient(flipped);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("checksum"), std::string::npos) << bad.status();
  // Wrong HRP, wrong length, an identity in place of a recipient.
  EXPECT_FALSE(ParseAgeRecipient(Bech32Encode("agx", std::vector<uint8_t>(32, 1))).ok());
  auto short_key = ParseAgeRecipient(Bech32Encode("age", std::vector<uint8_t>(31, 1)));
  ASSERT_FALSE(short_key.ok());
  EXPECT_NE(short_key.status().message().find("31 bytes"), std::string::npos);
  // An identity given as a recipient is refused without repeating it.
  std::string secret = FormatAgeIdentity(*id);
  auto mistaken = ParseAgeRecipient(secret);
  ASSERT_FALSE(mistaken.ok());
  EXPECT_EQ(mistaken.status().message().find(secret.substr(16, 20)), std::string::npos)
      << mistaken.status();
  EXPECT_FALSE(ParseAgeRecipient(absl::AsciiStrToUpper(text)).ok());
}

TEST(AgeKeysTest, IdentityFileWithCommentsParsesAndErrorsNeverQuoteIt) {
  auto id = GenerateAgeIdentity();
  ASSERT_TRUE(id.ok());
  std::string secret = FormatAgeIdentity(*id);
  EXPECT_EQ(secret.substr(0, 16), "AGE-SECRET-KEY-1");
  auto keys = ParseAgeIdentities("# created: now\n# public key: age1xyz\n\n" + secret + "\n");
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->identities.size(), 1u);
  EXPECT_EQ(keys->identities[0], *id);

  std::string broken = secret;
  broken[20] = broken[20] == 'Q' ? 'P' : 'Q';
  auto bad = ParseAgeIdentities(broken + "\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find(broken.substr(16)), std::string::npos);
  EXPECT_FALSE(ParseAgeIdentities("# nothing here\n").ok());
}

}  // namespace
}  // namespace dbdump
