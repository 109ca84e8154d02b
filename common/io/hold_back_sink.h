// HoldBackSink: withholds the end of a stream until it is released.
#pragma once

#include <string>

#include "common/io/sink.h"

namespace dbdump {

// Forwards everything but the last `hold` bytes; Finish() forwards nothing.
// Release() sends the held tail and finishes the downstream. A restore puts
// it before the restore tool, so the tool cannot reach the end of the stream
// (and commit) before the checksums of the whole backup were checked.
// Memory: at most 2 x hold. Not thread-safe.
class HoldBackSink : public Sink {
 public:
  HoldBackSink(Sink* next, size_t hold) : next_(next), hold_(hold) {}
  absl::Status Write(const char* data, size_t n) override;
  absl::Status Finish() override { return absl::OkStatus(); }
  absl::Status Release();
  size_t held() const { return tail_.size(); }

 private:
  Sink* next_;
  size_t hold_;
  std::string tail_;
};

}  // namespace dbdump
