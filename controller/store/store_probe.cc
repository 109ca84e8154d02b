#include "controller/store/store_probe.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "controller/store/store.h"

namespace dbdump {

StoreProbe::StoreProbe(Store* store, std::string path) : store_(store), path_(std::move(path)) {
  struct stat st {};
  if (stat(path_.c_str(), &st) == 0) {
    device_ = st.st_dev;
    inode_ = st.st_ino;
    identified_ = true;
  }
}

absl::Status StoreProbe::Check() {
  struct stat st {};
  if (stat(path_.c_str(), &st) != 0) {
    return absl::UnavailableError(absl::StrCat(
        "the store ", path_, " is gone (", std::strerror(errno),
        "): what the controller writes now would be lost; put the file back or restart it"));
  }
  if (identified_ && (st.st_dev != device_ || st.st_ino != inode_)) {
    return absl::UnavailableError(absl::StrCat(
        "the store ", path_, " was replaced by another file while open; restart the controller "
        "to use the new one"));
  }
  absl::Status read = store_->ListAgents().status();
  if (!read.ok()) {
    return absl::UnavailableError(absl::StrCat("the store ", path_, " does not answer: ",
                                               read.message()));
  }
  return absl::OkStatus();
}

}  // namespace dbdump
