#include "agent/certificate_renewer.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "common/base/grpc_status.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"
#include "common/security/identity.h"
#include "common/security/pki.h"
#include "common/security/private_files.h"
#include "dbdump/v1/security_service.grpc.pb.h"

namespace dbdump {

CertificateRenewer::CertificateRenewer(CertificateRenewerOptions options)
    : options_(std::move(options)) {
  if (options_.clock == nullptr) options_.clock = DefaultClock();
}

CertificateRenewer::~CertificateRenewer() { Stop(); }

void CertificateRenewer::Start() { thread_ = std::thread([this] { Loop(); }); }

void CertificateRenewer::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void CertificateRenewer::Loop() {
  do {
    if (absl::Status s = RenewIfDue(); !s.ok()) {
      LogWarn("agent", "certificate renewal: ", s.message(), " (tried again in ",
              absl::FormatDuration(options_.check_every), ")");
    }
  } while (!stop_.WaitForNotificationWithTimeout(options_.check_every));
}

absl::Status CertificateRenewer::RenewIfDue() {
  ASSIGN_OR_RETURN(std::string cert, ReadPublicFile(options_.files.cert_path));
  ASSIGN_OR_RETURN(CertificateInfo info, InspectCertificate(cert));
  absl::Time now = options_.clock->Now();
  absl::Duration life = info.not_after - info.not_before;
  if (now < info.not_before + life * 2 / 3) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::string key, ReadPrivateFile(options_.files.key_path));
  ASSIGN_OR_RETURN(std::string csr, CreateCsr(key, "dbdump agent"));
  auto stub = v1::EnrollmentService::NewStub(CreateChannelTo(
      options_.controller_address, MutualTlsChannelCredentials(options_.files, ControllerIdentity()),
      ControllerIdentity()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
  v1::RenewCertificateRequest req;
  req.set_csr_pem(csr);
  v1::RenewCertificateResponse resp;
  grpc::Status st = stub->RenewCertificate(&ctx, req, &resp);
  if (!st.ok()) return FromGrpc(st);
  ASSIGN_OR_RETURN(CertificateInfo renewed, InspectCertificate(resp.certificate_pem()));
  ASSIGN_OR_RETURN(std::string key_fp, PrivateKeyPublicFingerprint(key));
  if (renewed.public_key_fingerprint != key_fp) {
    return absl::InternalError("the controller returned a certificate for another key");
  }
  RETURN_IF_ERROR(WriteFileAtomically(options_.files.cert_path, resp.certificate_pem(), 0644));
  LogInfo("agent", "certificate renewed, valid until ", resp.not_after());
  return absl::OkStatus();
}

}  // namespace dbdump
