// Pump: moves a Source into a Sink chain through a fixed pool of buffers.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

#include "common/io/sink.h"

namespace dbdump {

struct PumpOptions {
  // Memory held by the pump is buffer_bytes * buffers, whatever the stream size.
  size_t buffer_bytes = 1 << 20;
  size_t buffers = 4;
  // Called from the consuming thread after each buffer, with total bytes read.
  std::function<void(uint64_t bytes_in)> on_progress;
  // When set to true the pump stops and returns CANCELLED.
  const std::atomic<bool>* cancel = nullptr;
  // Called when the pump stops before end of stream (error or cancel), before
  // it waits for the reader thread: it must make a blocked Read return, e.g.
  // by killing the child process that feeds the source.
  std::function<void()> on_early_stop;
};

// Reads `source` on its own thread into buffers taken from a bounded pool and
// writes them into `sink` on the calling thread, so reading and the filter
// chain overlap while memory stays fixed; a slow sink stalls the reader
// (backpressure). Calls sink->Finish() at end of stream. Returns the first
// error from either side; on error the source is drained no further.
absl::Status Pump(Source* source, Sink* sink, const PumpOptions& options);

}  // namespace dbdump
