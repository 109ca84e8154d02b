// Storage: the interface every backend (local directory, S3) implements.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/io/sink.h"

namespace dbdump {

struct ObjectInfo {
  std::string key;
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
};

// Checks a key: relative, no empty, "." or ".." segment, no control bytes.
absl::Status ValidateObjectKey(const std::string& key);

// Reads a whole (small) object, refusing ones larger than `max_bytes`.
absl::StatusOr<std::string> ReadSmallObject(Storage* storage, const std::string& key,
                                            size_t max_bytes);
// Writes a whole (small) object atomically.
absl::Status WriteSmallObject(Storage* storage, const std::string& key,
                              const std::string& data);

}  // namespace dbdump
