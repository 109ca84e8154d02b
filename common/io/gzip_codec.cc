#include "common/io/gzip_codec.h"

#include <zlib.h>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace {
constexpr size_t kOutBytes = 256 << 10;
constexpr int kGzipWindowBits = 15 + 16;  // +16: gzip header and trailer
}  // namespace

GzipCompressor::GzipCompressor(Sink* next, int level)
    : next_(next), z_(std::make_unique<z_stream_s>()), out_(kOutBytes, '\0') {
  *z_ = {};
  if (deflateInit2(z_.get(), level, Z_DEFLATED, kGzipWindowBits, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    init_status_ = absl::InvalidArgumentError(
        absl::StrCat("gzip setup failed for level ", level));
  }
}

GzipCompressor::~GzipCompressor() {
  if (init_status_.ok()) deflateEnd(z_.get());
}

absl::Status GzipCompressor::Run(const char* data, size_t n, int flush) {
  RETURN_IF_ERROR(init_status_);
  z_->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
  z_->avail_in = static_cast<uInt>(n);
  while (true) {
    z_->next_out = reinterpret_cast<Bytef*>(out_.data());
    z_->avail_out = static_cast<uInt>(out_.size());
    int rc = deflate(z_.get(), flush);
    if (rc == Z_STREAM_ERROR) return absl::InternalError("gzip compression failed");
    size_t produced = out_.size() - z_->avail_out;
    if (produced > 0) RETURN_IF_ERROR(next_->Write(out_.data(), produced));
    if (flush == Z_FINISH ? rc == Z_STREAM_END : z_->avail_out != 0) break;
  }
  return absl::OkStatus();
}

absl::Status GzipCompressor::Write(const char* data, size_t n) {
  // zlib counts input in uInt; feed very large writes in slices.
  constexpr size_t kSlice = 1u << 30;
  while (n > 0) {
    size_t step = n < kSlice ? n : kSlice;
    RETURN_IF_ERROR(Run(data, step, Z_NO_FLUSH));
    data += step;
    n -= step;
  }
  return absl::OkStatus();
}

absl::Status GzipCompressor::Finish() {
  RETURN_IF_ERROR(Run(nullptr, 0, Z_FINISH));
  return next_->Finish();
}

GzipDecompressor::GzipDecompressor(Sink* next)
    : next_(next), z_(std::make_unique<z_stream_s>()), out_(kOutBytes, '\0') {
  *z_ = {};
  inflateInit2(z_.get(), kGzipWindowBits);
}

GzipDecompressor::~GzipDecompressor() { inflateEnd(z_.get()); }

absl::Status GzipDecompressor::Write(const char* data, size_t n) {
  // zlib counts input in uInt: feed very large writes in slices.
  constexpr size_t kSlice = 1u << 30;
  while (n > kSlice) {
    RETURN_IF_ERROR(Write(data, kSlice));
    data += kSlice;
    n -= kSlice;
  }
  z_->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
  z_->avail_in = static_cast<uInt>(n);
  while (z_->avail_in > 0) {
    member_done_ = false;
    z_->next_out = reinterpret_cast<Bytef*>(out_.data());
    z_->avail_out = static_cast<uInt>(out_.size());
    int rc = inflate(z_.get(), Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      return absl::DataLossError(absl::StrCat(
          "stored dump is not a valid gzip stream: ", z_->msg ? z_->msg : "corrupt data"));
    }
    size_t produced = out_.size() - z_->avail_out;
    if (produced > 0) RETURN_IF_ERROR(next_->Write(out_.data(), produced));
    if (rc == Z_STREAM_END) {
      member_done_ = true;
      inflateReset(z_.get());  // another member may follow
    } else if (rc == Z_BUF_ERROR && produced == 0) {
      break;
    }
  }
  return absl::OkStatus();
}

absl::Status GzipDecompressor::Finish() {
  if (!member_done_) {
    return absl::DataLossError("stored dump is truncated: gzip member incomplete");
  }
  return next_->Finish();
}

}  // namespace dbdump
