// Bech32 (BIP 173) without its length limit, as age uses it for keys.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace dbdump {

struct Bech32Value {
  std::string hrp;  // lowercase
  std::vector<uint8_t> data;  // 8-bit bytes
};

// Stateless functions; thread-safe.
// Encodes `data` under `hrp` (lowercase output; callers upper-case it where
// the format wants that, as age secret keys do).
std::string Bech32Encode(const std::string& hrp, const std::vector<uint8_t>& data);
// Decodes an all-lowercase or all-uppercase string; fails on mixed case, a
// bad checksum, characters outside the alphabet or non-zero padding bits.
absl::StatusOr<Bech32Value> Bech32Decode(const std::string& text);

}  // namespace dbdump
