// Sink: the one interface every stage of the data path implements.
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dbdump {

// Accepts a stream of bytes. Filters are sinks that transform what they get
// and forward it to the next sink, so a pipeline is a chain of sinks ending
// in a writer. Not thread-safe: one producer drives a chain.
class Sink {
 public:
  virtual ~Sink() = default;
  // Consumes `n` bytes. The data is only valid for the duration of the call.
  virtual absl::Status Write(const char* data, size_t n) = 0;
  // Flushes everything buffered and finishes the downstream chain. No Write
  // may follow.
  virtual absl::Status Finish() = 0;
};

// Produces a stream of bytes.
class Source {
 public:
  virtual ~Source() = default;
  // Reads up to `n` bytes; 0 means end of stream.
  virtual absl::StatusOr<size_t> Read(char* data, size_t n) = 0;
};

}  // namespace dbdump
