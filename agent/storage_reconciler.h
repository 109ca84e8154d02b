// StorageReconciler: compares one storage destination with the controller's
// catalogue of it and decides, object by object, what to adopt, mark missing
// or found, remove, abort or keep; without a dry run it removes unfinished
// backups' objects and aborts unfinished writes (never anything else: the
// controller applies the catalogue's changes).
//
// Only keys in dbdump's layout under the prefix are considered:
// <prefix>/<database>/<backup-id>/<object> with a valid database name and a
// backup id shaped like the ones the controller generates
// ("20260115T020000Z-0123abcd"). Anything else is counted as ignored and
// never touched.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/base/clock.h"
#include "common/storage/storage.h"
#include "dbdump/v1/agent_service.pb.h"

namespace dbdump {

// Stateless apart from the clock; thread-safe.
class StorageReconciler {
 public:
  // Leftovers younger than this are kept when a request says 0.
  static constexpr uint32_t kDefaultMinAgeS = 86400;

  explicit StorageReconciler(Clock* clock = DefaultClock()) : clock_(clock) {}

  // Lists the storage once (objects and unfinished writes under the prefix)
  // and returns every action with its reason. Errors only for a storage that
  // cannot be listed; a failed removal is an action with `error` set.
  absl::StatusOr<dbdump::v1::AgentReconcileStorageResponse> Reconcile(
      Storage* storage, const dbdump::v1::AgentReconcileStorageRequest& req) const;

 private:
  Clock* clock_;
};

// True for ids shaped like NewBackupId's: "YYYYMMDDTHHMMSSZ-" and 8 lowercase hex digits.
bool IsBackupIdShape(const std::string& id);

}  // namespace dbdump
