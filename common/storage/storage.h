// Storage: the interface every backend (local directory, S3) implements.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/io/sink.h"

namespace dbdump {

struct ObjectInfo {
  std::string key;
  uint64_t size_bytes = 0;
  // Last written; InfinitePast() when the backend did not say.
  absl::Time modified = absl::InfinitePast();
};

// A write that was started and never finished nor aborted: an incomplete S3
// multipart upload, a local partial file. Invisible to List(); it costs
// storage until aborted.
struct IncompleteWrite {
  // The object the write was for.
  std::string key;
  // Which write (an object may have several): the S3 upload id, or the
  // partial file's name relative to the root.
  std::string id;
  // When it started (S3) or was last written (local).
  absl::Time started = absl::InfinitePast();
  // Bytes so far, when the backend knows them cheaply (local).
  uint64_t size_bytes = 0;
};

// A new object being written. Nothing is visible under its key until Finish()
// succeeds; destroying an unfinished writer aborts it and leaves nothing
// behind. Not thread-safe.
class ObjectWriter : public Sink {
 public:
  // Discards everything written so far.
  virtual void Abort() = 0;
};

// Reads one stored object from the start.
class ObjectReader : public Source {};

// Object storage addressed by '/'-separated keys. Implementations are
// thread-safe; the writers and readers they return are not.
class Storage {
 public:
  virtual ~Storage() = default;
  virtual absl::StatusOr<std::unique_ptr<ObjectWriter>> NewWriter(const std::string& key) = 0;
  virtual absl::StatusOr<std::unique_ptr<ObjectReader>> NewReader(const std::string& key) = 0;
  // NotFound when absent.
  virtual absl::StatusOr<ObjectInfo> Stat(const std::string& key) = 0;
  // All objects whose key starts with `prefix`, sorted by key.
  virtual absl::StatusOr<std::vector<ObjectInfo>> List(const std::string& prefix) = 0;
  // Removing an absent object succeeds.
  virtual absl::Status Remove(const std::string& key) = 0;
  // Unfinished writes of objects whose key starts with `prefix`, sorted by key.
  virtual absl::StatusOr<std::vector<IncompleteWrite>> ListIncomplete(const std::string& prefix) = 0;
  // Discards one unfinished write (aborts the upload, removes the partial
  // file); one already gone is no error. Never touches a finished object.
  virtual absl::Status AbortIncomplete(const IncompleteWrite& write) = 0;
};

// Discards every unfinished write of exactly `key` (not of longer keys that
// start with it); returns how many there were.
absl::StatusOr<int> AbortIncompleteWritesOf(Storage* storage, const std::string& key);

// Checks a key: relative, no empty, "." or ".." segment, no control bytes.
absl::Status ValidateObjectKey(const std::string& key);

// Reads a whole (small) object, refusing ones larger than `max_bytes`.
absl::StatusOr<std::string> ReadSmallObject(Storage* storage, const std::string& key,
                                            size_t max_bytes);
// Writes a whole (small) object atomically.
absl::Status WriteSmallObject(Storage* storage, const std::string& key,
                              const std::string& data);

}  // namespace dbdump
