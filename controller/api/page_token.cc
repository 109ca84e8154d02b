#include "controller/api/page_token.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace dbdump {
namespace {

constexpr char kPrefix[] = "p1.";

// Eight bytes of SHA-256 of the filters: enough to tell listings apart.
std::string Fingerprint(const std::string& filters) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(filters.data()), filters.size(), md);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(md), 8));
}

absl::Status Invalid() {
  return absl::InvalidArgumentError(
      "page_token was not made for this listing (another call or other filters): start again "
      "without it");
}

}  // namespace

absl::StatusOr<int> PageSizeOf(uint32_t page_size) {
  constexpr uint32_t kDefault = 100;
  constexpr uint32_t kMax = 1000;
  if (page_size > kMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size is at most ", kMax, ", got ", page_size));
  }
  return static_cast<int>(page_size == 0 ? kDefault : page_size);
}

std::string EncodePageToken(const std::string& position, const std::string& filters) {
  return absl::StrCat(kPrefix,
                      absl::WebSafeBase64Escape(absl::StrCat(Fingerprint(filters), "\n", position)));
}

absl::StatusOr<std::string> DecodePageToken(const std::string& token, const std::string& filters) {
  if (!absl::StartsWith(token, kPrefix)) return Invalid();
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token.substr(sizeof(kPrefix) - 1), &raw)) return Invalid();
  size_t nl = raw.find('\n');
  if (nl == std::string::npos || raw.substr(0, nl) != Fingerprint(filters)) return Invalid();
  return raw.substr(nl + 1);
}

}  // namespace dbdump
