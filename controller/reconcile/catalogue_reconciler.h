// CatalogueReconciler: makes the catalogue and a storage agree. An agent
// that can reach the storage compares it with the catalogue sent to it and
// cleans up leftovers (agent/storage_reconciler.h); the controller then
// applies the catalogue's side: adopts manifests it lacks, marks backups
// whose objects are gone missing (and notifies), and completes them again
// when their objects are back.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/base/clock.h"
#include "common/base/work_queue.h"
#include "controller/agents/agent_client.h"
#include "controller/notify/notifier.h"
#include "controller/store/store.h"
#include "dbdump/v1/controller_service.pb.h"

namespace dbdump {

struct CatalogueReconcilerParts {
  // Not owned; all required but `notifier`.
  Store* store = nullptr;
  AgentClients* agents = nullptr;
  Clock* clock = nullptr;
  Notifier* notifier = nullptr;
  // Whether an agent answers now (the dispatcher's heartbeat rule).
  std::function<bool(const dbdump::v1::Agent&, absl::Time)> is_online;
};

// Thread-safe: passes run one at a time (a scheduled pass and a request
// for the same storage never overlap).
class CatalogueReconciler {
 public:
  // What min_age_s = 0 means.
  static constexpr uint32_t kDefaultMinAgeS = 86400;

  explicit CatalogueReconciler(CatalogueReconcilerParts parts);
  ~CatalogueReconciler();

  // One pass over one storage. NotFound for an unknown storage or agent,
  // FailedPrecondition when no agent can reach it (the error says to pass
  // --via), the agent's error when it failed as a whole. Actions the
  // catalogue could not take carry their `error`.
  absl::StatusOr<dbdump::v1::ReconcileStorageResponse> Reconcile(
      const dbdump::v1::ReconcileStorageRequest& req);
  // Reconciles every storage (not a dry run) on the worker thread, logging
  // each summary; a pass still queued or running makes this one a no-op.
  void ReconcileAllLater(absl::Duration min_age);
  bool WaitIdle(absl::Duration timeout);
  void Stop();

 private:
  absl::StatusOr<dbdump::v1::Agent> PickAgent(const dbdump::v1::StorageDestination& storage,
                                              const std::string& requested);
  // Applies one action to the catalogue; sets its `done` or `error`.
  void Apply(const dbdump::v1::StorageDestination& storage, const std::string& agent,
             dbdump::v1::ReconcileAction* action);
  void Adopt(const dbdump::v1::StorageDestination& storage, const std::string& agent,
             dbdump::v1::ReconcileAction* action);

  CatalogueReconcilerParts p_;
  absl::Mutex pass_mu_;  // one pass at a time
  absl::Mutex mu_;
  bool all_pending_ ABSL_GUARDED_BY(mu_) = false;
  // Scheduled passes; last, so it stops before the members its tasks use go.
  WorkQueue queue_;
};

// One line: counts by kind and failures.
std::string ReconcileSummary(const dbdump::v1::ReconcileStorageResponse& resp);

}  // namespace dbdump
