// TeeSink: one stream to two sinks, one after the other, on the caller's
// thread.
#pragma once

#include "common/io/sink.h"

namespace dbdump {

// Writes every chunk to `first`, then to `second`, stopping at the first
// error; Finish() finishes both in that order. Neither is owned. Not
// thread-safe. (FanOutSink is for destinations that should not wait for
// one another; this is for a stage beside the writer, e.g. a check.)
class TeeSink : public Sink {
 public:
  TeeSink(Sink* first, Sink* second) : first_(first), second_(second) {}
  absl::Status Write(const char* data, size_t n) override {
    absl::Status st = first_->Write(data, n);
    return st.ok() ? second_->Write(data, n) : st;
  }
  absl::Status Finish() override {
    absl::Status st = first_->Finish();
    return st.ok() ? second_->Finish() : st;
  }

 private:
  Sink* first_;
  Sink* second_;
};

}  // namespace dbdump
