// StoreLock: one dbdump-controller per metadata store, and the store's files
// readable by their owner only.
#include "controller/store/store_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace {

constexpr mode_t kPrivate = 0600;

absl::Status Errno(const std::string& what, const std::string& path) {
  return absl::FailedPreconditionError(
      absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(errno)));
}

// Tightens an existing `path` to 0600; nothing when it does not exist.
absl::Status Tighten(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return Errno("inspect", path);
  }
  if ((st.st_mode & 0777) == kPrivate) return absl::OkStatus();
  if (chmod(path.c_str(), kPrivate) != 0) return Errno("restrict the permissions of", path);
  LogWarn("store", path, " had mode ", absl::StrFormat("%04o", st.st_mode & 0777),
          "; changed it to 0600 (the metadata store is for its owner only)");
  return absl::OkStatus();
}

std::string ReadPid(int fd) {
  char buf[32] = {};
  ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return "unknown";
  std::string pid(buf, static_cast<size_t>(n));
  pid = std::string(absl::StripAsciiWhitespace(pid));
  return pid.empty() ? "unknown" : pid;
}

}  // namespace

absl::StatusOr<std::unique_ptr<StoreLock>> StoreLock::Acquire(const std::string& store_path) {
  std::string path = store_path + ".lock";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, kPrivate);
  if (fd < 0) return Errno("open the lock file", path);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    std::string pid = ReadPid(fd);
    close(fd);
    if (err == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the store ", store_path, " is in use by another dbdump-controller (pid ", pid,
          "); stop it or use another --store"));
    }
    errno = err;
    return Errno("lock", path);
  }
  std::unique_ptr<StoreLock> lock(new StoreLock(fd));
  // The pid is for the message of the one refused; a failure to write it
  // only makes that message say "unknown", so it is logged, not fatal.
  std::string pid = absl::StrCat(getpid(), "\n");
  if (fchmod(fd, kPrivate) != 0 || ftruncate(fd, 0) != 0 ||
      pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    LogWarn("store", "cannot record our pid in ", path, ": ", std::strerror(errno));
  }
  return lock;
}

StoreLock::~StoreLock() { close(fd_); }

absl::Status CreateStoreFile(const std::string& store_path) {
  // SQLite creates -wal and -shm with the mode of the database file, so a
  // database created 0600 keeps them private too. Only before SQLite opens
  // the file: closing any descriptor of it would drop SQLite's POSIX locks.
  int fd = open(store_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, kPrivate);
  if (fd < 0) return Errno("open the metadata store", store_path);
  close(fd);
  return RestrictStoreFiles(store_path);
}

absl::Status RestrictStoreFiles(const std::string& store_path) {
  // chmod by name only: never open (and close) a file SQLite has open, which
  // would release the locks it holds on it.
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    RETURN_IF_ERROR(Tighten(store_path + suffix));
  }
  return absl::OkStatus();
}

}  // namespace dbdump
