#include "controller/pki/controller_pki.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"
#include "common/security/identity.h"
#include "common/security/pki.h"
#include "common/security/private_files.h"
#include "common/security/tls_credentials.h"

namespace dbdump {
namespace {

constexpr absl::Duration kSkew = absl::Minutes(5);

bool HasIdentity(const CertificateInfo& info, const std::string& identity) {
  for (const std::string& uri : info.uris) {
    if (uri == identity) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ControllerPki>> ControllerPki::Open(ControllerPkiOptions options) {
  if (options.clock == nullptr) options.clock = DefaultClock();
  bool bring_own = !options.ca_cert_file.empty() || !options.cert_file.empty() ||
                   !options.key_file.empty() || !options.ca_key_file.empty();
  std::unique_ptr<ControllerPki> pki(new ControllerPki(std::move(options)));
  absl::Status s = bring_own ? pki->Load() : pki->Generate();
  if (!s.ok()) return absl::FailedPreconditionError(s.message());
  return pki;
}

absl::Status ControllerPki::Generate() {
  const std::string& dir = options_.dir;
  RETURN_IF_ERROR(EnsurePrivateDirectory(dir));
  files_.ca_path = dir + "/ca.pem";
  files_.cert_path = dir + "/controller.pem";
  files_.key_path = dir + "/controller.key";
  const std::string ca_key_path = dir + "/ca.key";
  absl::Time now = options_.clock->Now();
  std::error_code ec;
  if (!std::filesystem::exists(ca_key_path, ec)) {
    ASSIGN_OR_RETURN(std::string key, GeneratePrivateKey());
    CertificateSpec spec;
    spec.common_name = "dbdump CA";
    spec.not_before = now - kSkew;
    spec.not_after = now + options_.ca_validity;
    spec.is_ca = true;
    ASSIGN_OR_RETURN(std::string ca, SelfSignCertificate(key, spec));
    RETURN_IF_ERROR(WriteFileAtomically(ca_key_path, key, 0600));
    RETURN_IF_ERROR(WriteFileAtomically(files_.ca_path, ca, 0644));
    std::filesystem::remove(files_.key_path, ec);
    std::filesystem::remove(files_.cert_path, ec);
    LogInfo("pki", "created a CA in ", dir);
  }
  ASSIGN_OR_RETURN(ca_key_pem_, ReadPrivateFile(ca_key_path));
  ASSIGN_OR_RETURN(ca_pem_, ReadPublicFile(files_.ca_path));
  ASSIGN_OR_RETURN(CertificateInfo ca, InspectCertificate(ca_pem_));
  ca_fingerprint_ = ca.fingerprint;
  if (!std::filesystem::exists(files_.key_path, ec)) {
    ASSIGN_OR_RETURN(std::string key, GeneratePrivateKey());
    RETURN_IF_ERROR(WriteFileAtomically(files_.key_path, key, 0600));
    std::filesystem::remove(files_.cert_path, ec);
  }
  if (!std::filesystem::exists(files_.cert_path, ec)) return IssueOwn();
  ASSIGN_OR_RETURN(std::string cert, ReadPublicFile(files_.cert_path));
  ASSIGN_OR_RETURN(CertificateInfo own, InspectCertificate(cert));
  {
    absl::MutexLock l(&mu_);
    own_not_before_ = own.not_before;
    own_not_after_ = own.not_after;
  }
  return RenewOwnIfDue();
}

absl::Status ControllerPki::IssueOwn() {
  ASSIGN_OR_RETURN(std::string key, ReadPrivateFile(files_.key_path));
  ASSIGN_OR_RETURN(std::string csr, CreateCsr(key, "dbdump controller"));
  absl::Time now = options_.clock->Now();
  CertificateSpec spec;
  spec.common_name = "dbdump controller";
  spec.identity = ControllerIdentity();
  spec.dns_name = TlsServerName(spec.identity);
  spec.not_before = now - kSkew;
  spec.not_after = now + options_.controller_validity;
  ASSIGN_OR_RETURN(std::string cert, IssueCertificate(ca_pem_, ca_key_pem_, csr, spec));
  RETURN_IF_ERROR(WriteFileAtomically(files_.cert_path, cert, 0644));
  absl::MutexLock l(&mu_);
  own_not_before_ = spec.not_before;
  own_not_after_ = spec.not_after;
  LogInfo("pki", "issued the controller's certificate, valid until ",
          absl::FormatTime(absl::RFC3339_sec, spec.not_after, absl::UTCTimeZone()));
  return absl::OkStatus();
}

absl::Status ControllerPki::Load() {
  const ControllerPkiOptions& o = options_;
  if (o.ca_cert_file.empty() || o.cert_file.empty() || o.key_file.empty()) {
    return absl::InvalidArgumentError(
        "bring-your-own PKI needs --tls_ca_file, --tls_cert_file and --tls_key_file together "
        "(--tls_ca_key_file is optional and enables agent enrollment)");
  }
  files_.ca_path = o.ca_cert_file;
  files_.cert_path = o.cert_file;
  files_.key_path = o.key_file;
  ASSIGN_OR_RETURN(ca_pem_, ReadPublicFile(o.ca_cert_file));
  ASSIGN_OR_RETURN(CertificateInfo ca, InspectCertificate(ca_pem_));
  ca_fingerprint_ = ca.fingerprint;
  ASSIGN_OR_RETURN(std::string key, ReadPrivateFile(o.key_file));
  ASSIGN_OR_RETURN(std::string cert, ReadPublicFile(o.cert_file));
  ASSIGN_OR_RETURN(CertificateInfo own, InspectCertificate(cert));
  if (!HasIdentity(own, ControllerIdentity())) {
    return absl::FailedPreconditionError(absl::StrCat(
        o.cert_file, " has no URI SAN ", ControllerIdentity(),
        ": issue the controller's certificate with subjectAltName=URI:", ControllerIdentity()));
  }
  ASSIGN_OR_RETURN(std::string key_fp, PrivateKeyPublicFingerprint(key));
  if (key_fp != own.public_key_fingerprint) {
    return absl::FailedPreconditionError(
        absl::StrCat(o.key_file, " is not the key of ", o.cert_file));
  }
  absl::Time now = options_.clock->Now();
  if (absl::Status s = VerifyIssuedBy(cert, ca_pem_, now); !s.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(o.cert_file, ": ", s.message()));
  }
  if (!o.ca_key_file.empty()) {
    ASSIGN_OR_RETURN(ca_key_pem_, ReadPrivateFile(o.ca_key_file));
  }
  absl::MutexLock l(&mu_);
  own_not_before_ = own.not_before;
  own_not_after_ = own.not_after;
  return absl::OkStatus();
}

TlsFiles ControllerPki::files() const { return files_; }
std::string ControllerPki::ca_pem() const { return ca_pem_; }
std::string ControllerPki::ca_fingerprint() const { return ca_fingerprint_; }
bool ControllerPki::can_issue() const { return !ca_key_pem_.empty(); }

absl::StatusOr<IssuedCertificate> ControllerPki::IssueAgentCertificate(
    const std::string& agent_name, const std::string& csr_pem) {
  if (!can_issue()) {
    return absl::FailedPreconditionError(
        "this controller was given the CA's certificate without its key: issue the agent's "
        "certificate with your CA (URI SAN spiffe://dbdump/agent/NAME) instead of enrolling");
  }
  absl::Time now = options_.clock->Now();
  CertificateSpec spec;
  spec.common_name = agent_name;
  spec.identity = AgentIdentity(agent_name);
  spec.dns_name = TlsServerName(spec.identity);
  spec.not_before = now - kSkew;
  spec.not_after = now + options_.agent_validity;
  ASSIGN_OR_RETURN(std::string pem, IssueCertificate(ca_pem_, ca_key_pem_, csr_pem, spec));
  ASSIGN_OR_RETURN(CertificateInfo info, InspectCertificate(pem));
  return IssuedCertificate{pem, info.serial, info.fingerprint, info.not_after};
}

absl::Status ControllerPki::RenewOwnIfDue() {
  if (!options_.ca_cert_file.empty() || !can_issue()) return absl::OkStatus();
  {
    absl::MutexLock l(&mu_);
    absl::Duration life = own_not_after_ - own_not_before_;
    if (options_.clock->Now() < own_not_after_ - life / 3) return absl::OkStatus();
  }
  return IssueOwn();
}

}  // namespace dbdump
