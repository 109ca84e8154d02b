// FanOutSink: one stream written to several sinks at once, the slowest
// pacing it, with memory bounded whatever the stream's length.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/io/sink.h"

namespace dbdump {

struct FanOutOptions {
  // Chunks queued per destination before Write() waits for it. Memory is at
  // most (queue_chunks + 2) x the largest Write(), whatever the number of
  // destinations: every destination's queue holds references to the same
  // chunks, and a chunk is freed once the last destination has written it.
  size_t queue_chunks = 4;
  // A copy destination that takes no chunk for this long while the stream
  // waits for it (a server that stopped answering) is dropped, so it holds
  // up the others no longer. The primary is never dropped.
  absl::Duration copy_stall_timeout = absl::Minutes(5);
};

// Writes every byte it gets to a primary sink and any number of copy sinks,
// each on its own thread. Write() copies the data once into a shared chunk
// and queues a reference to it for every destination still in the stream;
// it waits while any destination's queue is full, so the slowest paces the
// stream and memory stays bounded (see FanOutOptions::queue_chunks).
//
// A failing primary fails the stream: its error is returned from the next
// Write() or Finish(). A failing copy (an error from its sink, or a stall)
// is dropped from the stream: it gets no further bytes, its queued chunks
// are freed, its error is kept (copy_status) and the others go on.
// Finish() waits until every destination still in the stream has written
// everything, then finishes each of them.
//
// Not thread-safe for its caller: one producer calls Write()/Finish(). The
// sinks are not owned and must outlive the FanOutSink: its destructor stops
// and joins the threads, so destroy it before aborting or freeing a sink.
class FanOutSink : public Sink {
 public:
  FanOutSink(Sink* primary, std::vector<Sink*> copies, FanOutOptions options = {});
  ~FanOutSink() override;
  FanOutSink(const FanOutSink&) = delete;
  FanOutSink& operator=(const FanOutSink&) = delete;

  absl::Status Write(const char* data, size_t n) override;
  absl::Status Finish() override;

  // OK while copy `i` (in the order given) is in the stream or finished
  // well; otherwise why it was dropped.
  absl::Status copy_status(size_t i) const;
  // Bytes copy `i` wrote (to its sink) so far.
  uint64_t copy_bytes(size_t i) const;
  // The most bytes held in chunks at once (for tests of the bound).
  uint64_t peak_buffered_bytes() const;

 private:
  using Chunk = std::shared_ptr<const std::string>;
  struct Destination {
    FanOutSink* owner = nullptr;
    Sink* sink = nullptr;
    bool primary = false;
    std::deque<Chunk> queue;
    // Out of the stream: failed, stalled or stopped.
    bool dropped = false;
    bool finished = false;
    absl::Status status;
    uint64_t bytes = 0;
    std::thread thread;
  };
  void Run(Destination* d);
  // Takes `d` out of the stream with `why`; holding mu_.
  void Drop(Destination* d, absl::Status why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Chunk NewChunk(const char* data, size_t n);
  // Waits (holding mu_) until `d` is out of the stream or `done(d)` holds;
  // drops a copy that makes no progress for copy_stall_timeout.
  void AwaitDestination(Destination* d, bool (*done)(Destination*))
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  FanOutOptions options_;
  mutable absl::Mutex mu_;
  // Index 0 is the primary; then the copies in the order given.
  std::vector<std::unique_ptr<Destination>> dests_;
  bool ending_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ = false;
  // Atomics: a chunk is freed wherever its last reference goes, with or
  // without mu_ held.
  std::atomic<uint64_t> buffered_{0};
  std::atomic<uint64_t> peak_{0};
};

}  // namespace dbdump
