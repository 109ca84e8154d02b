// MongoArchivePrelude: reads the prelude of a mongodump archive while the
// archive streams past.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dbdump {

// A mongodump archive (`mongodump --archive`) starts with a prelude: the
// magic number 0x8199e26d, a BSON header {concurrent_collections, version,
// server_version, tool_version}, one BSON document {db, collection, metadata,
// size, type} per collection, and the terminator 0xffffffff. Collection data
// follows. This parser is fed the stream in pieces (as a pipeline sees it) and
// keeps only the document it is reading, so memory stays small however large
// the dump; once the prelude is read, Feed() only counts bytes.
//
// It tells the agent what mongodump itself recorded: the server version and
// the namespaces of a backup. Not thread-safe.
class MongoArchivePrelude {
 public:
  struct Namespace {
    std::string db;
    std::string collection;
    // "collection", "view", "timeseries"; empty when the archive has none.
    std::string type;
  };
  enum class State {
    kReading,       // more bytes are needed
    kComplete,      // the whole prelude was read
    kNotAnArchive,  // the bytes are not a mongodump archive; see problem()
    kTooLarge,      // the prelude exceeds max_prelude_bytes; nothing more is read
  };

  explicit MongoArchivePrelude(size_t max_prelude_bytes = 64 << 20)
      : max_prelude_bytes_(max_prelude_bytes) {}

  void Feed(const char* data, size_t n);

  State state() const { return state_; }
  uint64_t bytes_seen() const { return bytes_seen_; }
  // The prelude's length, magic number and terminator included: where the
  // collection data starts in the stream (kComplete).
  uint64_t prelude_bytes() const { return prelude_bytes_; }
  // Why the stream is not an archive (kNotAnArchive).
  const std::string& problem() const { return problem_; }
  // From the archive header; empty until it was read.
  const std::string& server_version() const { return server_version_; }
  const std::string& tool_version() const { return tool_version_; }
  const std::string& format_version() const { return format_version_; }
  const std::vector<Namespace>& namespaces() const { return namespaces_; }

 private:
  enum class Part { kMagic, kHeader, kCollections };
  void Fail(std::string problem);
  bool ReadHeader(const std::string& doc);
  bool ReadCollection(const std::string& doc);

  size_t max_prelude_bytes_;
  State state_ = State::kReading;
  Part part_ = Part::kMagic;
  std::string pending_;        // bytes of the unfinished piece
  uint64_t prelude_bytes_ = 0;  // bytes of the prelude consumed so far
  uint64_t bytes_seen_ = 0;
  std::string problem_;
  std::string server_version_;
  std::string tool_version_;
  std::string format_version_;
  std::vector<Namespace> namespaces_;
};

}  // namespace dbdump
