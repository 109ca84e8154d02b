// AgentTable: the agents that registered, and their heartbeats.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dbdump/v1/controller_service.pb.h"

struct sqlite3;

namespace dbdump {

// The `agents` table. Not thread-safe: the Store calls it holding its mutex,
// and runs the transactions that span table groups.
class AgentTable {
 public:
  explicit AgentTable(sqlite3* db) : db_(db) {}

  absl::Status Upsert(const dbdump::v1::Agent& agent, absl::Time now);
  // NotFound when the agent never registered.
  absl::Status Touch(const std::string& name, absl::Time now);
  absl::StatusOr<std::vector<dbdump::v1::Agent>> List();
  absl::StatusOr<dbdump::v1::Agent> Get(const std::string& name);
  // Removes the registration. FailedPrecondition naming them while
  // databases are backed up by the agent or jobs of it are queued or
  // running; NotFound for an unknown name.
  absl::Status Remove(const std::string& name);

 private:
  sqlite3* db_;
};

}  // namespace dbdump
