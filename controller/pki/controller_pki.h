// ControllerPki: the deployment's CA and the controller's own certificate.
// Either generated on first start in the PKI directory (keys 0600, the
// directory 0700) or given as files (bring-your-own PKI; without the CA's
// key the controller cannot enroll agents, which then use certificates from
// the same CA). Issues agents' certificates from their CSRs and renews its
// own before it expires.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/base/clock.h"
#include "common/security/tls_credentials.h"

namespace dbdump {

struct ControllerPkiOptions {
  // Where generated keys and certificates live.
  std::string dir;
  // Bring-your-own: the CA certificate, the controller's certificate (with
  // the URI SAN spiffe://dbdump/controller) and key; optionally the CA's key
  // (enables enrollment). All empty: generated in `dir`.
  std::string ca_cert_file;
  std::string ca_key_file;
  std::string cert_file;
  std::string key_file;
  absl::Duration ca_validity = absl::Hours(24 * 3650);
  absl::Duration controller_validity = absl::Hours(24 * 365);
  absl::Duration agent_validity = absl::Hours(24 * 30);
  Clock* clock = nullptr;
};

struct IssuedCertificate {
  std::string pem;
  std::string serial;
  std::string fingerprint;
  absl::Time not_after;
};

// Thread-safe.
class ControllerPki {
 public:
  // Loads or creates everything; FailedPrecondition with what to do when a
  // given file is unreadable, not private, or not what it should be.
  static absl::StatusOr<std::unique_ptr<ControllerPki>> Open(ControllerPkiOptions options);

  // Files the servers and the controller's channels to agents read.
  TlsFiles files() const;
  std::string ca_pem() const;
  // "sha256:<hex>" of the CA certificate.
  std::string ca_fingerprint() const;
  // The CA key is here: agents can enroll and renew.
  bool can_issue() const;
  // A certificate for agent `agent_name` for the key of `csr_pem`
  // (InvalidArgument for a CSR that is not one or whose signature fails).
  absl::StatusOr<IssuedCertificate> IssueAgentCertificate(const std::string& agent_name,
                                                         const std::string& csr_pem);
  // Issues the controller a new certificate (same key) once less than a
  // third of the current one's lifetime remains; a no-op otherwise or with
  // bring-your-own certificates. The servers pick it up on their next reload.
  absl::Status RenewOwnIfDue();

 private:
  explicit ControllerPki(ControllerPkiOptions options) : options_(std::move(options)) {}
  absl::Status Generate();
  absl::Status Load();
  absl::Status IssueOwn();

  const ControllerPkiOptions options_;
  TlsFiles files_;
  std::string ca_pem_;
  std::string ca_key_pem_;  // empty without the CA key
  std::string ca_fingerprint_;
  mutable absl::Mutex mu_;
  absl::Time own_not_before_ ABSL_GUARDED_BY(mu_);
  absl::Time own_not_after_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dbdump
