// CertificateTable: the certificates the controller issued to agents.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controller/store/security_records.h"

struct sqlite3;

namespace dbdump {

// The `agent_certificates` table, kept so issued certificates can be revoked.
// Not thread-safe: the Store calls it holding its mutex.
class CertificateTable {
 public:
  explicit CertificateTable(sqlite3* db) : db_(db) {}

  // AlreadyExists when the serial is taken.
  absl::Status Record(const CertificateRecord& c);
  // NotFound for an unknown serial.
  absl::StatusOr<CertificateRecord> Get(const std::string& serial);
  // Revokes the agent's certificates not revoked yet; how many.
  absl::StatusOr<int> RevokeAgent(const std::string& agent, absl::Time now);

 private:
  sqlite3* db_;
};

}  // namespace dbdump
