// StoreLock: one dbdump-controller per metadata store, and the store's files
// readable by their owner only.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dbdump {

// An exclusive flock(2) on "<store path>.lock" (created 0600, holding the
// owner's pid as text), released when destroyed. flock locks belong to the
// open file description, so a second Acquire fails within one process too.
// Thread-compatible: owned by one Store.
class StoreLock {
 public:
  // FailedPrecondition naming the holder's pid when another holds it.
  static absl::StatusOr<std::unique_ptr<StoreLock>> Acquire(const std::string& store_path);
  ~StoreLock();
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;

 private:
  explicit StoreLock(int fd) : fd_(fd) {}
  int fd_;
};

// Creates the database file 0600 if missing, then RestrictStoreFiles. Only
// before SQLite opens it: closing a descriptor of an open database would
// release SQLite's locks on it.
absl::Status CreateStoreFile(const std::string& store_path);
// Tightens the database file and its -wal and -shm files to 0600 when they
// exist with a wider mode (logging a warning for each), by name only. The
// store holds catalogue and security data.
absl::Status RestrictStoreFiles(const std::string& store_path);

}  // namespace dbdump
