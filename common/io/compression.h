// Factories and names for the compression codecs.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/io/sink.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump {

// The codec a job uses when it names none (COMPRESSION_UNSPECIFIED): zstd.
// The one place that default is decided.
dbdump::v1::Compression EffectiveCompression(dbdump::v1::Compression codec);
// The level `codec` compresses at when a job asks for `level`: 0 is the
// codec's default (zstd 3, gzip 6); none has no level (0). What the
// manifest records.
int EffectiveCompressionLevel(dbdump::v1::Compression codec, int level);
// Checks that `codec` is known and `level` is in its range (0 = the codec's
// default), without building a compressor.
absl::Status ValidateCompression(dbdump::v1::Compression codec, int level);
// Compressing stage for `codec`, forwarding to `next`. Level 0 = default.
absl::StatusOr<std::unique_ptr<Sink>> MakeCompressor(dbdump::v1::Compression codec,
                                                     int level, int workers, Sink* next);
// Decompressing stage for `codec`, forwarding to `next`.
absl::StatusOr<std::unique_ptr<Sink>> MakeDecompressor(dbdump::v1::Compression codec,
                                                       Sink* next);
// File name suffix: "zst", "gz" or "" for none.
std::string CompressionSuffix(dbdump::v1::Compression codec);
// Parses "zstd", "gzip", "none".
absl::StatusOr<dbdump::v1::Compression> ParseCompression(const std::string& name);
std::string CompressionName(dbdump::v1::Compression codec);

}  // namespace dbdump
