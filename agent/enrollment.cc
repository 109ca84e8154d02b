#include "agent/enrollment.h"

#include <grpcpp/grpcpp.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/clock.h"
#include "common/base/grpc_status.h"
#include "common/base/log.h"
#include "common/base/secret_ref.h"
#include "common/base/status_macros.h"
#include "common/security/identity.h"
#include "common/security/pki.h"
#include "common/security/private_files.h"
#include "common/security/secret_token.h"
#include "dbdump/v1/security_service.grpc.pb.h"

namespace dbdump {
namespace {

void Deadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
}

}  // namespace

TlsFiles AgentTlsFiles(const std::string& dir) {
  TlsFiles files;
  files.ca_path = dir + "/ca.pem";
  files.cert_path = dir + "/agent.pem";
  files.key_path = dir + "/agent.key";
  files.reload_seconds = 10;
  return files;
}

bool IsEnrolled(const std::string& dir) {
  TlsFiles f = AgentTlsFiles(dir);
  std::error_code ec;
  return std::filesystem::exists(f.ca_path, ec) && std::filesystem::exists(f.cert_path, ec) &&
         std::filesystem::exists(f.key_path, ec);
}

absl::StatusOr<std::string> AgentNameFromCertificate(const std::string& cert_path) {
  ASSIGN_OR_RETURN(std::string pem, ReadPublicFile(cert_path));
  ASSIGN_OR_RETURN(CertificateInfo info, InspectCertificate(pem));
  for (const std::string& uri : info.uris) {
    PeerIdentity id = ParseIdentity(uri);
    if (id.kind == PeerIdentity::kAgent) return id.agent_name;
  }
  return absl::FailedPreconditionError(
      absl::StrCat(cert_path, " carries no agent identity (URI SAN spiffe://dbdump/agent/NAME)"));
}

absl::StatusOr<std::string> EnrollAgent(const EnrollOptions& o) {
  if (!absl::StartsWith(o.join_ref, "env:") && !absl::StartsWith(o.join_ref, "file:")) {
    return absl::InvalidArgumentError(
        "--join takes a reference to the token, not the token: every local user can read a "
        "command line; use --join=env:DBDUMP_JOIN_TOKEN or --join=file:/path (mode 0600)");
  }
  ASSIGN_OR_RETURN(std::string token, ResolveSecretRef(o.join_ref));
  if (!LooksLikeToken(token, "dbdj_")) {
    return absl::InvalidArgumentError(
        absl::StrCat(o.join_ref, " does not hold a join token (`dbdumpctl agent enroll NAME` "
                                 "prints one)"));
  }
  if (o.ca_fingerprint.empty()) {
    return absl::InvalidArgumentError(
        "--ca-fingerprint is needed with --join (`dbdumpctl agent enroll NAME` prints it)");
  }
  ASSIGN_OR_RETURN(std::string want, NormalizeFingerprint(o.ca_fingerprint));

  // The CA, over a connection that proves nothing yet: it is trusted only
  // when it is the certificate the operator named.
  auto unverified = v1::EnrollmentService::NewStub(CreateChannelTo(
      o.controller_address, UnverifiedTlsChannelCredentials(), ControllerIdentity()));
  v1::GetCaCertificateResponse ca;
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    grpc::Status st = unverified->GetCaCertificate(&ctx, v1::GetCaCertificateRequest(), &ca);
    if (!st.ok()) {
      return absl::UnavailableError(absl::StrCat("cannot reach the controller at ",
                                                 o.controller_address, ": ", st.error_message()));
    }
  }
  ASSIGN_OR_RETURN(CertificateInfo ca_info, InspectCertificate(ca.ca_certificate_pem()));
  if (ca_info.fingerprint != want) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the controller at ", o.controller_address, " presented CA ", ca_info.fingerprint,
        ", not ", want, ": refusing to send the join token (wrong address, or someone in between)"));
  }

  RETURN_IF_ERROR(EnsurePrivateDirectory(o.dir));
  TlsFiles files = AgentTlsFiles(o.dir);
  ASSIGN_OR_RETURN(std::string key, GeneratePrivateKey());
  ASSIGN_OR_RETURN(std::string csr, CreateCsr(key, "dbdump agent"));
  auto verified = v1::EnrollmentService::NewStub(CreateChannelTo(
      o.controller_address, ServerTlsChannelCredentials(ca.ca_certificate_pem(), ControllerIdentity()),
      ControllerIdentity()));
  v1::EnrollRequest req;
  req.set_join_token(token);
  req.set_csr_pem(csr);
  v1::EnrollResponse resp;
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    grpc::Status st = verified->Enroll(&ctx, req, &resp);
    if (!st.ok()) {
      return absl::Status(FromGrpc(st).code(),
                          absl::StrCat("enrollment refused: ", st.error_message()));
    }
  }
  ASSIGN_OR_RETURN(CertificateInfo issued, InspectCertificate(resp.certificate_pem()));
  ASSIGN_OR_RETURN(std::string key_fp, PrivateKeyPublicFingerprint(key));
  if (issued.public_key_fingerprint != key_fp) {
    return absl::InternalError("the controller returned a certificate for another key");
  }
  RETURN_IF_ERROR(VerifyIssuedBy(resp.certificate_pem(), ca.ca_certificate_pem(), DefaultClock()->Now()));
  RETURN_IF_ERROR(WriteFileAtomically(files.key_path, key, 0600));
  RETURN_IF_ERROR(WriteFileAtomically(files.ca_path, ca.ca_certificate_pem(), 0644));
  RETURN_IF_ERROR(WriteFileAtomically(files.cert_path, resp.certificate_pem(), 0644));
  LogInfo("agent", "enrolled as ", resp.agent_name(), "; certificate valid until ",
          resp.not_after());
  return resp.agent_name();
}

}  // namespace dbdump
