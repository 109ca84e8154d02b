#include "controller/api/enrollment_service_impl.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "common/base/grpc_status.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"
#include "common/security/pki.h"
#include "common/security/secret_token.h"
#include "controller/audit/audit_log.h"
#include "controller/auth/caller.h"
#include "controller/pki/controller_pki.h"

namespace dbdump {
namespace {

std::string Rfc3339(absl::Time t) { return absl::FormatTime(absl::RFC3339_sec, t, absl::UTCTimeZone()); }

}  // namespace

grpc::Status EnrollmentServiceImpl::GetCaCertificate(grpc::ServerContext*,
                                                     const v1::GetCaCertificateRequest*,
                                                     v1::GetCaCertificateResponse* resp) {
  if (c_.pki == nullptr) {
    return ToGrpc(absl::FailedPreconditionError("this controller serves plaintext: it has no CA"));
  }
  resp->set_ca_certificate_pem(c_.pki->ca_pem());
  resp->set_fingerprint(c_.pki->ca_fingerprint());
  return grpc::Status::OK;
}

absl::StatusOr<std::string> EnrollmentServiceImpl::Issue(const std::string& agent,
                                                         const std::string& csr_pem,
                                                         absl::Time* not_after) {
  ASSIGN_OR_RETURN(IssuedCertificate cert, c_.pki->IssueAgentCertificate(agent, csr_pem));
  CertificateRecord record;
  record.serial = cert.serial;
  record.agent_name = agent;
  record.fingerprint = cert.fingerprint;
  record.not_after = cert.not_after;
  record.issued_at = c_.clock->Now();
  RETURN_IF_ERROR(c_.store->RecordCertificate(record));
  *not_after = cert.not_after;
  LogInfo("controller", "issued certificate ", cert.serial, " to agent ", agent, ", valid until ",
          Rfc3339(cert.not_after));
  return cert.pem;
}

grpc::Status EnrollmentServiceImpl::Enroll(grpc::ServerContext* ctx, const v1::EnrollRequest* req,
                                           v1::EnrollResponse* resp) {
  std::string agent;
  absl::Status result = [&]() -> absl::Status {
    if (c_.pki == nullptr || !c_.pki->can_issue()) {
      return absl::FailedPreconditionError("this controller cannot enroll agents (no CA key)");
    }
    if (!LooksLikeToken(req->join_token(), "dbdj_")) {
      return absl::UnauthenticatedError("that is not a dbdump join token");
    }
    // The CSR is checked before the token is spent on it.
    RETURN_IF_ERROR(CsrPublicKeyFingerprint(req->csr_pem()).status());
    absl::StatusOr<std::string> redeemed =
        c_.store->RedeemJoinToken(TokenHash(req->join_token()), c_.clock->Now());
    if (!redeemed.ok()) {
      if (absl::IsNotFound(redeemed.status()) || absl::IsFailedPrecondition(redeemed.status())) {
        return absl::UnauthenticatedError(redeemed.status().message());
      }
      return redeemed.status();
    }
    agent = *redeemed;
    absl::Time not_after;
    ASSIGN_OR_RETURN(std::string pem, Issue(agent, req->csr_pem(), &not_after));
    resp->set_agent_name(agent);
    resp->set_certificate_pem(pem);
    resp->set_ca_certificate_pem(c_.pki->ca_pem());
    resp->set_not_after(Rfc3339(not_after));
    return absl::OkStatus();
  }();
  if (c_.audit != nullptr) {
    AuditEntry entry;
    entry.actor = agent.empty() ? "join-token:unknown" : absl::StrCat("join-token:", agent);
    entry.peer = ctx->peer();
    entry.rpc = "/dbdump.v1.EnrollmentService/Enroll";
    entry.target = agent.empty() ? "" : absl::StrCat("agent_name=", agent);
    entry.outcome = result.ok() ? "ok" : absl::StatusCodeToString(result.code());
    if (!result.ok()) entry.detail = std::string(result.message());
    c_.audit->Record(std::move(entry));
  }
  if (!result.ok()) LogWarn("controller", "enrollment refused: ", result.message());
  return ToGrpc(result);
}

grpc::Status EnrollmentServiceImpl::RenewCertificate(grpc::ServerContext* ctx,
                                                     const v1::RenewCertificateRequest* req,
                                                     v1::RenewCertificateResponse* resp) {
  Caller caller = CallerOf(*ctx, c_.callers);
  if (caller.kind != Caller::kAgent) {
    return ToGrpc(absl::PermissionDeniedError("only an agent can renew its certificate"));
  }
  if (c_.pki == nullptr || !c_.pki->can_issue()) {
    return ToGrpc(absl::FailedPreconditionError(
        "this controller has no CA key: renew the agent's certificate with your CA"));
  }
  absl::Time not_after;
  absl::StatusOr<std::string> pem = Issue(caller.name, req->csr_pem(), &not_after);
  if (!pem.ok()) return ToGrpc(pem.status());
  resp->set_certificate_pem(*pem);
  resp->set_not_after(Rfc3339(not_after));
  return grpc::Status::OK;
}

}  // namespace dbdump
