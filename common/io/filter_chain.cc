#include "common/io/filter_chain.h"

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/crypto/age_keys.h"
#include "common/crypto/age_stream.h"
#include "common/io/compression.h"
#include "common/io/counting_sink.h"
#include "common/io/hold_back_sink.h"
#include "common/io/sha256_filter.h"

namespace dbdump {

FilterChain::FilterChain() = default;

// Stages are destroyed head first, while the stages behind them still exist
// (a stage may touch its next one when it goes, e.g. to free a context).
FilterChain::~FilterChain() {
  for (Stage& s : stages_) s.sink.reset();
}

void FilterChain::AddSha256(std::string name) {
  Stage s;
  s.kind = Kind::kSha256;
  s.name = std::move(name);
  stages_.push_back(std::move(s));
}

void FilterChain::AddCounter(std::string name) {
  Stage s;
  s.kind = Kind::kCounter;
  s.name = std::move(name);
  stages_.push_back(std::move(s));
}

void FilterChain::AddCompressor(v1::Compression codec, int level, int workers) {
  Stage s;
  s.kind = Kind::kCompressor;
  s.codec = codec;
  s.level = level;
  s.workers = workers;
  stages_.push_back(std::move(s));
}

void FilterChain::AddDecompressor(v1::Compression codec) {
  Stage s;
  s.kind = Kind::kDecompressor;
  s.codec = codec;
  stages_.push_back(std::move(s));
}

void FilterChain::AddEncryptor(std::shared_ptr<const AgeEncryptKeys> keys) {
  Stage s;
  s.kind = Kind::kEncryptor;
  s.encrypt_keys = std::move(keys);
  stages_.push_back(std::move(s));
}

void FilterChain::AddDecryptor(std::shared_ptr<const AgeDecryptKeys> keys) {
  Stage s;
  s.kind = Kind::kDecryptor;
  s.decrypt_keys = std::move(keys);
  stages_.push_back(std::move(s));
}

void FilterChain::AddHoldBack(size_t bytes) {
  Stage s;
  s.kind = Kind::kHoldBack;
  s.hold_bytes = bytes;
  stages_.push_back(std::move(s));
}

absl::Status FilterChain::Build(Stage& stage, Sink* next) {
  switch (stage.kind) {
    case Kind::kSha256: {
      auto f = std::make_unique<Sha256Filter>(next);
      stage.sha256 = f.get();
      stage.sink = std::move(f);
      return absl::OkStatus();
    }
    case Kind::kCounter: {
      auto c = std::make_unique<CountingSink>(next);
      stage.counter = c.get();
      stage.sink = std::move(c);
      return absl::OkStatus();
    }
    case Kind::kCompressor: {
      ASSIGN_OR_RETURN(stage.sink, MakeCompressor(stage.codec, stage.level, stage.workers, next));
      return absl::OkStatus();
    }
    case Kind::kDecompressor: {
      ASSIGN_OR_RETURN(stage.sink, MakeDecompressor(stage.codec, next));
      return absl::OkStatus();
    }
    case Kind::kEncryptor: {
      if (stage.encrypt_keys == nullptr) {
        return absl::InvalidArgumentError("an encryption stage needs keys");
      }
      ASSIGN_OR_RETURN(stage.sink, AgeEncryptSink::Create(*stage.encrypt_keys, next));
      return absl::OkStatus();
    }
    case Kind::kDecryptor: {
      if (stage.decrypt_keys == nullptr) {
        return absl::InvalidArgumentError("a decryption stage needs keys");
      }
      stage.sink = std::make_unique<AgeDecryptSink>(stage.decrypt_keys, next);
      return absl::OkStatus();
    }
    case Kind::kHoldBack: {
      auto h = std::make_unique<HoldBackSink>(next, stage.hold_bytes);
      stage.hold_back = h.get();
      stage.sink = std::move(h);
      return absl::OkStatus();
    }
  }
  return absl::InternalError("unknown filter chain stage");
}

absl::Status FilterChain::EndAt(Sink* end) {
  if (head_ != nullptr) {
    return absl::FailedPreconditionError("the filter chain is already ended: build a new one");
  }
  if (end == nullptr) {
    return absl::InvalidArgumentError("a filter chain needs an end sink: pass one to EndAt");
  }
  int hold_backs = 0;
  for (size_t i = 0; i < stages_.size(); ++i) {
    if (stages_[i].kind == Kind::kHoldBack) ++hold_backs;
    if (stages_[i].name.empty()) continue;
    for (size_t j = 0; j < i; ++j) {
      if (stages_[j].name == stages_[i].name) {
        return absl::InvalidArgumentError(absl::StrCat(
            "filter chain stage name \"", stages_[i].name, "\" is used twice: name each once"));
      }
    }
  }
  if (hold_backs > 1) {
    return absl::InvalidArgumentError("a filter chain holds back its tail once: add one hold-back");
  }
  // Inside out: each stage is made with the one after it as its next.
  Sink* next = end;
  for (auto it = stages_.rbegin(); it != stages_.rend(); ++it) {
    absl::Status built = Build(*it, next);
    if (!built.ok()) {
      for (Stage& s : stages_) s.sink.reset();
      return built;
    }
    next = it->sink.get();
  }
  head_ = next;
  return absl::OkStatus();
}

const FilterChain::Stage* FilterChain::Find(std::string_view name) const {
  for (const Stage& s : stages_) {
    if (!s.name.empty() && s.name == name) return &s;
  }
  return nullptr;
}

uint64_t FilterChain::bytes(std::string_view name) const {
  const Stage* s = Find(name);
  if (s == nullptr) return 0;
  if (s->sha256 != nullptr) return s->sha256->bytes();
  if (s->counter != nullptr) return s->counter->bytes();
  return 0;
}

std::string FilterChain::sha256_hex(std::string_view name) const {
  const Stage* s = Find(name);
  if (s == nullptr || s->sha256 == nullptr) return "";
  return s->sha256->hex_digest();
}

absl::Status FilterChain::ReleaseHoldBack() {
  for (Stage& s : stages_) {
    if (s.hold_back != nullptr) return s.hold_back->Release();
  }
  return absl::FailedPreconditionError(
      "the filter chain has no hold-back stage: add one before EndAt to release it");
}

}  // namespace dbdump
