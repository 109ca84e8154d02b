// AgentClient: how the controller calls one agent. The dispatcher, the
// backup maintainer and the admin services use only this interface; the
// gRPC implementation (GrpcAgentClient) keeps deadlines, retries and status
// conversion in one place, and tests use FakeAgentClient
// (tests/fakes/fake_agent_client.h) without any server.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dbdump/v1/agent_service.pb.h"
#include "dbdump/v1/controller_service.pb.h"

namespace dbdump {

// The events of one job as an agent streams them, until a terminal one.
// Next and Finish are called from one thread; Cancel from any.
class JobEventStream {
 public:
  virtual ~JobEventStream() = default;
  // The next event; false when the stream ended (call Finish for why).
  virtual bool Next(dbdump::v1::JobEvent* event) = 0;
  // How the stream ended: OK when the agent closed it, otherwise the
  // error, with the agent's status code (Unavailable when unreachable,
  // NotFound when it has no such job, DeadlineExceeded past the deadline).
  virtual absl::Status Finish() = 0;
  // Ends the call from another thread: Next returns false soon after.
  virtual void Cancel() = 0;
};

// The messages of one ReadBackupObject call: a header, then data chunks
// unless the header redirects. Next and Finish are called from one thread;
// Cancel from any.
class BackupObjectStream {
 public:
  virtual ~BackupObjectStream() = default;
  // The next message; false when the stream ended (call Finish for why).
  virtual bool Next(dbdump::v1::ReadBackupObjectResponse* message) = 0;
  // OK when the agent sent the whole object, otherwise its error.
  virtual absl::Status Finish() = 0;
  // Ends the call from another thread: Next returns false soon after.
  virtual void Cancel() = 0;
};

// One agent. Every unary call has a bounded deadline. Thread-safe.
class AgentClient {
 public:
  virtual ~AgentClient() = default;

  // Connects to the database and returns the server's version.
  virtual absl::StatusOr<std::string> TestConnection(const dbdump::v1::DatabaseTarget& target) = 0;
  // Proves the agent can write, read and delete in the storage.
  virtual absl::Status ProbeStorage(const dbdump::v1::StorageDestination& storage) = 0;
  // Removes a stored backup, manifest first; returns the keys removed.
  virtual absl::StatusOr<dbdump::v1::AgentDeleteBackupResponse> DeleteBackup(
      const dbdump::v1::StoredBackupRef& backup) = 0;
  // Re-reads a stored backup and checks it against its manifest.
  virtual absl::StatusOr<dbdump::v1::VerifyBackupResponse> VerifyBackup(
      const dbdump::v1::StoredBackupRef& backup) = 0;
  virtual absl::Status CancelJob(const std::string& job_id) = 0;
  // Compares a storage with the catalogue sent and cleans up its leftovers
  // (unless a dry run); returns every action.
  virtual absl::StatusOr<dbdump::v1::AgentReconcileStorageResponse> ReconcileStorage(
      const dbdump::v1::AgentReconcileStorageRequest& request) = 0;
  // One object of a stored backup, for a download. No deadline: a big
  // object takes as long as its reader does; the caller cancels the stream
  // when its own client goes away.
  virtual std::unique_ptr<BackupObjectStream> ReadBackupObject(
      const dbdump::v1::ReadBackupObjectRequest& request) = 0;

  // Job streams; `deadline` bounds the whole call (InfiniteFuture: none).
  // The agent runs a job id at most once: sending it again follows it.
  virtual std::unique_ptr<JobEventStream> RunBackup(const dbdump::v1::BackupJob& job,
                                                    absl::Time deadline) = 0;
  virtual std::unique_ptr<JobEventStream> RunRestore(const dbdump::v1::RestoreJob& job,
                                                     absl::Time deadline) = 0;
  virtual std::unique_ptr<JobEventStream> RunCopy(const dbdump::v1::CopyJob& job,
                                                  absl::Time deadline) = 0;
  // Re-attaches to a running or recently finished job.
  virtual std::unique_ptr<JobEventStream> WatchJob(const std::string& job_id,
                                                   absl::Time deadline) = 0;
};

// The clients of all agents, one per registered agent. Thread-safe.
class AgentClients {
 public:
  virtual ~AgentClients() = default;
  // The client of `agent` as registered (its name and address).
  virtual std::shared_ptr<AgentClient> For(const dbdump::v1::Agent& agent) = 0;
};

}  // namespace dbdump
