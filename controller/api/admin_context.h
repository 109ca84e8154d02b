// AdminContext: what every admin service works on.
#pragma once

#include "common/base/clock.h"
#include "controller/agents/agent_client.h"
#include "controller/dispatch/dispatcher.h"
#include "controller/dispatch/job_updates.h"
#include "controller/store/store.h"

namespace dbdump {

class AuditLog;
class BackupMaintainer;
class CatalogueReconciler;
class CallerDirectory;
class ControllerPki;

// Not owned; all required.
struct AdminContext {
  Store* store = nullptr;
  Dispatcher* dispatcher = nullptr;
  AgentClients* agents = nullptr;
  JobUpdates* updates = nullptr;
  Clock* clock = nullptr;
  // Null when the controller serves plaintext (no certificates, no enrollment).
  ControllerPki* pki = nullptr;
  AuditLog* audit = nullptr;
  // Deletes stored backups (through their agents).
  BackupMaintainer* maintainer = nullptr;
  // Storage reconciliation (through the agents).
  CatalogueReconciler* reconciler = nullptr;
  // Token callers admitted by the auth processor (CallerOf).
  const CallerDirectory* callers = nullptr;
};

}  // namespace dbdump
