// Enrollment: how an agent gets its certificate. It generates its key
// locally (the key never leaves the host), fetches the controller's CA
// certificate and compares it with the fingerprint the operator gave before
// trusting it, then sends a CSR with the one-time join token over TLS
// verified against that CA, and keeps the certificate it gets.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/security/tls_credentials.h"

namespace dbdump {

// The agent's TLS files in its own directory (0700): agent.key (0600),
// agent.pem, ca.pem.
TlsFiles AgentTlsFiles(const std::string& dir);
// All three files exist.
bool IsEnrolled(const std::string& dir);

struct EnrollOptions {
  std::string controller_address;
  // Reference to the join token: env:NAME or file:/path (0600). A token
  // written on the command line is refused: every local user can read argv.
  std::string join_ref;
  // "sha256:…" as `dbdumpctl agent enroll` printed it.
  std::string ca_fingerprint;
  std::string dir;
};

// Enrolls and writes the files; returns the agent's name, as the join token
// named it. Nothing is written unless the controller's CA matched.
absl::StatusOr<std::string> EnrollAgent(const EnrollOptions& options);

// The agent's name from its certificate's identity (FailedPrecondition
// when the certificate carries no agent identity).
absl::StatusOr<std::string> AgentNameFromCertificate(const std::string& cert_path);

}  // namespace dbdump
