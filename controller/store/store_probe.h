// StoreProbe: whether the store the controller has open can still do its
// job, for readiness (grpc.health.v1). SQLite keeps working on a file that
// was deleted or replaced under it (the open descriptor still points at the
// old inode), and everything written then is lost at the next start: so the
// probe checks that the path still names the file that was opened, and that
// a read answers.
#pragma once

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"

namespace dbdump {

class Store;

// Thread-compatible: one thread calls Check.
class StoreProbe {
 public:
  // Remembers which file `path` is now; call right after opening the store.
  StoreProbe(Store* store, std::string path);

  // OK, or Unavailable saying what is wrong and what to do.
  absl::Status Check();

 private:
  Store* store_;
  const std::string path_;
  dev_t device_ = 0;
  ino_t inode_ = 0;
  bool identified_ = false;
};

}  // namespace dbdump
