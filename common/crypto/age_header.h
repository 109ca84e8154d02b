// The age header: version line, recipient stanzas, header MAC.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "common/crypto/age_stanza.h"

namespace dbdump {

// Headers larger than this are refused: memory stays bounded whatever a
// (forged) file says. Thousands of recipients fit.
constexpr size_t kMaxAgeHeaderBytes = 1 << 20;

struct AgeHeader {
  std::vector<AgeStanza> stanzas;
  // The bytes the MAC covers: the header up to and including "---".
  std::string mac_input;
  std::string mac;  // 32 bytes
  // Bytes of the header, through the newline after the MAC.
  size_t length = 0;
};

// Stateless functions; thread-safe.
// The header's bytes for `stanzas`, with the MAC keyed by `file_key`.
absl::StatusOr<std::string> SerializeAgeHeader(const std::vector<AgeStanza>& stanzas,
                                               absl::string_view file_key);
// Parses the header at the start of `data`: nullopt while `data` does not
// hold all of it yet; an error for anything malformed (or over
// kMaxAgeHeaderBytes).
absl::StatusOr<std::optional<AgeHeader>> ParseAgeHeader(absl::string_view data);
// Checks the header MAC with the unwrapped file key.
absl::Status CheckAgeHeaderMac(const AgeHeader& header, absl::string_view file_key);

}  // namespace dbdump
