// ZstdCompressor / ZstdDecompressor: streaming zstd stages.
#pragma once

#include <memory>
#include <string>

#include "common/io/sink.h"

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

namespace dbdump {

// Compresses its input as one zstd frame and forwards the compressed bytes.
// `workers` > 0 uses zstd's own worker threads. Not thread-safe.
class ZstdCompressor : public Sink {
 public:
  ZstdCompressor(Sink* next, int level, int workers);
  ~ZstdCompressor() override;
  absl::Status Write(const char* data, size_t n) override;
  absl::Status Finish() override;

 private:
  absl::Status Drain(bool finish, const char* data, size_t n);
  Sink* next_;
  ZSTD_CCtx_s* ctx_;
  std::string out_;
  absl::Status init_status_;
};

// Decompresses a zstd stream (one or more frames). Finish() fails on a
// truncated stream. Not thread-safe.
class ZstdDecompressor : public Sink {
 public:
  explicit ZstdDecompressor(Sink* next);
  ~ZstdDecompressor() override;
  absl::Status Write(const char* data, size_t n) override;
  absl::Status Finish() override;

 private:
  Sink* next_;
  ZSTD_DCtx_s* ctx_;
  std::string out_;
  size_t last_hint_ = 0;
};

}  // namespace dbdump
