#include "common/storage/local_storage.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace fs = std::filesystem;
namespace {

absl::Status ErrnoStatus(const std::string& what, int err) {
  if (err == ENOENT) return absl::NotFoundError(absl::StrCat(what, ": ", strerror(err)));
  if (err == EACCES || err == EPERM) {
    return absl::PermissionDeniedError(absl::StrCat(what, ": ", strerror(err)));
  }
  if (err == ENOSPC) return absl::ResourceExhaustedError(absl::StrCat(what, ": ", strerror(err)));
  return absl::InternalError(absl::StrCat(what, ": ", strerror(err)));
}

absl::Status MakeDirs(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  return absl::OkStatus();
}

class LocalWriter : public ObjectWriter {
 public:
  LocalWriter(int fd, std::string tmp, std::string final_path)
      : fd_(fd), tmp_(std::move(tmp)), final_(std::move(final_path)) {}
  ~LocalWriter() override { Abort(); }

  absl::Status Write(const char* data, size_t n) override {
    if (fd_ < 0) return absl::FailedPreconditionError("writer is closed");
    while (n > 0) {
      ssize_t w = ::write(fd_, data, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(absl::StrCat("write ", tmp_), errno);
      }
      data += w;
      n -= static_cast<size_t>(w);
    }
    return absl::OkStatus();
  }

  absl::Status Finish() override {
    if (fd_ < 0) return absl::FailedPreconditionError("writer is closed");
    if (::fsync(fd_) != 0) return ErrnoStatus(absl::StrCat("fsync ", tmp_), errno);
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) {
      ::unlink(tmp_.c_str());
      return ErrnoStatus(absl::StrCat("close ", tmp_), errno);
    }
    if (::rename(tmp_.c_str(), final_.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp_.c_str());
      return ErrnoStatus(absl::StrCat("rename to ", final_), err);
    }
    // Make the rename itself durable.
    int dir = ::open(fs::path(final_).parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      ::fsync(dir);
      ::close(dir);
    }
    done_ = true;
    return absl::OkStatus();
  }

  void Abort() override {
    if (done_) return;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    ::unlink(tmp_.c_str());
    done_ = true;
  }

 private:
  int fd_;
  std::string tmp_;
  std::string final_;
  bool done_ = false;
};

class LocalReader : public ObjectReader {
 public:
  explicit LocalReader(int fd) : fd_(fd) {}
  ~LocalReader() override { ::close(fd_); }
  absl::StatusOr<size_t> Read(char* data, size_t n) override {
    while (true) {
      ssize_t r = ::read(fd_, data, n);
      if (r >= 0) return static_cast<size_t>(r);
      if (errno != EINTR) return ErrnoStatus("read", errno);
    }
  }

 private:
  int fd_;
};

absl::Time ModifiedAt(const fs::path& p) {
  struct stat st;
  if (::stat(p.c_str(), &st) != 0) return absl::InfinitePast();
  return absl::TimeFromTimespec(st.st_mtim);
}

}  // namespace

