// LocalStorage: a directory tree as object storage (the embedded default).
#pragma once

#include <string>

#include "common/storage/storage.h"

namespace dbdump {

// Objects are files under `root`. A writer writes `<key>.partial-<random>`,
// fsyncs it and renames it over the key on Finish(), so a key either holds a
// complete object or does not exist. Thread-safe.
class LocalStorage : public Storage {
 public:
  // `root` must be an absolute path without ".." segments; it is created if
  // missing.
  static absl::StatusOr<std::unique_ptr<LocalStorage>> Open(const std::string& root);

  absl::StatusOr<std::unique_ptr<ObjectWriter>> NewWriter(const std::string& key) override;
  absl::StatusOr<std::unique_ptr<ObjectReader>> NewReader(const std::string& key) override;
  absl::StatusOr<ObjectInfo> Stat(const std::string& key) override;
  absl::StatusOr<std::vector<ObjectInfo>> List(const std::string& prefix) override;
  absl::Status Remove(const std::string& key) override;
  absl::StatusOr<std::vector<IncompleteWrite>> ListIncomplete(const std::string& prefix) override;
  absl::Status AbortIncomplete(const IncompleteWrite& write) override;

  // Suffix marker of in-progress files; List() never returns them.
  static constexpr const char* kPartialMarker = ".partial-";

 private:
  explicit LocalStorage(std::string root) : root_(std::move(root)) {}
  absl::StatusOr<std::string> PathOf(const std::string& key) const;
  std::string root_;
};

// Validates a local storage root path: absolute, no "." or ".." segments.
absl::Status ValidateLocalRoot(const std::string& root);

}  // namespace dbdump
