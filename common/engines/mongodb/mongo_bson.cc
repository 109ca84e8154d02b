#include "common/engines/mongodb/mongo_bson.h"

namespace dbdump {
namespace mongo {

uint32_t LittleEndian32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint32_t>(u[0]) | static_cast<uint32_t>(u[1]) << 8 |
         static_cast<uint32_t>(u[2]) << 16 | static_cast<uint32_t>(u[3]) << 24;
}

bool ForEachBsonElement(
    absl::string_view doc,
    const std::function<bool(unsigned char, absl::string_view, absl::string_view)>& fn) {
  if (doc.size() < 5 || LittleEndian32(doc.data()) != doc.size() || doc.back() != '\0') {
    return false;
  }
  size_t i = 4;
  const size_t end = doc.size() - 1;  // the document's closing NUL
  auto need = [&](size_t n) { return n <= end - i; };
  auto cstring = [&]() -> size_t {  // length of the C string at i, npos if unterminated
    size_t nul = doc.find('\0', i);
    return nul == absl::string_view::npos || nul >= end ? absl::string_view::npos : nul - i;
  };
  while (i < end) {
    auto type = static_cast<unsigned char>(doc[i++]);
    size_t name_len = cstring();
    if (name_len == absl::string_view::npos) return false;
    absl::string_view name = doc.substr(i, name_len);
    i += name_len + 1;
    size_t size = 0;
    switch (type) {
      case 0x01:  // double
      case 0x09:  // UTC datetime
      case 0x11:  // timestamp
      case 0x12:  // int64
        size = 8;
        break;
      case 0x02:  // string
      case 0x0D:  // JavaScript code
      case 0x0E:  // symbol
        if (!need(4)) return false;
        size = 4 + static_cast<size_t>(LittleEndian32(doc.data() + i));
        if (size < 5) return false;
        break;
      case 0x03:  // document
      case 0x04:  // array
      case 0x0F:  // code with scope
        if (!need(4)) return false;
        size = LittleEndian32(doc.data() + i);
        if (size < 5) return false;
        break;
      case 0x05:  // binary
        if (!need(4)) return false;
        size = 5 + static_cast<size_t>(LittleEndian32(doc.data() + i));
        break;
      case 0x06:  // undefined
      case 0x0A:  // null
      case 0x7F:  // max key
      case 0xFF:  // min key
        size = 0;
        break;
      case 0x07:  // ObjectId
        size = 12;
        break;
      case 0x08:  // bool
        size = 1;
        break;
      case 0x0B: {  // regular expression: two C strings
        size_t a = cstring();
        if (a == absl::string_view::npos) return false;
        size_t save = i;
        i += a + 1;
        size_t b = cstring();
        i = save;
        if (b == absl::string_view::npos) return false;
        size = a + 1 + b + 1;
        break;
      }
      case 0x0C:  // DBPointer: string + ObjectId
        if (!need(4)) return false;
        size = 4 + static_cast<size_t>(LittleEndian32(doc.data() + i)) + 12;
        break;
      case 0x10:  // int32
        size = 4;
        break;
      case 0x13:  // decimal128
        size = 16;
        break;
      default:
        return false;
    }
    if (!need(size)) return false;
    if (!fn(type, name, doc.substr(i, size))) return false;
    i += size;
  }
  return i == end;
}

bool BsonString(unsigned char type, absl::string_view value, std::string* out) {
  if (type != 0x02 || value.size() < 5 || value.back() != '\0') return false;
  *out = std::string(value.substr(4, value.size() - 5));
  return true;
}

}  // namespace mongo
}  // namespace dbdump
