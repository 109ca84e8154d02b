// FilterChain: the stages of a data path, added in the order bytes flow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/io/sink.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump {

struct AgeDecryptKeys;
struct AgeEncryptKeys;
class CountingSink;
class HoldBackSink;
class Sha256Filter;

// Stages are added in flow order (what the bytes meet first, first) and the
// chain wires them onto its end itself, so no caller builds a pipeline inside
// out by hand. Results of named stages (sizes, digests) are read back from
// the chain by name. Modelled on pgBackRest's IoFilterGroup.
//
//   FilterChain chain;
//   chain.AddSha256("raw");
//   chain.AddCompressor(codec, level, workers);
//   chain.AddSha256("stored");
//   RETURN_IF_ERROR(chain.EndAt(writer));
//   RETURN_IF_ERROR(Pump(source, chain.head(), options));
//   chain.sha256_hex("raw"), chain.bytes("stored"), ...
//
// Owns its stages, not the end. Not thread-safe: one producer drives it.
class FilterChain {
 public:
  FilterChain();
  ~FilterChain();
  FilterChain(const FilterChain&) = delete;
  FilterChain& operator=(const FilterChain&) = delete;

  // Stages; each is appended behind the ones added before it. Stages are
  // added before EndAt(): one added later is never wired in.
  //
  // Hashes and counts what passes; results under `name`.
  void AddSha256(std::string name);
  // Counts what passes; result under `name`.
  void AddCounter(std::string name);
  // Compresses with `codec` (level 0 = the codec's default, `workers` > 0 =
  // the codec's own threads where it has them).
  void AddCompressor(dbdump::v1::Compression codec, int level, int workers);
  void AddDecompressor(dbdump::v1::Compression codec);
  // Encrypts into an age file (age-encryption.org/v1) to `keys`' recipients
  // or passphrase, as it flows, in 64 KiB chunks.
  void AddEncryptor(std::shared_ptr<const AgeEncryptKeys> keys);
  // Decrypts an age file with `keys`; every chunk is authenticated before
  // it moves on, and a stream cut short fails at Finish().
  void AddDecryptor(std::shared_ptr<const AgeDecryptKeys> keys);
  // Withholds the last `bytes` of the stream, and the Finish() of everything
  // behind it, until ReleaseHoldBack(). At most one per chain.
  void AddHoldBack(size_t bytes);

  // Builds the stages onto `end` (not owned; it must outlive the chain's
  // use). Fails on a codec or level that cannot be set up, a name used
  // twice, or a chain already ended.
  absl::Status EndAt(Sink* end);

  // Where the bytes go in: the first stage, or the end itself when there is
  // no stage. Null before EndAt() succeeded.
  Sink* head() const { return head_; }

  // Bytes that passed the stage `name` (AddSha256 or AddCounter) so far; 0
  // for a name the chain does not have.
  uint64_t bytes(std::string_view name) const;
  // Lowercase hex SHA-256 of what passed the stage `name`; empty before the
  // chain finished, or for a name the chain does not have.
  std::string sha256_hex(std::string_view name) const;

  // Sends the held-back tail on and finishes the stages behind it. Fails
  // when the chain has no hold-back stage.
  absl::Status ReleaseHoldBack();

 private:
  enum class Kind {
    kSha256,
    kCounter,
    kCompressor,
    kDecompressor,
    kEncryptor,
    kDecryptor,
    kHoldBack
  };
  // One stage as added; the sink is made by EndAt().
  struct Stage {
    Kind kind;
    std::string name;
    dbdump::v1::Compression codec = dbdump::v1::COMPRESSION_UNSPECIFIED;
    int level = 0;
    int workers = 0;
    size_t hold_bytes = 0;
    std::shared_ptr<const AgeEncryptKeys> encrypt_keys;
    std::shared_ptr<const AgeDecryptKeys> decrypt_keys;
    std::unique_ptr<Sink> sink;
    // Typed views of `sink` for the stages that have results.
    Sha256Filter* sha256 = nullptr;
    CountingSink* counter = nullptr;
    HoldBackSink* hold_back = nullptr;
  };
  const Stage* Find(std::string_view name) const;
  absl::Status Build(Stage& stage, Sink* next);

  std::vector<Stage> stages_;  // in flow order
  Sink* head_ = nullptr;
};

}  // namespace dbdump