absl::Status ValidateLocalRoot(const std::string& root) {
  if (root.empty() || root.front() != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("storage path \"", root, "\" must be an absolute path"));
  }
  for (absl::string_view seg : absl::StrSplit(root, '/', absl::SkipEmpty())) {
    if (seg == "." || seg == "..") {
      return absl::InvalidArgumentError(absl::StrCat(
          "storage path \"", root, "\" must not contain \".\" or \"..\" segments"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LocalStorage>> LocalStorage::Open(const std::string& root) {
  RETURN_IF_ERROR(ValidateLocalRoot(root));
  RETURN_IF_ERROR(MakeDirs(root));
  return std::unique_ptr<LocalStorage>(new LocalStorage(root));
}

absl::StatusOr<std::string> LocalStorage::PathOf(const std::string& key) const {
  RETURN_IF_ERROR(ValidateObjectKey(key));
  return absl::StrCat(root_, "/", key);
}

absl::StatusOr<std::unique_ptr<ObjectWriter>> LocalStorage::NewWriter(const std::string& key) {
  ASSIGN_OR_RETURN(std::string path, PathOf(key));
  RETURN_IF_ERROR(MakeDirs(fs::path(path).parent_path()));
  absl::BitGen gen;
  std::string tmp = absl::StrCat(path, kPartialMarker, absl::Uniform<uint64_t>(gen));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return ErrnoStatus(absl::StrCat("create ", tmp), errno);
  return std::unique_ptr<ObjectWriter>(new LocalWriter(fd, tmp, path));
}

absl::StatusOr<std::unique_ptr<ObjectReader>> LocalStorage::NewReader(const std::string& key) {
  ASSIGN_OR_RETURN(std::string path, PathOf(key));
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(absl::StrCat("open ", key), errno);
  return std::unique_ptr<ObjectReader>(new LocalReader(fd));
}

absl::StatusOr<ObjectInfo> LocalStorage::Stat(const std::string& key) {
  ASSIGN_OR_RETURN(std::string path, PathOf(key));
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoStatus(absl::StrCat("stat ", key), errno);
  ObjectInfo info{key, static_cast<uint64_t>(st.st_size)};
  info.modified = absl::TimeFromTimespec(st.st_mtim);
  return info;
}

absl::StatusOr<std::vector<ObjectInfo>> LocalStorage::List(const std::string& prefix) {
  std::vector<ObjectInfo> out;
  std::error_code ec;
  if (!fs::exists(root_, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(root_, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string key = fs::relative(it->path(), root_, ec).string();
    if (absl::StrContains(key, kPartialMarker)) continue;
    if (!absl::StartsWith(key, prefix)) continue;
    ObjectInfo info{key, static_cast<uint64_t>(it->file_size(ec))};
    info.modified = ModifiedAt(it->path());
    out.push_back(std::move(info));
  }
  if (ec) return absl::InternalError(absl::StrCat("list ", root_, ": ", ec.message()));
  std::sort(out.begin(), out.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

absl::Status LocalStorage::Remove(const std::string& key) {
  ASSIGN_OR_RETURN(std::string path, PathOf(key));
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(absl::StrCat("remove ", key), errno);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<IncompleteWrite>> LocalStorage::ListIncomplete(
    const std::string& prefix) {
  std::vector<IncompleteWrite> out;
  std::error_code ec;
  // Only the prefix's own directory can hold what it matches: a job's
  // cleanup of one key does not walk the whole store.
  std::string start = root_;
  if (size_t slash = prefix.rfind('/'); slash != std::string::npos) {
    ASSIGN_OR_RETURN(start, PathOf(prefix.substr(0, slash)));
  }
  if (!fs::is_directory(start, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(start, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string name = fs::relative(it->path(), root_, ec).string();
    size_t marker = name.rfind(kPartialMarker);
    if (marker == std::string::npos) continue;
    std::string key = name.substr(0, marker);
    if (!absl::StartsWith(key, prefix)) continue;
    IncompleteWrite w;
    w.key = key;
    w.id = name;
    w.started = ModifiedAt(it->path());
    w.size_bytes = static_cast<uint64_t>(it->file_size(ec));
    out.push_back(std::move(w));
  }
  if (ec) return absl::InternalError(absl::StrCat("list ", root_, ": ", ec.message()));
  std::sort(out.begin(), out.end(), [](const IncompleteWrite& a, const IncompleteWrite& b) {
    return a.key != b.key ? a.key < b.key : a.id < b.id;
  });
  return out;
}

absl::Status LocalStorage::AbortIncomplete(const IncompleteWrite& write) {
  // Only ever a partial file of the key it names: never the object itself.
  if (!absl::StartsWith(write.id, absl::StrCat(write.key, kPartialMarker))) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", write.id, "\" is not a partial file of ", write.key));
  }
  ASSIGN_OR_RETURN(std::string path, PathOf(write.id));
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(absl::StrCat("remove ", write.id), errno);
  }
  return absl::OkStatus();
}

}  // namespace dbdump
