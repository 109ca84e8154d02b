// AdminContext: what every admin service works on.
#pragma once

#include "common/base/clock.h"
#include "controller/agents/agent_client.h"
#include "controller/dispatch/dispatcher.h"
#include "controller/dispatch/job_updates.h"
#include "controller/store/store.h"

namespace dbdump {

// Not owned; all required.
struct AdminContext {
  Store* store = nullptr;
  Dispatcher* dispatcher = nullptr;
  AgentClients* agents = nullptr;
  JobUpdates* updates = nullptr;
  Clock* clock = nullptr;
};

}  // namespace dbdump
