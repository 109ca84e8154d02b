// PrivateFile: a 0600 file in the agent's work directory, removed on scope exit.
#pragma once

#include <string>
#include <utility>

#include "absl/status/statusor.h"

namespace dbdump {

// Holds short-lived private data (a pgpass file, a snapshot) on the agent's
// host. Created with O_EXCL and mode 0600; removed when destroyed.
class PrivateFile {
 public:
  // Creates `<dir>/<stem>-<random><suffix>` holding `contents`.
  static absl::StatusOr<PrivateFile> Create(const std::string& dir, const std::string& stem,
                                            const std::string& suffix,
                                            const std::string& contents);
  PrivateFile(PrivateFile&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  PrivateFile& operator=(PrivateFile&& other) noexcept;
  PrivateFile(const PrivateFile&) = delete;
  ~PrivateFile();
  const std::string& path() const { return path_; }
  // Removes the file now.
  void Remove();
  // Stops owning the file (it is no longer removed) and returns its path.
  std::string Release() { return std::exchange(path_, std::string()); }

 private:
  explicit PrivateFile(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace dbdump
