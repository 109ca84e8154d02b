// Facts about job states shared by agent, controller and CLI.
#pragma once

#include "dbdump/v1/types.pb.h"

namespace dbdump {

// SUCCEEDED, FAILED, CANCELLED and LOST are final: a job in one never changes.
inline bool IsTerminalJobState(dbdump::v1::JobState s) {
  return s == dbdump::v1::JOB_STATE_SUCCEEDED || s == dbdump::v1::JOB_STATE_FAILED ||
         s == dbdump::v1::JOB_STATE_CANCELLED || s == dbdump::v1::JOB_STATE_LOST;
}

}  // namespace dbdump
