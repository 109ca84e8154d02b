// Written here rather than taken from a library: Debian packages no C or C++
// bech32 library, and age needs only encode and decode without the 90
// character limit of BIP 173.
#include "common/crypto/bech32.h"

#include <cctype>

#include "absl/strings/ascii.h"

namespace dbdump {
namespace {

constexpr char kAlphabet[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

uint32_t Polymod(const std::vector<uint8_t>& values) {
  static constexpr uint32_t kGen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
                                       0x2a1462b3};
  uint32_t chk = 1;
  for (uint8_t v : values) {
    uint8_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; ++i) {
      if ((top >> i) & 1) chk ^= kGen[i];
    }
  }
  return chk;
}

std::vector<uint8_t> HrpExpand(const std::string& hrp) {
  std::vector<uint8_t> out;
  for (char c : hrp) out.push_back(static_cast<uint8_t>(c) >> 5);
  out.push_back(0);
  for (char c : hrp) out.push_back(static_cast<uint8_t>(c) & 31);
  return out;
}

// Regroups bits; `pad` adds zero bits to finish the last group (encoding),
// otherwise leftover bits must be fewer than `from` and zero (decoding).
bool ConvertBits(const std::vector<uint8_t>& in, int from, int to, bool pad,
                 std::vector<uint8_t>* out) {
  uint32_t acc = 0;
  int bits = 0;
  const uint32_t maxv = (1u << to) - 1;
  for (uint8_t v : in) {
    if ((v >> from) != 0) return false;
    acc = (acc << from) | v;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out->push_back((acc >> bits) & maxv);
    }
  }
  if (pad) {
    if (bits > 0) out->push_back((acc << (to - bits)) & maxv);
  } else if (bits >= from || ((acc << (to - bits)) & maxv) != 0) {
    return false;
  }
  return true;
}

}  // namespace

std::string Bech32Encode(const std::string& hrp, const std::vector<uint8_t>& data) {
  std::string lower_hrp = absl::AsciiStrToLower(hrp);
  std::vector<uint8_t> five;
  ConvertBits(data, 8, 5, true, &five);
  std::vector<uint8_t> values = HrpExpand(lower_hrp);
  values.insert(values.end(), five.begin(), five.end());
  values.insert(values.end(), 6, 0);
  uint32_t mod = Polymod(values) ^ 1;
  std::string out = lower_hrp + "1";
  for (uint8_t v : five) out.push_back(kAlphabet[v]);
  for (int i = 0; i < 6; ++i) out.push_back(kAlphabet[(mod >> (5 * (5 - i))) & 31]);
  return out;
}

absl::StatusOr<Bech32Value> Bech32Decode(const std::string& text) {
  bool lower = false, upper = false;
  for (char c : text) {
    if (c < 33 || c > 126) {
      return absl::InvalidArgumentError("bech32 string has a character outside printable ASCII");
    }
    if (std::islower(static_cast<unsigned char>(c))) lower = true;
    if (std::isupper(static_cast<unsigned char>(c))) upper = true;
  }
  if (lower && upper) return absl::InvalidArgumentError("bech32 string mixes upper and lower case");
  std::string s = absl::AsciiStrToLower(text);
  size_t sep = s.rfind('1');
  if (sep == std::string::npos || sep == 0 || sep + 7 > s.size()) {
    return absl::InvalidArgumentError("bech32 string has no separator or is too short");
  }
  Bech32Value v;
  v.hrp = s.substr(0, sep);
  std::vector<uint8_t> five;
  for (size_t i = sep + 1; i < s.size(); ++i) {
    const char* p = nullptr;
    for (const char* a = kAlphabet; *a != '\0'; ++a) {
      if (*a == s[i]) p = a;
    }
    if (p == nullptr) return absl::InvalidArgumentError("bech32 string has an invalid character");
    five.push_back(static_cast<uint8_t>(p - kAlphabet));
  }
  std::vector<uint8_t> values = HrpExpand(v.hrp);
  values.insert(values.end(), five.begin(), five.end());
  if (Polymod(values) != 1) return absl::InvalidArgumentError("bech32 checksum does not match");
  five.resize(five.size() - 6);
  if (!ConvertBits(five, 5, 8, false, &v.data)) {
    return absl::InvalidArgumentError("bech32 data has invalid padding");
  }
  return v;
}

}  // namespace dbdump
