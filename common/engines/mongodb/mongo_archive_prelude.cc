#include "common/engines/mongodb/mongo_archive_prelude.h"

#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace dbdump {
namespace {

constexpr uint32_t kMagic = 0x8199e26d;
constexpr uint32_t kTerminator = 0xffffffff;
// The server refuses documents over 16 MiB; the tools add a little.
constexpr uint32_t kMaxDocumentBytes = (16u << 20) + (16u << 10);

uint32_t LittleEndian32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint32_t>(u[0]) | static_cast<uint32_t>(u[1]) << 8 |
         static_cast<uint32_t>(u[2]) << 16 | static_cast<uint32_t>(u[3]) << 24;
}

// Calls `fn(type, name, value)` for each top-level element of the BSON
// document `doc` (the whole document, length prefix included); `value` is
// the element's encoded value. False when the document is malformed or `fn`
// returned false.
bool ForEachElement(
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

// A BSON string value as text; false when it is not a well-formed string.
bool StringValue(unsigned char type, absl::string_view value, std::string* out) {
  if (type != 0x02 || value.size() < 5 || value.back() != '\0') return false;
  *out = std::string(value.substr(4, value.size() - 5));
  return true;
}

}  // namespace

void MongoArchivePrelude::Fail(std::string problem) {
  state_ = State::kNotAnArchive;
  problem_ = std::move(problem);
  pending_.clear();
  pending_.shrink_to_fit();
}

bool MongoArchivePrelude::ReadHeader(const std::string& doc) {
  return ForEachElement(doc, [this](unsigned char type, absl::string_view name,
                                    absl::string_view value) {
    if (name == "server_version") return StringValue(type, value, &server_version_);
    if (name == "tool_version") return StringValue(type, value, &tool_version_);
    if (name == "version") return StringValue(type, value, &format_version_);
    return true;
  });
}

bool MongoArchivePrelude::ReadCollection(const std::string& doc) {
  Namespace ns;
  bool has_db = false, has_collection = false;
  bool ok = ForEachElement(doc, [&](unsigned char type, absl::string_view name,
                                    absl::string_view value) {
    if (name == "db") return has_db = StringValue(type, value, &ns.db);
    if (name == "collection") return has_collection = StringValue(type, value, &ns.collection);
    if (name == "type") return StringValue(type, value, &ns.type);
    return true;
  });
  if (!ok || !has_db || !has_collection) return false;
  namespaces_.push_back(std::move(ns));
  return true;
}

void MongoArchivePrelude::Feed(const char* data, size_t n) {
  bytes_seen_ += n;
  if (state_ != State::kReading) return;
  pending_.append(data, n);
  size_t pos = 0;
  while (state_ == State::kReading && pending_.size() - pos >= 4) {
    uint32_t word = LittleEndian32(pending_.data() + pos);
    if (part_ == Part::kMagic) {
      if (word != kMagic) {
        Fail("it does not start with the mongodump archive magic number");
        return;
      }
      pos += 4;
      prelude_bytes_ += 4;
      part_ = Part::kHeader;
      continue;
    }
    if (part_ == Part::kCollections && word == kTerminator) {
      prelude_bytes_ += 4;
      state_ = State::kComplete;
      pending_.clear();
      pending_.shrink_to_fit();
      return;
    }
    if (word < 5 || word > kMaxDocumentBytes) {
      Fail(absl::StrCat("a document of its prelude claims an impossible length (", word,
                        " bytes)"));
      return;
    }
    if (prelude_bytes_ + word > max_prelude_bytes_) {
      state_ = State::kTooLarge;
      pending_.clear();
      pending_.shrink_to_fit();
      return;
    }
    if (pending_.size() - pos < word) break;  // wait for the rest of the document
    std::string doc = pending_.substr(pos, word);
    bool ok = part_ == Part::kHeader ? ReadHeader(doc) : ReadCollection(doc);
    if (!ok) {
      Fail(part_ == Part::kHeader ? "its header is not a well-formed BSON document"
                                  : "a collection entry of its prelude is malformed");
      return;
    }
    pos += word;
    prelude_bytes_ += word;
    part_ = Part::kCollections;
  }
  pending_.erase(0, pos);
}

}  // namespace dbdump
