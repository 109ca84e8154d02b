#include "common/crypto/age_stream.h"

#include <algorithm>
#include <cstring>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/crypto/age_header.h"
#include "common/crypto/age_primitives.h"
#include "common/crypto/age_stanza.h"

namespace dbdump {
namespace {

constexpr size_t kFileKeyBytes = 16;
constexpr size_t kPayloadNonceBytes = 16;

// 11-byte big-endian chunk counter, then the last-chunk flag.
void ChunkNonce(uint64_t counter, bool last, uint8_t nonce[12]) {
  std::memset(nonce, 0, 12);
  for (int i = 0; i < 8; ++i) nonce[10 - i] = static_cast<uint8_t>(counter >> (8 * i));
  nonce[11] = last ? 1 : 0;
}

// Cuts what arrives into chunks of `size` bytes for `take`, keeping a full
// chunk in `partial` until a further byte shows it is not the stream's last
// (only Finish() knows which one is). Only partial chunks are copied.
absl::Status FeedChunks(const uint8_t* p, size_t n, size_t size, std::vector<uint8_t>* partial,
                        absl::FunctionRef<absl::Status(const uint8_t*, size_t)> take) {
  while (n > 0) {
    if (partial->size() == size) {
      RETURN_IF_ERROR(take(partial->data(), size));
      partial->clear();
    }
    if (partial->empty() && n > size) {
      RETURN_IF_ERROR(take(p, size));
      p += size;
      n -= size;
      continue;
    }
    size_t k = std::min(n, size - partial->size());
    partial->insert(partial->end(), p, p + k);
    p += k;
    n -= k;
  }
  return absl::OkStatus();
}

absl::StatusOr<age::Key32> PayloadKey(absl::string_view file_key, absl::string_view nonce) {
  return age::Hkdf(file_key, nonce, "payload");
}

}  // namespace

absl::StatusOr<std::unique_ptr<AgeEncryptSink>> AgeEncryptSink::Create(const AgeEncryptKeys& keys,
                                                                       Sink* next) {
  if (keys.recipients.empty() && keys.passphrase.empty()) {
    return absl::InvalidArgumentError("age encryption needs a recipient or a passphrase");
  }
  if (!keys.recipients.empty() && !keys.passphrase.empty()) {
    return absl::InvalidArgumentError(
        "age encryption is to recipients or with a passphrase, not both");
  }
  std::string file_key(kFileKeyBytes, '\0');
  std::string nonce(kPayloadNonceBytes, '\0');
  auto wipe = [&] { age::Wipe(file_key.data(), file_key.size()); };
  absl::Status made = [&]() -> absl::Status {
    RETURN_IF_ERROR(age::RandomBytes(reinterpret_cast<uint8_t*>(file_key.data()), file_key.size()));
    RETURN_IF_ERROR(age::RandomBytes(reinterpret_cast<uint8_t*>(nonce.data()), nonce.size()));
    return absl::OkStatus();
  }();
  if (!made.ok()) return made;
  std::vector<AgeStanza> stanzas;
  for (const AgeKey& r : keys.recipients) {
    absl::StatusOr<AgeStanza> s = WrapX25519(r, file_key);
    if (!s.ok()) {
      wipe();
      return s.status();
    }
    stanzas.push_back(std::move(*s));
  }
  if (!keys.passphrase.empty()) {
    absl::StatusOr<AgeStanza> s = WrapScrypt(keys.passphrase, keys.scrypt_work_factor, file_key);
    if (!s.ok()) {
      wipe();
      return s.status();
    }
    stanzas.push_back(std::move(*s));
  }
  absl::StatusOr<std::string> header = SerializeAgeHeader(stanzas, file_key);
  absl::StatusOr<age::Key32> payload_key =
      header.ok() ? PayloadKey(file_key, nonce) : header.status();
  wipe();
  if (!payload_key.ok()) return payload_key.status();
  std::unique_ptr<AgeEncryptSink> sink(new AgeEncryptSink(next, *header + nonce));
  sink->payload_key_ = *payload_key;
  age::Wipe(payload_key->data(), payload_key->size());
  sink->plain_.reserve(kAgeChunkBytes);
  sink->sealed_.resize(kAgeSealedChunkBytes);
  return sink;
}

AgeEncryptSink::~AgeEncryptSink() {
  age::Wipe(payload_key_.data(), payload_key_.size());
  age::Wipe(plain_.data(), plain_.size());
}

absl::Status AgeEncryptSink::SealChunk(const uint8_t* plain, size_t n, bool last) {
  if (!header_.empty()) {
    RETURN_IF_ERROR(next_->Write(header_.data(), header_.size()));
    header_.clear();
    header_.shrink_to_fit();
  }
  uint8_t nonce[12];
  ChunkNonce(counter_++, last, nonce);
  RETURN_IF_ERROR(age::Seal(payload_key_, nonce, plain, n, sealed_.data()));
  return next_->Write(reinterpret_cast<const char*>(sealed_.data()), n + 16);
}

absl::Status AgeEncryptSink::Write(const char* data, size_t n) {
  return FeedChunks(reinterpret_cast<const uint8_t*>(data), n, kAgeChunkBytes, &plain_,
                    [this](const uint8_t* chunk, size_t k) { return SealChunk(chunk, k, false); });
}

absl::Status AgeEncryptSink::Finish() {
  // The rest is the last chunk; it is empty only when the whole stream is.
  RETURN_IF_ERROR(SealChunk(plain_.data(), plain_.size(), true));
  age::Wipe(plain_.data(), plain_.size());
  plain_.clear();
  return next_->Finish();
}

AgeDecryptSink::AgeDecryptSink(std::shared_ptr<const AgeDecryptKeys> keys, Sink* next)
    : keys_(std::move(keys)), next_(next) {
  sealed_.reserve(kAgeSealedChunkBytes);
  plain_.resize(kAgeChunkBytes);
}

AgeDecryptSink::~AgeDecryptSink() {
  age::Wipe(payload_key_.data(), payload_key_.size());
  age::Wipe(plain_.data(), plain_.size());
}

absl::Status AgeDecryptSink::OpenChunk(const uint8_t* sealed, size_t n, bool last) {
  if (n < 16) {
    return absl::DataLossError("the age stream is truncated: its last chunk is cut short");
  }
  if (last && n == 16 && counter_ > 0) {
    return absl::DataLossError("the age stream ends with an empty chunk, which the format forbids");
  }
  uint8_t nonce[12];
  ChunkNonce(counter_, last, nonce);
  absl::Status opened = age::Open(payload_key_, nonce, sealed, n, plain_.data());
  if (!opened.ok()) {
    if (last) {
      return absl::DataLossError(absl::StrCat(
          "the age stream is truncated or altered: chunk ", counter_,
          " does not authenticate as its last chunk"));
    }
    return absl::DataLossError(absl::StrCat("the age stream is altered: chunk ", counter_,
                                            " does not authenticate"));
  }
  ++counter_;
  return next_->Write(reinterpret_cast<const char*>(plain_.data()), n - 16);
}

absl::Status AgeDecryptSink::TakeHeader() {
  ASSIGN_OR_RETURN(std::optional<AgeHeader> header, ParseAgeHeader(head_));
  if (!header || head_.size() < header->length + kPayloadNonceBytes) {
    return absl::OkStatus();  // more to come
  }
  ASSIGN_OR_RETURN(std::string file_key, UnwrapFileKey(header->stanzas, *keys_));
  absl::Status mac = CheckAgeHeaderMac(*header, file_key);
  absl::StatusOr<age::Key32> key =
      mac.ok() ? PayloadKey(file_key,
                            absl::string_view(head_).substr(header->length, kPayloadNonceBytes))
               : mac;
  age::Wipe(file_key.data(), file_key.size());
  if (!key.ok()) return key.status();
  payload_key_ = *key;
  age::Wipe(key->data(), key->size());
  have_header_ = true;
  std::string rest = head_.substr(header->length + kPayloadNonceBytes);
  head_.clear();
  head_.shrink_to_fit();
  return Write(rest.data(), rest.size());
}

absl::Status AgeDecryptSink::Write(const char* data, size_t n) {
  if (failed_) return absl::FailedPreconditionError("the age stream already failed");
  if (!have_header_) {
    head_.append(data, n);
    absl::Status st = TakeHeader();
    if (!st.ok()) failed_ = true;
    return st;
  }
  absl::Status st =
      FeedChunks(reinterpret_cast<const uint8_t*>(data), n, kAgeSealedChunkBytes, &sealed_,
                 [this](const uint8_t* chunk, size_t k) { return OpenChunk(chunk, k, false); });
  if (!st.ok()) failed_ = true;
  return st;
}

absl::Status AgeDecryptSink::Finish() {
  if (failed_) return absl::FailedPreconditionError("the age stream already failed");
  if (!have_header_) {
    if (head_.empty()) return absl::DataLossError("the age stream is empty");
    ASSIGN_OR_RETURN(std::optional<AgeHeader> header, ParseAgeHeader(head_));
    if (!header) return absl::DataLossError("the age stream is truncated inside its header");
    return absl::DataLossError("the age stream is truncated: it has no payload");
  }
  if (sealed_.empty()) {
    return absl::DataLossError("the age stream is truncated: its last chunk is missing");
  }
  RETURN_IF_ERROR(OpenChunk(sealed_.data(), sealed_.size(), true));
  sealed_.clear();
  return next_->Finish();
}

absl::Status CheckAgeKeysOpen(Source* source, const AgeDecryptKeys& keys) {
  std::string head;
  char buf[4096];
  while (true) {
    ASSIGN_OR_RETURN(std::optional<AgeHeader> header, ParseAgeHeader(head));
    if (header) {
      ASSIGN_OR_RETURN(std::string file_key, UnwrapFileKey(header->stanzas, keys));
      absl::Status mac = CheckAgeHeaderMac(*header, file_key);
      age::Wipe(file_key.data(), file_key.size());
      return mac;
    }
    ASSIGN_OR_RETURN(size_t n, source->Read(buf, sizeof buf));
    if (n == 0) return absl::DataLossError("the age stream is truncated inside its header");
    head.append(buf, n);
  }
}

}  // namespace dbdump
