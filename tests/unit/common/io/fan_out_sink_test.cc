// FanOutSink: every destination gets every byte; the slowest paces the
// stream within a bounded memory; a failing or stalled copy is dropped
// without holding up the others; a failing primary fails the stream.
#include "common/io/fan_out_sink.h"

#include <atomic>
#include <string>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace dbdump {
namespace {

// Collects what it gets; optionally sleeps per write, fails after
// `fail_after` bytes, or blocks in Write until released.
class TestSink : public Sink {
 public:
  absl::Duration delay = absl::ZeroDuration();
  int64_t fail_after = -1;
  absl::Notification* block_until = nullptr;

  absl::Status Write(const char* d, size_t n) override {
    if (block_until != nullptr) block_until->WaitForNotification();
    if (delay > absl::ZeroDuration()) absl::SleepFor(delay);
    absl::MutexLock l(&mu_);
    if (fail_after >= 0 && static_cast<int64_t>(data_.size() + n) > fail_after) {
      return absl::UnavailableError("connection reset by peer");
    }
    data_.append(d, n);
    return absl::OkStatus();
  }
  absl::Status Finish() override {
    absl::MutexLock l(&mu_);
    finished_ = true;
    return absl::OkStatus();
  }
  std::string data() {
    absl::MutexLock l(&mu_);
    return data_;
  }
  bool finished() {
    absl::MutexLock l(&mu_);
    return finished_;
  }

 private:
  absl::Mutex mu_;
  std::string data_;
  bool finished_ = false;
};

std::string Pattern(size_t n, int seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + seed) & 0xff);
  return s;
}

TEST(FanOutSink, EveryDestinationGetsEveryByteAndIsFinished) {
  TestSink primary, a, b;
  b.delay = absl::Microseconds(200);
  std::string expected;
  {
    FanOutSink fan(&primary, {&a, &b});
    for (int i = 0; i < 200; ++i) {
      std::string chunk = Pattern(1000 + i, i);
      expected += chunk;
      ASSERT_TRUE(fan.Write(chunk.data(), chunk.size()).ok());
    }
    ASSERT_TRUE(fan.Finish().ok());
    EXPECT_TRUE(fan.copy_status(0).ok());
    EXPECT_TRUE(fan.copy_status(1).ok());
    EXPECT_EQ(fan.copy_bytes(1), expected.size());
  }
  EXPECT_EQ(primary.data(), expected);
  EXPECT_EQ(a.data(), expected);
  EXPECT_EQ(b.data(), expected);
  EXPECT_TRUE(primary.finished() && a.finished() && b.finished());
}

TEST(FanOutSink, SlowestPacesTheStreamWithinTheMemoryBound) {
  TestSink primary, fast, slow;
  slow.delay = absl::Milliseconds(2);
  constexpr size_t kChunk = 64 * 1024;
  constexpr int kChunks = 60;
  FanOutOptions o;
  o.queue_chunks = 3;
  FanOutSink fan(&primary, {&fast, &slow}, o);
  std::string chunk = Pattern(kChunk, 7);
  absl::Time start = absl::Now();
  for (int i = 0; i < kChunks; ++i) ASSERT_TRUE(fan.Write(chunk.data(), chunk.size()).ok());
  // The producer could not run ahead of the slow copy by more than its queue.
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(2) * (kChunks - o.queue_chunks - 2));
  ASSERT_TRUE(fan.Finish().ok());
  EXPECT_EQ(slow.data().size(), kChunk * kChunks);
  // (queue_chunks + 2) chunks at most, for the three destinations together.
  EXPECT_LE(fan.peak_buffered_bytes(), (o.queue_chunks + 2) * kChunk);
  EXPECT_GT(fan.peak_buffered_bytes(), 0u);
}

TEST(FanOutSink, FailingCopyIsDroppedAndTheOthersComplete) {
  TestSink primary, bad, good;
  bad.fail_after = 5000;
  std::string expected;
  FanOutSink fan(&primary, {&bad, &good});
  auto write = [&](int i) {
    std::string chunk = Pattern(1024, i);
    expected += chunk;
    return fan.Write(chunk.data(), chunk.size());
  };
  int i = 0;
  for (; i < 10; ++i) ASSERT_TRUE(write(i).ok());
  // Once the bad copy has failed, the stream goes on for the others.
  for (int waited = 0; fan.copy_status(0).ok() && waited < 500; ++waited) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_FALSE(fan.copy_status(0).ok());
  for (; i < 50; ++i) ASSERT_TRUE(write(i).ok()) << "a copy's failure fails nothing";
  ASSERT_TRUE(fan.Finish().ok());
  EXPECT_EQ(fan.copy_status(0).code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(fan.copy_status(0).message().find("connection reset"), std::string::npos);
  EXPECT_TRUE(fan.copy_status(1).ok());
  EXPECT_EQ(primary.data(), expected);
  EXPECT_EQ(good.data(), expected);
  EXPECT_LE(bad.data().size(), 5000u);
  EXPECT_FALSE(bad.finished()) << "a dropped copy is never finished (committed)";
}

TEST(FanOutSink, StalledCopyIsDroppedAfterTheTimeout) {
  TestSink primary, stuck, good;
  absl::Notification release;
  stuck.block_until = &release;
  FanOutOptions o;
  o.queue_chunks = 2;
  o.copy_stall_timeout = absl::Milliseconds(200);
  std::string expected;
  {
    FanOutSink fan(&primary, {&stuck, &good}, o);
    // Runs before the FanOutSink's destructor joins the stuck thread, also
    // when an assertion below returns early.
    absl::Cleanup unblock = [&release] {
      if (!release.HasBeenNotified()) release.Notify();
    };
    absl::Time start = absl::Now();
    for (int i = 0; i < 20; ++i) {
      std::string chunk = Pattern(4096, i);
      expected += chunk;
      ASSERT_TRUE(fan.Write(chunk.data(), chunk.size()).ok());
    }
    ASSERT_TRUE(fan.Finish().ok());
    EXPECT_LT(absl::Now() - start, absl::Seconds(5)) << "held up by the stalled copy";
    EXPECT_EQ(fan.copy_status(0).code(), absl::StatusCode::kDeadlineExceeded);
    EXPECT_TRUE(fan.copy_status(1).ok());
    // The stuck write returns only now; the destructor waits for it.
  }
  EXPECT_EQ(good.data(), expected);
  EXPECT_EQ(primary.data(), expected);
  EXPECT_FALSE(stuck.finished());
}

TEST(FanOutSink, FailingPrimaryFailsTheStream) {
  TestSink primary, copy;
  primary.fail_after = 3000;
  FanOutSink fan(&primary, {&copy});
  absl::Status st;
  for (int i = 0; i < 100 && st.ok(); ++i) {
    std::string chunk = Pattern(1024, i);
    st = fan.Write(chunk.data(), chunk.size());
  }
  if (st.ok()) st = fan.Finish();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable);
}

TEST(FanOutSink, DestroyedMidStreamStopsAndFinishesNothing) {
  TestSink primary, copy;
  copy.delay = absl::Milliseconds(1);
  {
    FanOutSink fan(&primary, {&copy});
    std::string chunk = Pattern(1024, 1);
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(fan.Write(chunk.data(), chunk.size()).ok());
  }
  EXPECT_FALSE(primary.finished());
  EXPECT_FALSE(copy.finished());
}

}  // namespace
}  // namespace dbdump
