// The age header: serialization, parsing (whole and in pieces), the MAC.
#include "common/crypto/age_header.h"

#include "gtest/gtest.h"

namespace dbdump {
namespace {

const std::string kFileKey(16, '\x42');

AgeStanza Stanza(std::string type, std::vector<std::string> args, size_t body_bytes) {
  AgeStanza s;
  s.type = std::move(type);
  s.args = std::move(args);
  for (size_t i = 0; i < body_bytes; ++i) s.body.push_back(static_cast<char>(i * 7 + 1));
  return s;
}

TEST(AgeHeaderTest, SerializesAsTheSpecWritesIt) {
  auto h = SerializeAgeHeader({Stanza("X25519", {"abc"}, 32)}, kFileKey);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->substr(0, 22), "age-encryption.org/v1\n");
  EXPECT_NE(h->find("\n-> X25519 abc\n"), std::string::npos);
  // "--- " + 43 base64 characters + newline closes it.
  size_t mac = h->find("\n--- ");
  ASSERT_NE(mac, std::string::npos);
  EXPECT_EQ(h->size(), mac + 5 + 43 + 1);
}

TEST(AgeHeaderTest, BodyOfExactlyOneLineIsFollowedByAnEmptyLine) {
  // 48 bytes are 64 base64 columns: a full line, then an empty one.
  auto h = SerializeAgeHeader({Stanza("test", {}, 48)}, kFileKey);
  ASSERT_TRUE(h.ok());
  size_t start = h->find("-> test\n") + 8;
  EXPECT_EQ(h->substr(start + 64, 2), "\n\n");
  auto parsed = ParseAgeHeader(*h);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_TRUE(parsed->has_value());
  EXPECT_EQ((*parsed)->stanzas[0].body.size(), 48u);
}

TEST(AgeHeaderTest, ParsesRoundTripAndWaitsForMore) {
  std::vector<AgeStanza> in = {Stanza("X25519", {"a1", "b2"}, 32), Stanza("other", {}, 100),
                               Stanza("empty", {"x"}, 0)};
  auto h = SerializeAgeHeader(in, kFileKey);
  ASSERT_TRUE(h.ok());
  std::string with_payload = *h + "PAYLOAD";
  for (size_t cut = 0; cut < h->size(); ++cut) {
    auto partial = ParseAgeHeader(absl::string_view(*h).substr(0, cut));
    ASSERT_TRUE(partial.ok()) << cut << ": " << partial.status();
    EXPECT_FALSE(partial->has_value()) << cut;
  }
  auto parsed = ParseAgeHeader(with_payload);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_TRUE(parsed->has_value());
  const AgeHeader& got = **parsed;
  EXPECT_EQ(got.length, h->size());
  ASSERT_EQ(got.stanzas.size(), 3u);
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(got.stanzas[i].type, in[i].type);
    EXPECT_EQ(got.stanzas[i].args, in[i].args);
    EXPECT_EQ(got.stanzas[i].body, in[i].body);
  }
  EXPECT_TRUE(CheckAgeHeaderMac(got, kFileKey).ok());
  EXPECT_FALSE(CheckAgeHeaderMac(got, std::string(16, '\x43')).ok());
}

TEST(AgeHeaderTest, AnyChangedByteFailsParsingOrTheMac) {
  auto h = SerializeAgeHeader({Stanza("X25519", {"abc"}, 32)}, kFileKey);
  ASSERT_TRUE(h.ok());
  for (size_t i = 0; i < h->size() - 1; ++i) {
    std::string changed = *h;
    changed[i] ^= 0x01;
    auto parsed = ParseAgeHeader(changed);
    if (!parsed.ok() || !parsed->has_value()) continue;  // refused as malformed (or waiting)
    EXPECT_FALSE(CheckAgeHeaderMac(**parsed, kFileKey).ok()) << "byte " << i;
  }
}

TEST(AgeHeaderTest, RefusesMalformedHeaders) {
  auto refused = [](const std::string& s) {
    auto p = ParseAgeHeader(s);
    return !p.ok();
  };
  EXPECT_TRUE(refused("age-encryption.org/v2\n"));
  EXPECT_TRUE(refused("PGDMP\x01\x0e"));  // not age at all: refused at once
  EXPECT_TRUE(refused("-----BEGIN AGE ENCRYPTED FILE-----\n"));
  EXPECT_TRUE(refused("age-encryption.org/v1\n--- AAAA\n"));     // no stanza, short MAC
  EXPECT_TRUE(refused("age-encryption.org/v1\n->  x\n\n--- x\n"));  // empty argument
  // Non-canonical base64 (the last character carries non-zero spare bits).
  EXPECT_TRUE(refused("age-encryption.org/v1\n-> x\nAB\n--- "
                      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"));
  // Padding is not allowed.
  EXPECT_TRUE(refused("age-encryption.org/v1\n-> x\nAA==\n--- "
                      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"));
  std::string endless = "age-encryption.org/v1\n-> x\n";
  while (endless.size() <= kMaxAgeHeaderBytes) endless += std::string(64, 'A') + "\n";
  auto big = ParseAgeHeader(endless);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("larger than"), std::string::npos);
}

}  // namespace
}  // namespace dbdump
