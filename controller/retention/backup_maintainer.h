// BackupMaintainer: retention (plan and apply) and verification of stored
// backups, carried out by the agents that own the storage.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/synchronization/mutex.h"

#include "absl/status/statusor.h"
#include "common/base/clock.h"
#include "common/base/work_queue.h"
#include "controller/agents/agent_client.h"
#include "controller/notify/notifier.h"
#include "controller/store/store.h"
#include "dbdump/v1/controller_service.pb.h"

namespace dbdump {

// Deletion is refused for the newest successful backup whatever the plan
// says, goes through the database's agent (the controller holds no storage
// credentials) and marks the catalogue entry deleted only once the agent
// removed the objects. Background verifications run on one worker thread so
// the scheduler never waits for them. Thread-safe.
class BackupMaintainer {
 public:
  // `notifier` may be null.
  BackupMaintainer(Store* store, AgentClients* agents, Clock* clock, Notifier* notifier);
  ~BackupMaintainer();

  // Dry run: every live backup of the database with its verdict. Without
  // rules in the request: the database's own rules, else the first of its
  // schedules that has rules.
  absl::StatusOr<dbdump::v1::PlanRetentionResponse> Plan(
      const dbdump::v1::PlanRetentionRequest& req);
  // InvalidArgument for counts or durations beyond sane limits.
  static absl::Status ValidateRules(const dbdump::v1::RetentionRules& rules);
  // Sets (or with empty rules removes) the database's own rules, which take
  // precedence over those of its schedules; returns the rules now in force.
  absl::StatusOr<std::string> SetDatabaseRules(const dbdump::v1::SetDatabaseRetentionRequest& req);
  // Plans with the database's rules (its own, else its schedule's) and
  // deletes what goes.
  absl::StatusOr<dbdump::v1::ApplyRetentionResponse> Apply(const std::string& database);
  // Deletes one backup on request: its copies' objects and its own through
  // an agent (the manifest first), then the catalogue entry is marked
  // deleted. Unlike
  // retention it may delete the newest backup: it was asked by name.
  // FailedPrecondition when the backup is already deleted, or while a
  // restore or test restore job or a verification reads it.
  absl::StatusOr<dbdump::v1::DeleteBackupResponse> Delete(const std::string& backup_id);
  // Verifies now and records the result; a failed check notifies. With
  // `copy_storage` (not the primary), the backup's committed copy there is
  // verified and the result recorded on the copy.
  absl::StatusOr<dbdump::v1::Backup> Verify(const std::string& backup_id,
                                            const std::string& copy_storage = "");
  // Verifies the newest live backup of the database, then each of its
  // committed copies, on the worker thread.
  void VerifyNewestLater(const std::string& database);
  // Applies retention on the worker thread.
  void ApplyLater(const std::string& database);
  // Waits until the worker has nothing left to do; false on timeout.
  bool WaitIdle(absl::Duration timeout);
  void Stop();

 private:
  absl::StatusOr<std::shared_ptr<AgentClient>> AgentOf(const std::string& database);
  // The agent that can reach the backup's objects: for local storage the
  // one that wrote them while it is registered (its host holds the
  // directory), else the database's, else (the database removed) the one
  // that wrote them.
  absl::StatusOr<std::shared_ptr<AgentClient>> AgentOfBackup(
      const dbdump::v1::Backup& backup, const dbdump::v1::StorageDestination& storage);
  // Plan of one copy destination's copies: with its own rules, over its
  // committed copies; a copy locked (Object Lock) into the future is kept.
  absl::StatusOr<dbdump::v1::PlanRetentionResponse> PlanCopies(
      const dbdump::v1::PlanRetentionRequest& req, const dbdump::v1::Database& db);
  // Retention of every copy destination of the database with rules of its
  // own; never its newest committed copy. Deletions go into `resp` as
  // "<backup id>@<storage>".
  absl::Status ApplyToCopies(const std::string& database,
                             const std::map<std::string, dbdump::v1::Backup>& by_id,
                             dbdump::v1::ApplyRetentionResponse* resp);
  // Removes the stored objects through the agent, then marks the entry.
  absl::StatusOr<dbdump::v1::AgentDeleteBackupResponse> DeleteStored(const dbdump::v1::Backup& b);
  // Removes the backup's copy in `storage` through the agent, then marks
  // the copy deleted.
  absl::StatusOr<dbdump::v1::AgentDeleteBackupResponse> DeleteCopy(const dbdump::v1::Backup& b,
                                                                   const std::string& storage);
  // Marks a backup read by a verification for the call's lifetime.
  class Reading;
  // Queues `task`, named `what` in the log.
  void Later(std::function<void()> task, std::string what);

  Store* store_;
  AgentClients* agents_;
  Clock* clock_;
  Notifier* notifier_;
  absl::Mutex mu_;
  // Backups being verified now (their count) and being deleted now.
  std::map<std::string, int> verifying_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> deleting_ ABSL_GUARDED_BY(mu_);
  // Background retention and verification, one at a time; last, so it
  // stops before the members its tasks use go.
  WorkQueue queue_;
};

}  // namespace dbdump
