#include <cstdio>
#include <random>
#include <string>

#include "common/io/compression.h"
#include "common/io/hold_back_sink.h"
#include "common/io/pump.h"
#include "common/storage/s3_storage.h"
#include "common/io/sha256_filter.h"
#include "gtest/gtest.h"
#include "tests/fakes/string_io.h"

namespace dbdump {
namespace {

std::string Compressible(size_t n) {
  std::mt19937 rng(42);
  std::string s;
  while (s.size() < n) {
    s += "row " + std::to_string(rng() % 100000) + ",\"name\",2026-01-15T02:00:00Z\n";
  }
  s.resize(n);
  return s;
}

TEST(Sha256FilterTest, MatchesKnownDigests) {
  // Values as printed by sha256sum.
  struct Case {
    std::string in, hex;
  } cases[] = {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {std::string(1000000, 'a'),
       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
  };
  for (const auto& c : cases) {
    StringSink out;
    Sha256Filter f(&out);
    ASSERT_TRUE(f.Write(c.in.data(), c.in.size()).ok());
    ASSERT_TRUE(f.Finish().ok());
    EXPECT_EQ(f.hex_digest(), c.hex);
    EXPECT_EQ(f.bytes(), c.in.size());
    EXPECT_EQ(out.data, c.in);
    EXPECT_TRUE(out.finished);
  }
}

class RoundTripTest : public ::testing::TestWithParam<std::tuple<v1::Compression, size_t>> {};

TEST_P(RoundTripTest, CompressThenDecompressGivesInputBack) {
  auto [codec, size] = GetParam();
  std::string input = Compressible(size);
  StringSink stored;
  auto comp = MakeCompressor(codec, 0, 2, &stored);
  ASSERT_TRUE(comp.ok());
  StringSource src(input, 70001);  // odd chunk size crosses buffer boundaries
  PumpOptions opts;
  opts.buffer_bytes = 64 << 10;
  ASSERT_TRUE(Pump(&src, comp->get(), opts).ok());
  if (codec != v1::COMPRESSION_NONE && size > 4096) {
    EXPECT_LT(stored.data.size(), input.size() / 3);
  }

  StringSink restored;
  auto dec = MakeDecompressor(codec, &restored);
  ASSERT_TRUE(dec.ok());
  StringSource src2(stored.data, 999);
  absl::Status pumped = Pump(&src2, dec->get(), opts);
  ASSERT_TRUE(pumped.ok()) << pumped;
  EXPECT_TRUE(restored.finished);
  EXPECT_EQ(restored.data.size(), input.size());
  EXPECT_TRUE(restored.data == input);
}

INSTANTIATE_TEST_SUITE_P(
    Codecs, RoundTripTest,
    ::testing::Combine(::testing::Values(v1::COMPRESSION_ZSTD, v1::COMPRESSION_GZIP,
                                         v1::COMPRESSION_NONE),
                       ::testing::Values(size_t{0}, size_t{1}, size_t{5 << 20})));

TEST(DecompressTest, TruncatedStreamIsDataLoss) {
  for (auto codec : {v1::COMPRESSION_ZSTD, v1::COMPRESSION_GZIP}) {
    std::string input = Compressible(1 << 20);
    StringSink stored;
    auto comp = MakeCompressor(codec, 0, 0, &stored);
    ASSERT_TRUE((*comp)->Write(input.data(), input.size()).ok());
    ASSERT_TRUE((*comp)->Finish().ok());
    StringSink out;
    auto dec = MakeDecompressor(codec, &out);
    std::string cut = stored.data.substr(0, stored.data.size() / 2);
    absl::Status st = (*dec)->Write(cut.data(), cut.size());
    if (st.ok()) st = (*dec)->Finish();
    EXPECT_TRUE(absl::IsDataLoss(st)) << CompressionName(codec) << ": " << st;
  }
}

TEST(DecompressTest, GarbageIsDataLoss) {
  for (auto codec : {v1::COMPRESSION_ZSTD, v1::COMPRESSION_GZIP}) {
    StringSink out;
    auto dec = MakeDecompressor(codec, &out);
    std::string junk(4096, 'x');
    absl::Status st = (*dec)->Write(junk.data(), junk.size());
    if (st.ok()) st = (*dec)->Finish();
    EXPECT_TRUE(absl::IsDataLoss(st)) << st;
  }
}

TEST(CompressionTest, RejectsBadLevelAndName) {
  StringSink s;
  EXPECT_FALSE(MakeCompressor(v1::COMPRESSION_ZSTD, 23, 0, &s).ok());
  EXPECT_FALSE(MakeCompressor(v1::COMPRESSION_GZIP, 10, 0, &s).ok());
  EXPECT_FALSE(ParseCompression("lz4").ok());
  EXPECT_EQ(*ParseCompression("gzip"), v1::COMPRESSION_GZIP);
}

// A source of endless bytes that counts how far ahead of the sink it got.
class CountingSource : public Source {
 public:
  explicit CountingSource(uint64_t total) : total_(total) {}
  absl::StatusOr<size_t> Read(char* d, size_t n) override {
    size_t k = static_cast<size_t>(std::min<uint64_t>(n, total_ - produced_));
    memset(d, 'x', k);
    produced_ += k;
    return k;
  }
  std::atomic<uint64_t> produced_{0};

 private:
  uint64_t total_;
};

// A sink that checks the source never runs more than the pool ahead of it.
class LaggingSink : public Sink {
 public:
  LaggingSink(CountingSource* src, uint64_t max_ahead) : src_(src), max_ahead_(max_ahead) {}
  absl::Status Write(const char*, size_t n) override {
    consumed_ += n;
    uint64_t ahead = src_->produced_.load() - consumed_;
    if (ahead > worst_) worst_ = ahead;
    return absl::OkStatus();
  }
  absl::Status Finish() override { return absl::OkStatus(); }
  uint64_t worst_ = 0;

 private:
  CountingSource* src_;
  uint64_t max_ahead_;
  uint64_t consumed_ = 0;
};

TEST(PumpTest, MemoryIsBoundedByThePool) {
  CountingSource src(uint64_t{256} << 20);
  PumpOptions opts;
  opts.buffer_bytes = 64 << 10;
  opts.buffers = 4;
  LaggingSink sink(&src, opts.buffer_bytes * opts.buffers);
  ASSERT_TRUE(Pump(&src, &sink, opts).ok());
  EXPECT_EQ(src.produced_.load(), uint64_t{256} << 20);
  // The reader can hold at most every buffer of the pool.
  EXPECT_LE(sink.worst_, opts.buffer_bytes * opts.buffers);
}

// A sink that fails after some bytes.
class FailingSink : public Sink {
 public:
  absl::Status Write(const char*, size_t n) override {
    seen += n;
    if (seen > (1 << 20)) return absl::UnavailableError("disk full");
    return absl::OkStatus();
  }
  absl::Status Finish() override { return absl::OkStatus(); }
  size_t seen = 0;
};

TEST(PumpTest, SinkErrorStopsThePumpAndCallsEarlyStop) {
  CountingSource src(uint64_t{1} << 40);
  FailingSink sink;
  bool early = false;
  PumpOptions opts;
  opts.on_early_stop = [&] { early = true; };
  absl::Status st = Pump(&src, &sink, opts);
  EXPECT_TRUE(absl::IsUnavailable(st)) << st;
  EXPECT_TRUE(early);
}

TEST(PumpTest, CancelStops) {
  CountingSource src(uint64_t{1} << 40);
  NullSink sink;
  std::atomic<bool> cancel{false};
  PumpOptions opts;
  opts.cancel = &cancel;
  opts.on_progress = [&](uint64_t in) {
    if (in > (8 << 20)) cancel = true;
  };
  EXPECT_TRUE(absl::IsCancelled(Pump(&src, &sink, opts)));
}

}  // namespace
}  // namespace dbdump

namespace dbdump {
namespace {

TEST(HoldBackSinkTest, WithholdsTheTailUntilReleased) {
  StringSink out;
  HoldBackSink hold(&out, 1000);
  std::string input = Compressible(10007);
  size_t written = 0;
  for (size_t off = 0; off < input.size(); off += 333) {
    size_t n = std::min<size_t>(333, input.size() - off);
    ASSERT_TRUE(hold.Write(input.data() + off, n).ok());
    written += n;
    // Never more than all but the last 1000 bytes so far.
    EXPECT_LE(out.data.size(), written > 1000 ? written - 1000 : 0);
    EXPECT_LE(hold.held(), 2000u);
  }
  ASSERT_TRUE(hold.Finish().ok());
  EXPECT_FALSE(out.finished);
  EXPECT_LT(out.data.size(), input.size() - 999);
  ASSERT_TRUE(hold.Release().ok());
  EXPECT_TRUE(out.finished);
  EXPECT_TRUE(out.data == input);
}

TEST(HoldBackSinkTest, ShortStreamIsHeldEntirely) {
  StringSink out;
  HoldBackSink hold(&out, 1 << 20);
  ASSERT_TRUE(hold.Write("abc", 3).ok());
  EXPECT_TRUE(out.data.empty());
  ASSERT_TRUE(hold.Release().ok());
  EXPECT_EQ(out.data, "abc");
}

}  // namespace
}  // namespace dbdump

namespace dbdump {
namespace {

TEST(S3PartSizeTest, PartLimitNeverReachedBeforeTheServersObjectLimit) {
  // AWS: 10,000 parts; first 8 MiB. All parts together exceed 5 TiB.
  uint64_t total = 0;
  size_t biggest = 0;
  for (int n = 1; n <= 10000; ++n) {
    size_t p = S3Storage::PartSize(8 << 20, n, 10000);
    total += p;
    biggest = std::max(biggest, p);
  }
  EXPECT_GE(total, uint64_t{5} << 40);
  EXPECT_EQ(biggest, size_t{1} << 30);  // memory stays bounded
  EXPECT_EQ(S3Storage::PartSize(8 << 20, 1, 10000), 8u << 20);
  EXPECT_EQ(S3Storage::PartSize(8 << 20, 500, 10000), 8u << 20);
  EXPECT_EQ(S3Storage::PartSize(8 << 20, 501, 10000), 16u << 20);
  // Up to 4 GB, parts stay at most 64 MiB.
  uint64_t sum = 0;
  int n = 1;
  for (; sum < (uint64_t{4} << 30); ++n) sum += S3Storage::PartSize(8 << 20, n, 10000);
  EXPECT_LE(S3Storage::PartSize(8 << 20, n, 10000), 64u << 20);
  // Swift s3api: 1,000 parts; still far past any dump we would write.
  total = 0;
  for (int k = 1; k <= 1000; ++k) total += S3Storage::PartSize(8 << 20, k, 1000);
  EXPECT_GE(total, uint64_t{500} << 30);
}

}  // namespace
}  // namespace dbdump
