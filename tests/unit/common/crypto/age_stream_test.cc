// The STREAM payload: chunk boundaries, the last-chunk flag, and every kind
// of damage refused (our writer against our reader; the real `age` tool is
// in tests/integration/age_interop_test.cc).
#include "common/crypto/age_stream.h"

#include <memory>

#include "common/crypto/age_header.h"
#include "common/crypto/age_primitives.h"
#include "common/crypto/age_stanza.h"
#include "common/io/memory_io.h"
#include "common/io/filter_chain.h"
#include "gtest/gtest.h"
#include "tests/fakes/string_io.h"

namespace dbdump {
namespace {

struct Pair {
  std::shared_ptr<AgeEncryptKeys> enc = std::make_shared<AgeEncryptKeys>();
  std::shared_ptr<AgeDecryptKeys> dec = std::make_shared<AgeDecryptKeys>();
};

Pair X25519Pair() {
  Pair p;
  AgeKey id = *GenerateAgeIdentity();
  p.enc->recipients.push_back(*AgeRecipientOf(id));
  p.dec->identities.push_back(id);
  return p;
}

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131) ^ (i >> 8));
  return s;
}

// Encrypts `plain`, written in pieces of `piece` bytes.
std::string Encrypt(const AgeEncryptKeys& keys, const std::string& plain, size_t piece) {
  StringSink out;
  auto sink = AgeEncryptSink::Create(keys, &out);
  EXPECT_TRUE(sink.ok()) << sink.status();
  for (size_t i = 0; i < plain.size(); i += piece) {
    EXPECT_TRUE((*sink)->Write(plain.data() + i, std::min(piece, plain.size() - i)).ok());
  }
  EXPECT_TRUE((*sink)->Finish().ok());
  EXPECT_EQ(out.finished, 1);
  return out.data;
}

// Decrypts `sealed` in pieces; the first error, or OK.
absl::Status Decrypt(std::shared_ptr<const AgeDecryptKeys> keys, const std::string& sealed,
                     size_t piece, StringSink* out) {
  AgeDecryptSink sink(std::move(keys), out);
  for (size_t i = 0; i < sealed.size(); i += piece) {
    absl::Status st = sink.Write(sealed.data() + i, std::min(piece, sealed.size() - i));
    if (!st.ok()) return st;
  }
  return sink.Finish();
}

size_t HeaderAndNonce(const std::string& sealed) {
  auto h = ParseAgeHeader(sealed);
  EXPECT_TRUE(h.ok() && h->has_value());
  return (*h)->length + 16;
}

TEST(AgeStreamTest, ChunkEdgesRoundTripWithExactSizes) {
  Pair keys = X25519Pair();
  struct Case {
    size_t plain;
    size_t payload;  // sealed bytes after header and nonce
  };
  const size_t c = kAgeChunkBytes;
  for (Case k : {Case{0, 16}, Case{1, 17}, Case{c - 1, c + 15}, Case{c, c + 16},
                 Case{c + 1, (c + 16) + 17}, Case{2 * c, 2 * (c + 16)},
                 Case{3 * c + 5, 3 * (c + 16) + 21}}) {
    std::string plain = Pattern(k.plain);
    for (size_t piece : {size_t{1} << 20, c, size_t{7}}) {
      if (piece == 7 && k.plain > 2 * c) continue;  // slow and adds nothing
      std::string sealed = Encrypt(*keys.enc, plain, piece);
      EXPECT_EQ(sealed.size() - HeaderAndNonce(sealed), k.payload) << k.plain;
      for (size_t rpiece : {size_t{1} << 20, c + 16, size_t{13}}) {
        if (rpiece == 13 && k.plain > 2 * c) continue;
        StringSink out;
        absl::Status st = Decrypt(keys.dec, sealed, rpiece, &out);
        ASSERT_TRUE(st.ok()) << k.plain << " " << piece << "/" << rpiece << ": " << st;
        EXPECT_EQ(out.data, plain);
        EXPECT_EQ(out.finished, 1);
      }
    }
  }
}

