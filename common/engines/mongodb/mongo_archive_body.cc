#include "common/engines/mongodb/mongo_archive_body.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/engines/mongodb/mongo_bson.h"

namespace dbdump {
namespace {

constexpr uint32_t kTerminator = 0xffffffff;
// The server refuses documents over 16 MiB; the tools add a little.
constexpr uint32_t kMaxDocumentBytes = (16u << 20) + (16u << 10);
// A namespace header holds two names, a flag and a checksum.
constexpr uint32_t kMaxHeaderBytes = 64 << 10;

}  // namespace

void MongoArchiveBody::Fail(std::string problem) {
  problem_ = std::move(problem);
  pending_.clear();
  pending_.shrink_to_fit();
}

void MongoArchiveBody::Feed(const char* data, size_t n) {
  while (n > 0 && ok()) {
    if (skip_ > 0) {
      size_t k = static_cast<size_t>(std::min<uint64_t>(skip_, n));
      skip_ -= k;
      data += k;
      n -= k;
      continue;
    }
    if (pending_.size() < 4) {
      size_t k = std::min(4 - pending_.size(), n);
      pending_.append(data, k);
      data += k;
      n -= k;
      if (pending_.size() < 4) return;
    }
    uint32_t word = mongo::LittleEndian32(pending_.data());
    if (pending_.size() == 4 && word == kTerminator) {
      if (!in_block_) {
        Fail("two terminators follow each other, without a namespace header between them");
        return;
      }
      in_block_ = false;
      pending_.clear();
      continue;
    }
    if (word < 5 || word > kMaxDocumentBytes) {
      Fail(absl::StrCat("a document claims an impossible length (", word, " bytes)"));
      return;
    }
    if (in_block_) {
      // A document of the current collection: counted, then skipped.
      ++documents_[current_];
      skip_ = word - 4;
      pending_.clear();
      continue;
    }
    if (word > kMaxHeaderBytes) {
      Fail(absl::StrCat("a namespace header claims ", word, " bytes"));
      return;
    }
    size_t k = std::min<size_t>(word - pending_.size(), n);
    pending_.append(data, k);
    data += k;
    n -= k;
    if (pending_.size() < word) return;
    std::string db, collection;
    bool has_db = false, has_collection = false;
    bool parsed = mongo::ForEachBsonElement(
        pending_, [&](unsigned char type, absl::string_view name, absl::string_view value) {
          if (name == "db") return has_db = mongo::BsonString(type, value, &db);
          if (name == "collection") {
            return has_collection = mongo::BsonString(type, value, &collection);
          }
          return true;
        });
    if (!parsed || !has_db || !has_collection) {
      Fail("a namespace header is not a well-formed {db, collection} document");
      return;
    }
    current_ = absl::StrCat(db, ".", collection);
    documents_.emplace(current_, 0);
    in_block_ = true;
    pending_.clear();
  }
}

}  // namespace dbdump
