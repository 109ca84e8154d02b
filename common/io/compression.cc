#include "common/io/compression.h"

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/io/gzip_codec.h"
#include "common/io/zstd_codec.h"

namespace dbdump {
namespace {

// Passes bytes through unchanged (COMPRESSION_NONE).
class PassThrough : public Sink {
 public:
  explicit PassThrough(Sink* next) : next_(next) {}
  absl::Status Write(const char* d, size_t n) override { return next_->Write(d, n); }
  absl::Status Finish() override { return next_->Finish(); }

 private:
  Sink* next_;
};

}  // namespace

v1::Compression EffectiveCompression(v1::Compression codec) {
  return codec == v1::COMPRESSION_UNSPECIFIED ? v1::COMPRESSION_ZSTD : codec;
}

int EffectiveCompressionLevel(v1::Compression codec, int level) {
  switch (EffectiveCompression(codec)) {
    case v1::COMPRESSION_ZSTD:
      return level == 0 ? 3 : level;
    case v1::COMPRESSION_GZIP:
      return level == 0 ? 6 : level;
    default:
      return 0;
  }
}

absl::Status ValidateCompression(v1::Compression codec, int level) {
  switch (EffectiveCompression(codec)) {
    case v1::COMPRESSION_ZSTD:
      if (level < 0 || level > 19) {
        return absl::InvalidArgumentError(
            absl::StrCat("zstd level ", level, " is out of range: use 1..19"));
      }
      return absl::OkStatus();
    case v1::COMPRESSION_GZIP:
      if (level < 0 || level > 9) {
        return absl::InvalidArgumentError(
            absl::StrCat("gzip level ", level, " is out of range: use 1..9"));
      }
      return absl::OkStatus();
    case v1::COMPRESSION_NONE:
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError(absl::StrCat("unknown compression ", codec));
  }
}

absl::StatusOr<std::unique_ptr<Sink>> MakeCompressor(v1::Compression codec, int level,
                                                     int workers, Sink* next) {
  RETURN_IF_ERROR(ValidateCompression(codec, level));
  switch (EffectiveCompression(codec)) {
    case v1::COMPRESSION_ZSTD:
      return std::make_unique<ZstdCompressor>(next, EffectiveCompressionLevel(codec, level),
                                              workers);
    case v1::COMPRESSION_GZIP:
      return std::make_unique<GzipCompressor>(next, EffectiveCompressionLevel(codec, level));
    default:
      return std::make_unique<PassThrough>(next);
  }
}

absl::StatusOr<std::unique_ptr<Sink>> MakeDecompressor(v1::Compression codec, Sink* next) {
  switch (codec) {
    case v1::COMPRESSION_ZSTD:
      return std::make_unique<ZstdDecompressor>(next);
    case v1::COMPRESSION_GZIP:
      return std::make_unique<GzipDecompressor>(next);
    case v1::COMPRESSION_NONE:
      return std::make_unique<PassThrough>(next);
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("backup names unknown compression ", codec));
  }
}

std::string CompressionSuffix(v1::Compression codec) {
  switch (codec) {
    case v1::COMPRESSION_GZIP:
      return "gz";
    case v1::COMPRESSION_NONE:
      return "";
    default:
      return "zst";
  }
}

std::string CompressionName(v1::Compression codec) {
  switch (codec) {
    case v1::COMPRESSION_GZIP:
      return "gzip";
    case v1::COMPRESSION_NONE:
      return "none";
    case v1::COMPRESSION_ZSTD:
      return "zstd";
    default:
      return "unspecified";
  }
}

absl::StatusOr<v1::Compression> ParseCompression(const std::string& name) {
  if (name.empty()) return EffectiveCompression(v1::COMPRESSION_UNSPECIFIED);
  if (name == "zstd") return v1::COMPRESSION_ZSTD;
  if (name == "gzip") return v1::COMPRESSION_GZIP;
  if (name == "none") return v1::COMPRESSION_NONE;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown compression \"", name, "\": use zstd, gzip or none"));
}

}  // namespace dbdump
