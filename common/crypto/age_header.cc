#include "common/crypto/age_header.h"

#include <openssl/crypto.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/status_macros.h"
#include "common/crypto/age_primitives.h"

namespace dbdump {
namespace {

constexpr absl::string_view kVersionLine = "age-encryption.org/v1";
constexpr size_t kColumns = 64;

absl::StatusOr<age::Key32> MacKey(absl::string_view file_key) {
  return age::Hkdf(file_key, "", "header");
}

absl::Status Malformed(absl::string_view why) {
  return absl::DataLossError(absl::StrCat("malformed age header: ", why));
}

// An argument or type: one or more VCHARs.
bool IsArg(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < 33 || c > 126) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> SerializeAgeHeader(const std::vector<AgeStanza>& stanzas,
                                               absl::string_view file_key) {
  std::string h = absl::StrCat(kVersionLine, "\n");
  for (const AgeStanza& s : stanzas) {
    absl::StrAppend(&h, "-> ", s.type);
    for (const std::string& a : s.args) absl::StrAppend(&h, " ", a);
    h.push_back('\n');
    std::string b64 = age::Base64Encode(s.body);
    // Full 64-column lines, then a shorter (possibly empty) last one.
    size_t i = 0;
    for (; i + kColumns <= b64.size(); i += kColumns) {
      absl::StrAppend(&h, b64.substr(i, kColumns), "\n");
    }
    absl::StrAppend(&h, b64.substr(i), "\n");
  }
  h.append("---");
  ASSIGN_OR_RETURN(age::Key32 key, MacKey(file_key));
  absl::StatusOr<age::Key32> mac = age::HmacSha256(key, h);
  age::Wipe(key.data(), key.size());
  if (!mac.ok()) return mac.status();
  absl::StrAppend(&h, " ",
                  age::Base64Encode(absl::string_view(reinterpret_cast<const char*>(mac->data()),
                                                     mac->size())),
                  "\n");
  return h;
}

absl::StatusOr<std::optional<AgeHeader>> ParseAgeHeader(absl::string_view data) {
  size_t pos = 0;
  // The next whole line (without its newline), or nullopt when `data`
  // ends first.
  auto next_line = [&]() -> std::optional<absl::string_view> {
    size_t nl = data.find('\n', pos);
    if (nl == absl::string_view::npos) return std::nullopt;
    absl::string_view line = data.substr(pos, nl - pos);
    pos = nl + 1;
    return line;
  };
  auto incomplete = [&]() -> absl::StatusOr<std::optional<AgeHeader>> {
    if (data.size() > kMaxAgeHeaderBytes) {
      return Malformed(absl::StrCat("larger than ", kMaxAgeHeaderBytes, " bytes"));
    }
    // A stream that does not even start like age is refused at once.
    absl::string_view start = data.substr(0, kVersionLine.size());
    if (!absl::StartsWith(kVersionLine, start)) {
      return Malformed("not an age file (no age-encryption.org/v1 version line)");
    }
    return std::optional<AgeHeader>();
  };
  std::optional<absl::string_view> line = next_line();
  if (!line) return incomplete();
  if (*line != kVersionLine) {
    if (absl::StartsWith(*line, "-----BEGIN AGE ENCRYPTED FILE")) {
      return Malformed("ASCII-armored age files are not supported: dearmor it with age first");
    }
    return Malformed("not an age file (no age-encryption.org/v1 version line)");
  }
  AgeHeader h;
  while (true) {
    size_t line_start = pos;
    line = next_line();
    if (!line) return incomplete();
    if (absl::StartsWith(*line, "---")) {
      if (line->size() < 4 || (*line)[3] != ' ') return Malformed("MAC line has no MAC");
      h.mac_input = std::string(data.substr(0, line_start + 3));
      absl::StatusOr<std::string> mac = age::Base64Decode(line->substr(4));
      if (!mac.ok()) return Malformed(mac.status().message());
      h.mac = std::move(*mac);
      if (h.mac.size() != 32) return Malformed("MAC is not 32 bytes");
      h.length = pos;
      if (h.stanzas.empty()) return Malformed("no recipient stanza");
      return std::optional<AgeHeader>(std::move(h));
    }
    if (!absl::StartsWith(*line, "-> ")) return Malformed("expected a stanza or the MAC line");
    std::vector<std::string> parts = absl::StrSplit(line->substr(3), ' ');
    for (const std::string& p : parts) {
      if (!IsArg(p)) return Malformed("stanza line with an empty or invalid argument");
    }
    AgeStanza s;
    s.type = parts[0];
    s.args.assign(parts.begin() + 1, parts.end());
    std::string b64;
    while (true) {
      std::optional<absl::string_view> body = next_line();
      if (!body) return incomplete();
      if (body->size() > kColumns) return Malformed("stanza body line over 64 columns");
      absl::StrAppend(&b64, *body);
      if (body->size() < kColumns) break;
    }
    absl::StatusOr<std::string> decoded = age::Base64Decode(b64);
    if (!decoded.ok()) return Malformed(decoded.status().message());
    s.body = std::move(*decoded);
    h.stanzas.push_back(std::move(s));
  }
}

absl::Status CheckAgeHeaderMac(const AgeHeader& header, absl::string_view file_key) {
  ASSIGN_OR_RETURN(age::Key32 key, MacKey(file_key));
  absl::StatusOr<age::Key32> mac = age::HmacSha256(key, header.mac_input);
  age::Wipe(key.data(), key.size());
  if (!mac.ok()) return mac.status();
  if (header.mac.size() != mac->size() ||
      CRYPTO_memcmp(header.mac.data(), mac->data(), mac->size()) != 0) {
    return absl::DataLossError("the age header's MAC does not match: the header was altered");
  }
  return absl::OkStatus();
}

}  // namespace dbdump
