// CopySource: which storage a restore or download of a backup reads.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "dbdump/v1/controller_service.pb.h"

namespace dbdump {

// The storage to read backup `b` from: its primary storage when
// `from_storage` is empty or names it; otherwise `from_storage` must hold a
// committed copy of it (FailedPrecondition naming the copy's state and
// error, or the destinations that do hold one).
absl::StatusOr<std::string> ReadableStorageOf(const dbdump::v1::Backup& b,
                                              const std::string& from_storage);

}  // namespace dbdump
