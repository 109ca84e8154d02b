// CertificateRenewer: asks the controller for a new certificate for the
// agent's key once two thirds of the current one's lifetime have passed,
// and writes it in place (atomically). The agent's server and its channel
// to the controller read the file again every few seconds, so the renewed
// certificate is used without a restart. The key is kept, so the key and
// certificate files never disagree.
#pragma once

#include <memory>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/base/clock.h"
#include "common/security/tls_credentials.h"

namespace dbdump {

struct CertificateRenewerOptions {
  std::string controller_address;
  TlsFiles files;
  // How often the certificate's age is looked at.
  absl::Duration check_every = absl::Minutes(1);
  Clock* clock = nullptr;
};

// Thread-safe.
class CertificateRenewer {
 public:
  explicit CertificateRenewer(CertificateRenewerOptions options);
  ~CertificateRenewer();
  void Start();
  void Stop();
  // One check; renews when due. Exposed for tests.
  absl::Status RenewIfDue();

 private:
  void Loop();
  CertificateRenewerOptions options_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace dbdump