TEST(AgeStreamTest, EachOfSeveralRecipientsDecryptsAlone) {
  AgeEncryptKeys enc;
  std::vector<AgeKey> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(*GenerateAgeIdentity());
    enc.recipients.push_back(*AgeRecipientOf(ids.back()));
  }
  std::string plain = Pattern(100000);
  std::string sealed = Encrypt(enc, plain, 4096);
  for (const AgeKey& id : ids) {
    auto dec = std::make_shared<AgeDecryptKeys>();
    dec->identities.push_back(id);
    StringSink out;
    ASSERT_TRUE(Decrypt(dec, sealed, 1 << 20, &out).ok());
    EXPECT_EQ(out.data, plain);
  }
}

TEST(AgeStreamTest, WrongIdentityIsRefusedBeforeAnyPlaintext) {
  Pair keys = X25519Pair();
  std::string sealed = Encrypt(*keys.enc, Pattern(200000), 1 << 20);
  auto other = std::make_shared<AgeDecryptKeys>();
  other->identities.push_back(*GenerateAgeIdentity());
  StringSink out;
  absl::Status st = Decrypt(other, sealed, 1 << 20, &out);
  EXPECT_TRUE(absl::IsPermissionDenied(st)) << st;
  EXPECT_TRUE(out.data.empty());
  MemorySource src(sealed);
  EXPECT_TRUE(absl::IsPermissionDenied(CheckAgeKeysOpen(&src, *other)));
  MemorySource again(sealed);
  EXPECT_TRUE(CheckAgeKeysOpen(&again, *keys.dec).ok());
}

TEST(AgeStreamTest, DamageIsRefused) {
  Pair keys = X25519Pair();
  const size_t c = kAgeSealedChunkBytes;
  std::string plain = Pattern(3 * kAgeChunkBytes + 100);
  std::string sealed = Encrypt(*keys.enc, plain, 1 << 20);
  size_t start = HeaderAndNonce(sealed);
  ASSERT_EQ(sealed.size(), start + 3 * c + 116);
  auto refused = [&](const std::string& bad, const std::string& what) {
    StringSink out;
    absl::Status st = Decrypt(keys.dec, bad, 1 << 20, &out);
    EXPECT_FALSE(st.ok()) << what;
    // Nothing past the damage came out; the end was never reached.
    EXPECT_EQ(out.finished, 0) << what;
    return st;
  };
  std::string header_flip = sealed;
  header_flip[30] ^= 0x04;  // inside the stanza
  refused(header_flip, "stanza byte");
  std::string mac_flip = sealed;
  mac_flip[start - 16 - 5] ^= 0x01;  // inside the MAC's base64
  refused(mac_flip, "mac byte");
  std::string nonce_flip = sealed;
  nonce_flip[start - 3] ^= 0x01;
  refused(nonce_flip, "payload nonce");
  std::string chunk_flip = sealed;
  chunk_flip[start + c + 500] ^= 0x01;
  EXPECT_NE(refused(chunk_flip, "chunk byte").message().find("chunk 1"), std::string::npos);
  std::string swapped = sealed.substr(0, start) + sealed.substr(start + c, c) +
                        sealed.substr(start, c) + sealed.substr(start + 2 * c);
  refused(swapped, "swapped chunks");
  // Cut at a chunk boundary: the last remaining chunk was not sealed as last.
  EXPECT_NE(refused(sealed.substr(0, start + 2 * c), "cut at boundary").message().find("truncated"),
            std::string::npos);
  refused(sealed.substr(0, sealed.size() - 1), "last byte missing");
  refused(sealed.substr(0, start + 10), "cut in the first chunk");
  refused(sealed.substr(0, start), "no chunk at all");
  refused(sealed.substr(0, 40), "cut in the header");
  refused(sealed + std::string(16, '\0'), "extra bytes after the last chunk");
}

