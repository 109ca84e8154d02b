#include "common/io/fd_io.h"

#include <errno.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace dbdump {

absl::StatusOr<size_t> FdSource::Read(char* data, size_t n) {
  while (true) {
    ssize_t r = ::read(fd_, data, n);
    if (r >= 0) return static_cast<size_t>(r);
    if (errno == EINTR) continue;
    return absl::InternalError(absl::StrCat("read failed: ", strerror(errno)));
  }
}

FdSink::~FdSink() {
  if (close_ && fd_ >= 0) ::close(fd_);
}

absl::Status FdSink::Write(const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd_, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) return absl::AbortedError("the restore tool stopped reading its input");
      return absl::InternalError(absl::StrCat("write failed: ", strerror(errno)));
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return absl::OkStatus();
}

absl::Status FdSink::Finish() {
  if (close_ && fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  return absl::OkStatus();
}

}  // namespace dbdump
