// age's STREAM payload as sinks: an encrypting one (header, nonce, 64 KiB
// ChaCha20-Poly1305 chunks) and a decrypting one, both streaming with a
// bounded buffer (one chunk).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/crypto/age_keys.h"
#include "common/io/sink.h"

namespace dbdump {

// Plaintext bytes per chunk, and the same sealed (+ the Poly1305 tag).
constexpr size_t kAgeChunkBytes = 64 * 1024;
constexpr size_t kAgeSealedChunkBytes = kAgeChunkBytes + 16;

// Writes an age file of what it is given into `next`. A chunk is sealed
// once the next byte arrives, so the last one (flagged as such) is known at
// Finish(); an empty stream becomes one empty last chunk, as the spec says.
// Not thread-safe.
class AgeEncryptSink : public Sink {
 public:
  // Fails on keys that cannot be used (none, or a passphrase beside
  // recipients).
  static absl::StatusOr<std::unique_ptr<AgeEncryptSink>> Create(const AgeEncryptKeys& keys,
                                                                Sink* next);
  ~AgeEncryptSink() override;
  absl::Status Write(const char* data, size_t n) override;
  absl::Status Finish() override;

 private:
  AgeEncryptSink(Sink* next, std::string header) : next_(next), header_(std::move(header)) {}
  absl::Status SealChunk(const uint8_t* plain, size_t n, bool last);

  Sink* next_;
  std::string header_;  // header and payload nonce, sent before the first chunk
  std::array<uint8_t, 32> payload_key_{};
  uint64_t counter_ = 0;
  std::vector<uint8_t> plain_;   // a partial chunk
  std::vector<uint8_t> sealed_;  // one sealed chunk
};

// Reads an age file and writes its plaintext into `next`. The header is
// parsed and opened with `keys` when it has arrived; every chunk is
// authenticated before its plaintext moves on; Finish() fails on a stream
// that ends early or without its last chunk. Not thread-safe.
class AgeDecryptSink : public Sink {
 public:
  AgeDecryptSink(std::shared_ptr<const AgeDecryptKeys> keys, Sink* next);
  ~AgeDecryptSink() override;
  absl::Status Write(const char* data, size_t n) override;
  absl::Status Finish() override;

 private:
  absl::Status OpenChunk(const uint8_t* sealed, size_t n, bool last);
  // Parses the header once it is all in `head_`; moves what follows on.
  absl::Status TakeHeader();

  std::shared_ptr<const AgeDecryptKeys> keys_;
  Sink* next_;
  bool have_header_ = false;
  bool failed_ = false;
  std::string head_;  // header and payload nonce while they arrive
  std::array<uint8_t, 32> payload_key_{};
  uint64_t counter_ = 0;
  std::vector<uint8_t> sealed_;  // a partial (or held-back full) chunk
  std::vector<uint8_t> plain_;   // one opened chunk
};

// Reads the header at the start of `source` and checks that `keys` open it
// (stanza and header MAC), without touching the payload: a restore's check
// before anything is applied.
absl::Status CheckAgeKeysOpen(Source* source, const AgeDecryptKeys& keys);

}  // namespace dbdump
