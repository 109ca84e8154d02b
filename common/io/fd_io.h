// FdSource / FdSink: a file descriptor as either end of a pipeline.
#pragma once

#include "common/io/sink.h"

namespace dbdump {

// Reads from a file descriptor it does not own. Retries EINTR.
class FdSource : public Source {
 public:
  explicit FdSource(int fd) : fd_(fd) {}
  absl::StatusOr<size_t> Read(char* data, size_t n) override;

 private:
  int fd_;
};

// Writes to a file descriptor; Finish() closes it when `close_on_finish`, so
// a child reading it sees end of input. Not thread-safe.
class FdSink : public Sink {
 public:
  FdSink(int fd, bool close_on_finish) : fd_(fd), close_(close_on_finish) {}
  ~FdSink() override;
  absl::Status Write(const char* data, size_t n) override;
  absl::Status Finish() override;

 private:
  int fd_;
  bool close_;
};

}  // namespace dbdump