TEST(AgeStreamTest, EmptyLastChunkAfterDataIsRefused) {
  // What the spec forbids: a full chunk sealed as not-last, then an empty
  // last chunk. Built by hand from the primitives.
  AgeKey id = *GenerateAgeIdentity();
  std::string file_key(16, '\x11');
  auto stanza = WrapX25519(*AgeRecipientOf(id), file_key);
  ASSERT_TRUE(stanza.ok());
  auto header = SerializeAgeHeader({*stanza}, file_key);
  ASSERT_TRUE(header.ok());
  std::string nonce(16, '\x22');
  auto payload_key = age::Hkdf(file_key, nonce, "payload");
  ASSERT_TRUE(payload_key.ok());
  auto seal = [&](uint64_t counter, bool last, const std::string& plain) {
    uint8_t n[12] = {};
    n[10] = static_cast<uint8_t>(counter);
    n[11] = last ? 1 : 0;
    std::string out(plain.size() + 16, '\0');
    EXPECT_TRUE(age::Seal(*payload_key, n, reinterpret_cast<const uint8_t*>(plain.data()),
                          plain.size(), reinterpret_cast<uint8_t*>(out.data()))
                    .ok());
    return out;
  };
  std::string full = Pattern(kAgeChunkBytes);
  auto dec = std::make_shared<AgeDecryptKeys>();
  dec->identities.push_back(id);
  std::string good = *header + nonce + seal(0, false, full) + seal(1, true, "x");
  StringSink ok_out;
  ASSERT_TRUE(Decrypt(dec, good, 1 << 20, &ok_out).ok());
  EXPECT_EQ(ok_out.data, full + "x");
  std::string bad = *header + nonce + seal(0, false, full) + seal(1, true, "");
  StringSink out;
  absl::Status st = Decrypt(dec, bad, 1 << 20, &out);
  EXPECT_NE(st.message().find("empty chunk"), std::string::npos) << st;
  EXPECT_EQ(out.finished, 0);
}

TEST(AgeStreamTest, PassphraseRoundTripAndWrongPassphrase) {
  AgeEncryptKeys enc;
  enc.passphrase = "correct horse battery staple";
  enc.scrypt_work_factor = 10;
  std::string plain = Pattern(70000);
  std::string sealed = Encrypt(enc, plain, 1 << 20);
  EXPECT_NE(sealed.find("\n-> scrypt "), std::string::npos);
  auto dec = std::make_shared<AgeDecryptKeys>();
  dec->passphrase = enc.passphrase;
  StringSink out;
  ASSERT_TRUE(Decrypt(dec, sealed, 1 << 20, &out).ok());
  EXPECT_EQ(out.data, plain);
  auto wrong = std::make_shared<AgeDecryptKeys>();
  wrong->passphrase = "incorrect";
  StringSink none;
  EXPECT_TRUE(absl::IsPermissionDenied(Decrypt(wrong, sealed, 1 << 20, &none)));
  // A work factor above the reader's limit is refused before scrypt runs.
  auto limited = std::make_shared<AgeDecryptKeys>();
  limited->passphrase = enc.passphrase;
  limited->max_scrypt_work_factor = 9;
  StringSink none2;
  absl::Status st = Decrypt(limited, sealed, 1 << 20, &none2);
  EXPECT_NE(st.message().find("above the limit"), std::string::npos) << st;
  // An X25519 identity does not open a passphrase file.
  Pair other = X25519Pair();
  StringSink none3;
  EXPECT_FALSE(Decrypt(other.dec, sealed, 1 << 20, &none3).ok());
}

TEST(AgeStreamTest, FilterChainEncryptsAndDecryptsInFlowOrder) {
  Pair keys = X25519Pair();
  std::string plain = Pattern(300000);
  StringSink stored;
  FilterChain enc;
  enc.AddSha256("raw");
  enc.AddCompressor(v1::COMPRESSION_ZSTD, 0, 0);
  enc.AddEncryptor(keys.enc);
  enc.AddSha256("stored");
  ASSERT_TRUE(enc.EndAt(&stored).ok());
  ASSERT_TRUE(enc.head()->Write(plain.data(), plain.size()).ok());
  ASSERT_TRUE(enc.head()->Finish().ok());
  EXPECT_EQ(stored.data.substr(0, 21), "age-encryption.org/v1");
  EXPECT_EQ(enc.bytes("stored"), stored.data.size());

  StringSink back;
  FilterChain dec;
  dec.AddSha256("stored");
  dec.AddDecryptor(keys.dec);
  dec.AddDecompressor(v1::COMPRESSION_ZSTD);
  dec.AddSha256("raw");
  ASSERT_TRUE(dec.EndAt(&back).ok());
  ASSERT_TRUE(dec.head()->Write(stored.data.data(), stored.data.size()).ok());
  ASSERT_TRUE(dec.head()->Finish().ok());
  EXPECT_EQ(back.data, plain);
  EXPECT_EQ(dec.sha256_hex("raw"), enc.sha256_hex("raw"));
  EXPECT_EQ(dec.sha256_hex("stored"), enc.sha256_hex("stored"));
}

}  // namespace
}  // namespace dbdump
