#include "common/io/filter_chain.h"

#include <openssl/sha.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "common/io/compression.h"
#include "common/io/pump.h"
#include "gtest/gtest.h"
#include "tests/fakes/string_io.h"

namespace dbdump {
namespace {

// Digest computed by OpenSSL in one call, independent of the streaming filter.
std::string Sha256Hex(const std::string& s) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(d), sizeof d));
}

std::string Compressible(size_t n) {
  std::mt19937 rng(7);
  std::string s;
  while (s.size() < n) s += "id " + std::to_string(rng() % 1000) + ",'a row of data'\n";
  s.resize(n);
  return s;
}

absl::Status PumpString(const std::string& in, Sink* head) {
  StringSource src(in, 70001);  // odd chunks cross the pump's buffer boundaries
  PumpOptions opts;
  opts.buffer_bytes = 64 << 10;
  return Pump(&src, head, opts);
}

class FilterChainCodecTest : public ::testing::TestWithParam<v1::Compression> {};

TEST_P(FilterChainCodecTest, BackupThenRestoreChainsGiveRealDigestsAndTheInputBack) {
  v1::Compression codec = GetParam();
  std::string input = Compressible(3 << 20);

  // The backup direction: raw sha256 -> compress -> stored sha256 -> end.
  StringSink stored;
  FilterChain backup;
  backup.AddSha256("raw");
  backup.AddCompressor(codec, 0, 2);
  backup.AddSha256("stored");
  ASSERT_TRUE(backup.EndAt(&stored).ok());
  absl::Status pumped = PumpString(input, backup.head());
  ASSERT_TRUE(pumped.ok()) << pumped;
  EXPECT_EQ(stored.finished, 1);
  EXPECT_EQ(backup.sha256_hex("raw"), Sha256Hex(input));
  EXPECT_EQ(backup.bytes("raw"), input.size());
  EXPECT_EQ(backup.sha256_hex("stored"), Sha256Hex(stored.data));
  EXPECT_EQ(backup.bytes("stored"), stored.data.size());
  if (codec != v1::COMPRESSION_NONE) {
    EXPECT_LT(stored.data.size(), input.size() / 3);
  } else {
    EXPECT_TRUE(stored.data == input);
  }

  // The restore direction: stored sha256 -> decompress -> raw sha256 ->
  // count -> end, the digests matching the backup's.
  StringSink restored;
  FilterChain restore;
  restore.AddSha256("stored");
  restore.AddDecompressor(codec);
  restore.AddSha256("raw");
  restore.AddCounter("restored");
  ASSERT_TRUE(restore.EndAt(&restored).ok());
  pumped = PumpString(stored.data, restore.head());
  ASSERT_TRUE(pumped.ok()) << pumped;
  EXPECT_EQ(restored.finished, 1);
  EXPECT_EQ(restored.data.size(), input.size());
  EXPECT_TRUE(restored.data == input);
  EXPECT_EQ(restore.sha256_hex("stored"), backup.sha256_hex("stored"));
  EXPECT_EQ(restore.sha256_hex("raw"), Sha256Hex(input));
  EXPECT_EQ(restore.bytes("restored"), input.size());
}

INSTANTIATE_TEST_SUITE_P(Codecs, FilterChainCodecTest,
                         ::testing::Values(v1::COMPRESSION_ZSTD, v1::COMPRESSION_GZIP,
                                           v1::COMPRESSION_NONE));

