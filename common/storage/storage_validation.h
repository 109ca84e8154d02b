// Validation of storage destinations: what each kind needs, checked
// before a destination is accepted.
#pragma once

#include "absl/status/status.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump {

// Checks every field of a destination for its kind: names, paths, bucket
// naming rules, endpoint and region shape, role ARN, SSE options, the
// credentials reference. The message names the bad field and what to do.
absl::Status ValidateStorageDestination(const dbdump::v1::StorageDestination& s);

}  // namespace dbdump
