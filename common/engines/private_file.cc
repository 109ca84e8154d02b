#include "common/engines/private_file.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dbdump {

absl::StatusOr<PrivateFile> PrivateFile::Create(const std::string& dir, const std::string& stem,
                                                const std::string& suffix,
                                                const std::string& contents) {
  absl::BitGen gen;
  std::string path =
      absl::StrCat(dir, "/", stem, "-", absl::StrFormat("%016x", absl::Uniform<uint64_t>(gen)),
                   suffix);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create a private file in the agent work directory ", dir, ": ", strerror(errno)));
  }
  PrivateFile file(path);
  size_t off = 0;
  while (off < contents.size()) {
    ssize_t w = ::write(fd, contents.data() + off, contents.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      ::close(fd);
      return absl::InternalError(absl::StrCat("cannot write ", path, ": ", strerror(errno)));
    }
    off += static_cast<size_t>(w);
  }
  ::close(fd);
  return file;
}

PrivateFile& PrivateFile::operator=(PrivateFile&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

PrivateFile::~PrivateFile() { Remove(); }

void PrivateFile::Remove() {
  if (!path_.empty()) ::unlink(path_.c_str());
  path_.clear();
}

}  // namespace dbdump
