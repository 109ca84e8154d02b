// MongoArchiveBody: counts the documents of each collection in the data part
// of a mongodump archive while it streams past.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace dbdump {

// After the prelude (MongoArchivePrelude), a mongodump archive is a sequence
// of blocks: a BSON namespace header {db, collection, EOF, CRC}, the BSON
// documents of that collection, and the terminator 0xffffffff. Blocks of
// several collections interleave. This reader is fed the bytes after the
// prelude in pieces; it keeps a namespace header until it is whole and
// skips documents by their length, so memory stays small whatever the dump.
//
// Its counts are exactly the documents mongodump wrote: the backup's
// manifest records them, and a test restore checks the restored collections
// against them. Not thread-safe.
class MongoArchiveBody {
 public:
  void Feed(const char* data, size_t n);

  // The bytes so far are well-formed blocks.
  bool ok() const { return problem_.empty(); }
  const std::string& problem() const { return problem_; }
  // The bytes so far end between blocks (a whole archive does).
  bool at_block_boundary() const { return ok() && !in_block_ && pending_.empty() && skip_ == 0; }
  // Documents per namespace ("db.collection"), for every namespace that had
  // a block, empty collections included.
  const std::map<std::string, int64_t>& documents() const { return documents_; }

 private:
  void Fail(std::string problem);

  std::string pending_;    // a length word or a namespace header being read
  uint64_t skip_ = 0;      // bytes left of the document being skipped
  bool in_block_ = false;  // after a header, before its terminator
  std::string current_;    // namespace of the current block
  std::string problem_;
  std::map<std::string, int64_t> documents_;
};

}  // namespace dbdump
