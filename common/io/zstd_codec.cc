#include "common/io/zstd_codec.h"

#include <zstd.h>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"

namespace dbdump {

ZstdCompressor::ZstdCompressor(Sink* next, int level, int workers)
    : next_(next), ctx_(ZSTD_createCCtx()), out_(ZSTD_CStreamOutSize(), '\0') {
  size_t r = ZSTD_CCtx_setParameter(ctx_, ZSTD_c_compressionLevel, level);
  if (!ZSTD_isError(r)) r = ZSTD_CCtx_setParameter(ctx_, ZSTD_c_checksumFlag, 1);
  if (!ZSTD_isError(r) && workers > 0) {
    r = ZSTD_CCtx_setParameter(ctx_, ZSTD_c_nbWorkers, workers);
    // Keep each worker's job small so memory stays bounded whatever the level.
    if (!ZSTD_isError(r)) r = ZSTD_CCtx_setParameter(ctx_, ZSTD_c_jobSize, 2 << 20);
  }
  if (ZSTD_isError(r)) {
    init_status_ = absl::InvalidArgumentError(
        absl::StrCat("zstd setup failed: ", ZSTD_getErrorName(r)));
  }
}

ZstdCompressor::~ZstdCompressor() { ZSTD_freeCCtx(ctx_); }

absl::Status ZstdCompressor::Drain(bool finish, const char* data, size_t n) {
  RETURN_IF_ERROR(init_status_);
  ZSTD_inBuffer in{data, n, 0};
  ZSTD_EndDirective mode = finish ? ZSTD_e_end : ZSTD_e_continue;
  while (true) {
    ZSTD_outBuffer out{out_.data(), out_.size(), 0};
    size_t remaining = ZSTD_compressStream2(ctx_, &out, &in, mode);
    if (ZSTD_isError(remaining)) {
      return absl::InternalError(
          absl::StrCat("zstd compression failed: ", ZSTD_getErrorName(remaining)));
    }
    if (out.pos > 0) RETURN_IF_ERROR(next_->Write(out_.data(), out.pos));
    if (finish ? remaining == 0 : in.pos == in.size) break;
  }
  return absl::OkStatus();
}

absl::Status ZstdCompressor::Write(const char* data, size_t n) {
  return Drain(false, data, n);
}

absl::Status ZstdCompressor::Finish() {
  RETURN_IF_ERROR(Drain(true, nullptr, 0));
  return next_->Finish();
}

ZstdDecompressor::ZstdDecompressor(Sink* next)
    : next_(next), ctx_(ZSTD_createDCtx()), out_(ZSTD_DStreamOutSize(), '\0') {
  // Bound the window a hostile stream can make us allocate (128 MiB).
  ZSTD_DCtx_setParameter(ctx_, ZSTD_d_windowLogMax, 27);
}

ZstdDecompressor::~ZstdDecompressor() { ZSTD_freeDCtx(ctx_); }

absl::Status ZstdDecompressor::Write(const char* data, size_t n) {
  if (n == 0) return absl::OkStatus();
  ZSTD_inBuffer in{data, n, 0};
  while (true) {
    ZSTD_outBuffer out{out_.data(), out_.size(), 0};
    size_t consumed_before = in.pos;
    size_t hint = ZSTD_decompressStream(ctx_, &out, &in);
    if (ZSTD_isError(hint)) {
      return absl::DataLossError(absl::StrCat(
          "stored dump is not a valid zstd stream: ", ZSTD_getErrorName(hint)));
    }
    // A call that moved nothing reports on the next frame, not this one.
    if (in.pos != consumed_before || out.pos > 0) last_hint_ = hint;
    if (out.pos > 0) RETURN_IF_ERROR(next_->Write(out_.data(), out.pos));
    // A full output buffer means zstd may still hold decoded bytes.
    if (in.pos == in.size && out.pos < out.size) break;
  }
  return absl::OkStatus();
}

absl::Status ZstdDecompressor::Finish() {
  // An empty stream has no frame at all; that is a valid empty dump only if
  // nothing was ever written, which the stored checksum decides.
  if (last_hint_ != 0) {
    return absl::DataLossError("stored dump is truncated: zstd frame incomplete");
  }
  return next_->Finish();
}

}  // namespace dbdump
