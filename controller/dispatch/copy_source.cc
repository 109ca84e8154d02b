#include "controller/dispatch/copy_source.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"

namespace dbdump {

absl::StatusOr<std::string> ReadableStorageOf(const v1::Backup& b,
                                              const std::string& from_storage) {
  if (from_storage.empty() || from_storage == b.storage()) return b.storage();
  RETURN_IF_ERROR(ValidateResourceName("storage name", from_storage));
  std::vector<std::string> committed;
  for (const v1::BackupCopy& c : b.copies()) {
    if (c.state() == v1::BACKUP_COPY_STATE_COMMITTED) committed.push_back(c.storage());
    if (c.storage() != from_storage) continue;
    if (c.state() == v1::BACKUP_COPY_STATE_COMMITTED) return from_storage;
    std::string state(absl::StripPrefix(v1::BackupCopyState_Name(c.state()), "BACKUP_COPY_STATE_"));
    return absl::FailedPreconditionError(absl::StrCat(
        "the copy of backup ", b.id(), " in storage \"", from_storage, "\" is ",
        absl::AsciiStrToLower(state), c.error().empty() ? "" : " (", c.error(),
        c.error().empty() ? "" : ")", ": read the primary storage \"", b.storage(), "\" instead",
        c.state() == v1::BACKUP_COPY_STATE_PENDING
            ? ", or wait for the copy job that retries it (dbdumpctl job list)"
            : ""));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "backup ", b.id(), " has no copy in storage \"", from_storage, "\"; it is in \"", b.storage(),
      "\"", committed.empty() ? "" : " and copied to \"", absl::StrJoin(committed, "\", \""),
      committed.empty() ? "" : "\""));
}

}  // namespace dbdump
