// GzipCompressor / GzipDecompressor: streaming gzip stages on zlib.
#pragma once

#include <memory>
#include <string>

#include "common/io/sink.h"

struct z_stream_s;

namespace dbdump {

// Compresses its input as a gzip member (readable by gunzip). Not thread-safe.
class GzipCompressor : public Sink {
 public:
  GzipCompressor(Sink* next, int level);
  ~GzipCompressor() override;
  absl::Status Write(const char* data, size_t n) override;
  absl::Status Finish() override;

 private:
  absl::Status Run(const char* data, size_t n, int flush);
  Sink* next_;
  std::unique_ptr<z_stream_s> z_;
  std::string out_;
  absl::Status init_status_;
};

// Decompresses gzip (concatenated members allowed). Finish() fails on a
// truncated stream. Not thread-safe.
class GzipDecompressor : public Sink {
 public:
  explicit GzipDecompressor(Sink* next);
  ~GzipDecompressor() override;
  absl::Status Write(const char* data, size_t n) override;
  absl::Status Finish() override;

 private:
  Sink* next_;
  std::unique_ptr<z_stream_s> z_;
  std::string out_;
  bool member_done_ = true;
};

}  // namespace dbdump
