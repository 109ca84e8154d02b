#include "common/engines/tls_key_file.h"

#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"

namespace dbdump {

namespace {

// The PEM text of an env: reference. Errors name the variable, never any
// of its contents.
absl::StatusOr<std::string> KeyFromEnv(const std::string& ref) {
  std::string name = ref.substr(4);
  const char* v = getenv(name.c_str());
  if (v == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("TLS key reference ", ref, ": the agent has no such variable"));
  }
  std::string pem = v;
  if (!absl::StrContains(pem, "-----BEGIN") || !absl::StrContains(pem, "PRIVATE KEY-----")) {
    return absl::FailedPreconditionError(absl::StrCat(
        "TLS key reference ", ref, ": the variable does not hold a PEM private key "
        "(\"-----BEGIN ... PRIVATE KEY-----\" with its line breaks)"));
  }
  if (pem.back() != '\n') pem.push_back('\n');
  return pem;
}

// A file: reference is handed to the clients as it is; checked here so that
// the error is ours, not an OpenSSL message.
absl::StatusOr<std::string> KeyFilePath(const std::string& ref) {
  std::string path = ref.substr(5);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("TLS key reference ", ref, ": file not found on the agent host"));
  }
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    // libpq refuses such a key too; say so before it does, in our words.
    return absl::FailedPreconditionError(absl::StrCat(
        "TLS key reference ", ref, ": file is accessible by group or others; chmod 600 it"));
  }
  return path;
}

// The first step of both placements: no reference needs nothing, a file:
// one is used where it is (`*path`, checked); an env: one gives its PEM text,
// which the caller places. nullopt = nothing left to place.
absl::StatusOr<std::optional<std::string>> ResolveKeyRef(const std::string& ref,
                                                         std::string* path) {
  if (ref.empty()) return std::nullopt;
  if (absl::StartsWith(ref, "file:/")) {
    ASSIGN_OR_RETURN(*path, KeyFilePath(ref));
    return std::nullopt;
  }
  if (!absl::StartsWith(ref, "env:")) {
    return absl::InvalidArgumentError("TLS key reference must be file:/path or env:NAME");
  }
  ASSIGN_OR_RETURN(std::string pem, KeyFromEnv(ref));
  return pem;
}

}  // namespace

TlsKeyFile::TlsKeyFile(TlsKeyFile&& other) noexcept
    : path_(std::exchange(other.path_, std::string())),
      file_(std::exchange(other.file_, std::nullopt)),
      memfd_(std::exchange(other.memfd_, -1)) {}

TlsKeyFile& TlsKeyFile::operator=(TlsKeyFile&& other) noexcept {
  if (this != &other) {
    if (memfd_ >= 0) ::close(memfd_);
    path_ = std::exchange(other.path_, std::string());
    file_ = std::exchange(other.file_, std::nullopt);
    memfd_ = std::exchange(other.memfd_, -1);
  }
  return *this;
}

TlsKeyFile::~TlsKeyFile() {
  if (memfd_ >= 0) ::close(memfd_);
}

std::optional<PrivateFile> TlsKeyFile::TakePrivateFile() {
  return std::exchange(file_, std::nullopt);
}

absl::StatusOr<TlsKeyFile> TlsKeyFile::ForTool(const v1::DatabaseTarget& target,
                                               const std::string& dir) {
  TlsKeyFile k;
  ASSIGN_OR_RETURN(std::optional<std::string> pem, ResolveKeyRef(target.tls().key_ref(), &k.path_));
  if (!pem.has_value()) return k;
  ASSIGN_OR_RETURN(PrivateFile f, PrivateFile::Create(dir, "tls-client", ".key", *pem));
  k.path_ = f.path();
  k.file_ = std::move(f);
  return k;
}

absl::StatusOr<TlsKeyFile> TlsKeyFile::InProcess(const v1::DatabaseTarget& target) {
  TlsKeyFile k;
  ASSIGN_OR_RETURN(std::optional<std::string> pem, ResolveKeyRef(target.tls().key_ref(), &k.path_));
  if (!pem.has_value()) return k;
  int fd = ::memfd_create("dbdump-tls-key", MFD_CLOEXEC);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("cannot create an in-memory key file: ",
                                            strerror(errno)));
  }
  k.memfd_ = fd;
  // libpq refuses a key file that group or others may read.
  if (::fchmod(fd, 0600) != 0) {
    return absl::InternalError(absl::StrCat("cannot chmod the in-memory key file: ",
                                            strerror(errno)));
  }
  size_t off = 0;
  while (off < pem->size()) {
    ssize_t w = ::write(fd, pem->data() + off, pem->size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      return absl::InternalError(absl::StrCat("cannot write the in-memory key file: ",
                                              strerror(errno)));
    }
    off += static_cast<size_t>(w);
  }
  k.path_ = absl::StrCat("/proc/self/fd/", fd);
  return k;
}

}  // namespace dbdump
