// Sha256Filter: pass-through stage that hashes and counts what flows through.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <string>

#include "common/io/sink.h"

namespace dbdump {

// Forwards every byte unchanged to `next` while computing its SHA-256 and
// size. The digest is available after Finish(). Not thread-safe.
class Sha256Filter : public Sink {
 public:
  explicit Sha256Filter(Sink* next);
  ~Sha256Filter() override;
  Sha256Filter(const Sha256Filter&) = delete;
  Sha256Filter& operator=(const Sha256Filter&) = delete;

  absl::Status Write(const char* data, size_t n) override;
  absl::Status Finish() override;

  // Lowercase hex digest; empty before Finish().
  const std::string& hex_digest() const { return hex_; }
  uint64_t bytes() const { return bytes_; }

 private:
  Sink* next_;
  EVP_MD_CTX* ctx_;
  uint64_t bytes_ = 0;
  std::string hex_;
};

// A sink that discards everything; the end of a verify-only chain.
class NullSink : public Sink {
 public:
  absl::Status Write(const char*, size_t) override { return absl::OkStatus(); }
  absl::Status Finish() override { return absl::OkStatus(); }
};

}  // namespace dbdump
