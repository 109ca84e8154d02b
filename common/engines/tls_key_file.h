// The client key of a target's TLS settings as a file the database clients
// can open: libpq and the MySQL/MariaDB tools take a key only by path.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/engines/private_file.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump {

// A key file that exists as long as this object: the referenced file
// itself (file:), or the PEM text of an env: reference written to a 0600
// PrivateFile in a directory, or to an in-memory file (memfd, fchmod 0600)
// reached as /proc/self/fd/N, which only this process can open.
class TlsKeyFile {
 public:
  // No key in the target: path() is "".
  TlsKeyFile() = default;
  TlsKeyFile(TlsKeyFile&& other) noexcept;
  TlsKeyFile& operator=(TlsKeyFile&& other) noexcept;
  TlsKeyFile(const TlsKeyFile&) = delete;
  ~TlsKeyFile();

  // For the tools (separate processes): an env: key goes to a PrivateFile
  // in `dir`, the agent's work directory.
  static absl::StatusOr<TlsKeyFile> ForTool(const v1::DatabaseTarget& target,
                                            const std::string& dir);
  // For connections this process opens itself (libpq): an env: key never
  // touches a disk.
  static absl::StatusOr<TlsKeyFile> InProcess(const v1::DatabaseTarget& target);

  const std::string& path() const { return path_; }
  // Gives up the private file, if there is one, to keep it alive elsewhere
  // (a tool session's list of files).
  std::optional<PrivateFile> TakePrivateFile();

 private:
  std::string path_;
  std::optional<PrivateFile> file_;
  int memfd_ = -1;
};

}  // namespace dbdump
