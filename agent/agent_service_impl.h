// AgentServiceImpl: the agent's gRPC face over the job registry and engines.
#pragma once

#include <map>
#include <memory>

#include "agent/backup_maintenance.h"
#include "agent/storage_reconciler.h"
#include "common/engines/engine.h"
#include "agent/job_registry.h"
#include "agent/leftover_sweeper.h"
#include "common/engines/job_runner.h"
#include "dbdump/v1/agent_service.grpc.pb.h"

namespace dbdump {

// Each Run* call starts the job on its own thread and streams its events;
// a dropped stream leaves the job running (WatchJob re-attaches).
// Thread-safe.
class AgentServiceImpl final : public dbdump::v1::AgentService::Service {
 public:
  AgentServiceImpl(std::string name, std::map<dbdump::v1::Engine, std::unique_ptr<Engine>> engines,
                   JobRegistry* registry, JobRunner* runner, LeftoverSweeper* sweeper = nullptr);

  grpc::Status GetAgentInfo(grpc::ServerContext*, const dbdump::v1::GetAgentInfoRequest*,
                            dbdump::v1::GetAgentInfoResponse*) override;
  grpc::Status TestConnection(grpc::ServerContext*, const dbdump::v1::TestConnectionRequest*,
                              dbdump::v1::TestConnectionResponse*) override;
  grpc::Status RunBackup(grpc::ServerContext*, const dbdump::v1::RunBackupRequest*,
                         grpc::ServerWriter<dbdump::v1::JobEvent>*) override;
  grpc::Status RunRestore(grpc::ServerContext*, const dbdump::v1::RunRestoreRequest*,
                          grpc::ServerWriter<dbdump::v1::JobEvent>*) override;
  grpc::Status RunCopy(grpc::ServerContext*, const dbdump::v1::RunCopyRequest*,
                       grpc::ServerWriter<dbdump::v1::JobEvent>*) override;
  grpc::Status WatchJob(grpc::ServerContext*, const dbdump::v1::WatchJobRequest*,
                        grpc::ServerWriter<dbdump::v1::JobEvent>*) override;
  grpc::Status CancelJob(grpc::ServerContext*, const dbdump::v1::AgentCancelJobRequest*,
                         dbdump::v1::AgentCancelJobResponse*) override;
  grpc::Status ProbeStorage(grpc::ServerContext*, const dbdump::v1::ProbeStorageRequest*,
                            dbdump::v1::ProbeStorageResponse*) override;
  grpc::Status DeleteBackup(grpc::ServerContext*, const dbdump::v1::AgentDeleteBackupRequest*,
                            dbdump::v1::AgentDeleteBackupResponse*) override;
  grpc::Status VerifyBackup(grpc::ServerContext*, const dbdump::v1::VerifyBackupRequest*,
                            dbdump::v1::VerifyBackupResponse*) override;
  grpc::Status ReadBackupObject(grpc::ServerContext*, const dbdump::v1::ReadBackupObjectRequest*,
                                grpc::ServerWriter<dbdump::v1::ReadBackupObjectResponse>*) override;
  grpc::Status ReconcileStorage(grpc::ServerContext*, const dbdump::v1::AgentReconcileStorageRequest*,
                                dbdump::v1::AgentReconcileStorageResponse*) override;

  std::vector<dbdump::v1::Engine> engines() const;
  // The tools' version of each of engines().
  std::map<dbdump::v1::Engine, std::string> tool_versions() const;

 private:
  absl::StatusOr<Engine*> EngineFor(dbdump::v1::Engine kind);
  // Streams the job's events until it is terminal or the client goes away.
  grpc::Status Stream(grpc::ServerContext* ctx, const std::string& job_id,
                      grpc::ServerWriter<dbdump::v1::JobEvent>* writer);
  // A job an earlier agent process was running when it died, whose outcome
  // the sweeper has not established yet: UNAVAILABLE (ask again), never a
  // second run nor "no record".
  grpc::Status OutcomePending(const std::string& job_id);

  const std::string name_;
  std::map<dbdump::v1::Engine, std::unique_ptr<Engine>> engines_;
  JobRegistry* registry_;
  JobRunner* runner_;
  LeftoverSweeper* sweeper_;
  BackupMaintenance maintenance_;
  StorageReconciler reconciler_;
};

}  // namespace dbdump
