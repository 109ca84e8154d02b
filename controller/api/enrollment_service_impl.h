// EnrollmentServiceImpl: agents join with a one-time token and a CSR (their
// key stays on their host) and renew their certificates before they expire.
// Enrollments are audited here, where the agent's name is known.
#pragma once

#include "controller/api/admin_context.h"
#include "dbdump/v1/security_service.grpc.pb.h"

namespace dbdump {

// Thread-safe.
class EnrollmentServiceImpl final : public dbdump::v1::EnrollmentService::Service {
 public:
  explicit EnrollmentServiceImpl(AdminContext c) : c_(c) {}
  grpc::Status GetCaCertificate(grpc::ServerContext*, const dbdump::v1::GetCaCertificateRequest*,
                                dbdump::v1::GetCaCertificateResponse*) override;
  grpc::Status Enroll(grpc::ServerContext*, const dbdump::v1::EnrollRequest*,
                      dbdump::v1::EnrollResponse*) override;
  grpc::Status RenewCertificate(grpc::ServerContext*, const dbdump::v1::RenewCertificateRequest*,
                                dbdump::v1::RenewCertificateResponse*) override;

 private:
  absl::StatusOr<std::string> Issue(const std::string& agent, const std::string& csr_pem,
                                    absl::Time* not_after);
  AdminContext c_;
};

}  // namespace dbdump