TEST(FilterChainTest, StagesRunInTheOrderTheyWereAdded) {
  // Hashing before and after the compressor sees different bytes: the
  // first hash is of the input, the second of the compressed stream.
  std::string input = Compressible(100000);
  StringSink out;
  FilterChain chain;
  chain.AddSha256("before");
  chain.AddCompressor(v1::COMPRESSION_GZIP, 9, 0);
  chain.AddSha256("after");
  ASSERT_TRUE(chain.EndAt(&out).ok());
  ASSERT_TRUE(chain.head()->Write(input.data(), input.size()).ok());
  ASSERT_TRUE(chain.head()->Finish().ok());
  EXPECT_EQ(chain.sha256_hex("before"), Sha256Hex(input));
  EXPECT_EQ(chain.sha256_hex("after"), Sha256Hex(out.data));
  EXPECT_NE(chain.sha256_hex("before"), chain.sha256_hex("after"));
  // gzip magic: the end got compressed bytes.
  ASSERT_GE(out.data.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(out.data[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(out.data[1]), 0x8b);
}

TEST(FilterChainTest, DigestsAreEmptyBeforeFinishAndBytesCountAsTheyPass) {
  StringSink out;
  FilterChain chain;
  chain.AddSha256("raw");
  chain.AddCounter("count");
  ASSERT_TRUE(chain.EndAt(&out).ok());
  ASSERT_TRUE(chain.head()->Write("abc", 3).ok());
  EXPECT_EQ(chain.bytes("raw"), 3u);
  EXPECT_EQ(chain.bytes("count"), 3u);
  EXPECT_EQ(chain.sha256_hex("raw"), "");
  ASSERT_TRUE(chain.head()->Finish().ok());
  EXPECT_EQ(chain.sha256_hex("raw"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(out.data, "abc");
  EXPECT_EQ(out.finished, 1);
  // Names the chain does not have, or stages without a digest.
  EXPECT_EQ(chain.bytes("nope"), 0u);
  EXPECT_EQ(chain.sha256_hex("nope"), "");
  EXPECT_EQ(chain.sha256_hex("count"), "");
}

TEST(FilterChainTest, HoldBackWithholdsTheTailAndTheFinishUntilReleased) {
  std::string input = Compressible(10000);
  StringSink out;
  FilterChain chain;
  chain.AddSha256("raw");
  chain.AddHoldBack(1000);
  chain.AddCounter("to_tool");
  ASSERT_TRUE(chain.EndAt(&out).ok());
  for (size_t i = 0; i < input.size(); i += 700) {
    ASSERT_TRUE(chain.head()->Write(input.data() + i, std::min<size_t>(700, input.size() - i)).ok());
  }
  ASSERT_TRUE(chain.head()->Finish().ok());
  // The hash saw everything; the end did not, and was not finished.
  EXPECT_EQ(chain.sha256_hex("raw"), Sha256Hex(input));
  EXPECT_LE(out.data.size(), input.size() - 1000);
  EXPECT_EQ(chain.bytes("to_tool"), out.data.size());
  EXPECT_EQ(out.finished, 0);
  ASSERT_TRUE(chain.ReleaseHoldBack().ok());
  EXPECT_TRUE(out.data == input);
  EXPECT_EQ(chain.bytes("to_tool"), input.size());
  EXPECT_EQ(out.finished, 1);
}

TEST(FilterChainTest, WithoutStagesTheHeadIsTheEnd) {
  StringSink out;
  FilterChain chain;
  ASSERT_TRUE(chain.EndAt(&out).ok());
  EXPECT_EQ(chain.head(), &out);
}

TEST(FilterChainTest, RejectsWhatCannotBeWired) {
  StringSink out;
  {
    FilterChain chain;
    chain.AddCompressor(v1::COMPRESSION_ZSTD, 23, 0);
    absl::Status st = chain.EndAt(&out);
    EXPECT_TRUE(absl::IsInvalidArgument(st)) << st;
    EXPECT_EQ(chain.head(), nullptr);
  }
  {
    FilterChain chain;
    chain.AddSha256("x");
    chain.AddCounter("x");
    EXPECT_TRUE(absl::IsInvalidArgument(chain.EndAt(&out)));
  }
  {
    FilterChain chain;
    chain.AddHoldBack(1);
    chain.AddHoldBack(1);
    EXPECT_TRUE(absl::IsInvalidArgument(chain.EndAt(&out)));
  }
  {
    FilterChain chain;
    EXPECT_TRUE(absl::IsInvalidArgument(chain.EndAt(nullptr)));
  }
  {
    FilterChain chain;
    chain.AddSha256("x");
    ASSERT_TRUE(chain.EndAt(&out).ok());
    EXPECT_TRUE(absl::IsFailedPrecondition(chain.EndAt(&out)));
    EXPECT_TRUE(absl::IsFailedPrecondition(chain.ReleaseHoldBack()));
  }
}

TEST(FilterChainTest, CorruptStoredBytesFailInTheDecompressor) {
  std::string input = Compressible(200000);
  StringSink stored;
  FilterChain backup;
  backup.AddCompressor(v1::COMPRESSION_ZSTD, 0, 0);
  ASSERT_TRUE(backup.EndAt(&stored).ok());
  ASSERT_TRUE(PumpString(input, backup.head()).ok());
  std::string cut = stored.data.substr(0, stored.data.size() / 2);

  StringSink restored;
  FilterChain restore;
  restore.AddSha256("stored");
  restore.AddDecompressor(v1::COMPRESSION_ZSTD);
  restore.AddSha256("raw");
  ASSERT_TRUE(restore.EndAt(&restored).ok());
  absl::Status st = PumpString(cut, restore.head());
  EXPECT_TRUE(absl::IsDataLoss(st)) << st;
  // The stored hash finished before the decompressor failed; the raw one
  // never did.
  EXPECT_EQ(restore.sha256_hex("stored"), Sha256Hex(cut));
  EXPECT_EQ(restore.sha256_hex("raw"), "");
}

TEST(CompressionDefaultsTest, UnspecifiedIsZstdAndLevelsAreChecked) {
  EXPECT_EQ(EffectiveCompression(v1::COMPRESSION_UNSPECIFIED), v1::COMPRESSION_ZSTD);
  EXPECT_EQ(EffectiveCompression(v1::COMPRESSION_GZIP), v1::COMPRESSION_GZIP);
  EXPECT_EQ(EffectiveCompression(v1::COMPRESSION_NONE), v1::COMPRESSION_NONE);
  EXPECT_TRUE(ValidateCompression(v1::COMPRESSION_UNSPECIFIED, 19).ok());
  EXPECT_TRUE(ValidateCompression(v1::COMPRESSION_ZSTD, 0).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateCompression(v1::COMPRESSION_ZSTD, 20)));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateCompression(v1::COMPRESSION_ZSTD, -1)));
  EXPECT_TRUE(ValidateCompression(v1::COMPRESSION_GZIP, 9).ok());
  absl::Status st = ValidateCompression(v1::COMPRESSION_GZIP, 10);
  EXPECT_EQ(st.message(), "gzip level 10 is out of range: use 1..9");
  EXPECT_TRUE(ValidateCompression(v1::COMPRESSION_NONE, 0).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateCompression(static_cast<v1::Compression>(42), 0)));
}

}  // namespace
}  // namespace dbdump
