#include "common/engines/mongodb/mongo_archive_prelude.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/engines/mongodb/mongo_bson.h"

namespace dbdump {
namespace {

using mongo::BsonString;
using mongo::ForEachBsonElement;
using mongo::LittleEndian32;

constexpr uint32_t kMagic = 0x8199e26d;
constexpr uint32_t kTerminator = 0xffffffff;
// The server refuses documents over 16 MiB; the tools add a little.
constexpr uint32_t kMaxDocumentBytes = (16u << 20) + (16u << 10);

}  // namespace

void MongoArchivePrelude::Fail(std::string problem) {
  state_ = State::kNotAnArchive;
  problem_ = std::move(problem);
  pending_.clear();
  pending_.shrink_to_fit();
}

bool MongoArchivePrelude::ReadHeader(const std::string& doc) {
  return ForEachBsonElement(doc, [this](unsigned char type, absl::string_view name,
                                    absl::string_view value) {
    if (name == "server_version") return BsonString(type, value, &server_version_);
    if (name == "tool_version") return BsonString(type, value, &tool_version_);
    if (name == "version") return BsonString(type, value, &format_version_);
    return true;
  });
}

bool MongoArchivePrelude::ReadCollection(const std::string& doc) {
  Namespace ns;
  bool has_db = false, has_collection = false;
  bool ok = ForEachBsonElement(doc, [&](unsigned char type, absl::string_view name,
                                    absl::string_view value) {
    if (name == "db") return has_db = BsonString(type, value, &ns.db);
    if (name == "collection") return has_collection = BsonString(type, value, &ns.collection);
    if (name == "type") return BsonString(type, value, &ns.type);
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
