// The project's small certificate authority toolkit: EC P-256 keys, CSRs,
// self-signed CA certificates, leaf certificates issued from CSRs, and the
// inspection and verification the controller and `dbdumpctl` need. Built on
// the OpenSSL 3 EVP/X509 APIs; everything is PEM in and PEM out so callers
// only ever store and send text.
//
// Every function is stateless and thread-safe (OpenSSL 3 needs no locking
// set-up, and its error queue is per thread; each function leaves it empty).
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace dbdump {

// EC P-256 private key, PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----").
absl::StatusOr<std::string> GeneratePrivateKey();

// What a new certificate says. The subject is CN=common_name only.
struct CertificateSpec {
  std::string common_name;  // subject CN, 1-64 characters
  std::string identity;     // URI SAN (may be empty for none)
  std::string dns_name;     // DNS SAN (may be empty for none), for TLS's server name
  absl::Time not_before;    // use now - 5 minutes for clock skew in callers
  absl::Time not_after;     // must be after not_before
  // CA: basicConstraints CA:TRUE pathlen 0, keyUsage keyCertSign+cRLSign.
  // Leaf: CA:FALSE, keyUsage digitalSignature, EKU serverAuth+clientAuth.
  bool is_ca = false;
};

// Self-signed certificate for `key_pem` (normally a CA: spec.is_ca = true).
// Random 128-bit serial, subject and authority key identifiers, SHA-256.
absl::StatusOr<std::string> SelfSignCertificate(const std::string& key_pem,
                                                const CertificateSpec& spec);

// CSR signed by key_pem (subject CN = common_name, no extensions).
absl::StatusOr<std::string> CreateCsr(const std::string& key_pem, const std::string& common_name);

// Issues a leaf certificate for the CSR's public key. Checks the CSR's own
// signature (InvalidArgument when it fails or the PEM is not a CSR); ignores
// the CSR's subject and extensions: subject/SAN come from `spec`. Random
// 128-bit positive serial. Authority/subject key identifiers set. Signed with
// SHA-256. InvalidArgument when spec.is_ca (the CA has pathlen 0, so it
// cannot issue CAs) or when ca_key_pem is not the key of ca_cert_pem.
absl::StatusOr<std::string> IssueCertificate(const std::string& ca_cert_pem,
                                             const std::string& ca_key_pem,
                                             const std::string& csr_pem,
                                             const CertificateSpec& spec);

// What a certificate says, for display and for pinning.
struct CertificateInfo {
  std::string serial;             // lowercase hex, no leading zeros
  std::string common_name;        // empty when the subject has no CN
  std::vector<std::string> uris;  // URI SANs, in certificate order
  absl::Time not_before, not_after;
  bool is_ca = false;             // basicConstraints CA:TRUE
  // "sha256:" + lowercase hex of SHA-256 over the DER certificate; the same
  // digits `openssl x509 -noout -fingerprint -sha256` prints.
  std::string fingerprint;
  // "sha256:" + hex over the DER SubjectPublicKeyInfo
  // (`openssl pkey -pubout -outform DER | sha256sum`).
  std::string public_key_fingerprint;
};

// The first certificate of a PEM chain. InvalidArgument when there is none.
absl::StatusOr<CertificateInfo> InspectCertificate(const std::string& pem);

// Public key fingerprint (same form as above) of a private key PEM and of a
// CSR; a key, its CSR and the certificate issued for it all agree.
absl::StatusOr<std::string> PrivateKeyPublicFingerprint(const std::string& key_pem);
absl::StatusOr<std::string> CsrPublicKeyFingerprint(const std::string& csr_pem);

// OK when `cert_pem` (first cert) is signed by `ca_pem` and valid at `now`
// (the CA too). Otherwise FailedPrecondition saying which: "certificate
// expired at T", "certificate is not valid before T", "certificate was not
// issued by this CA (...)"; InvalidArgument when either PEM holds no
// certificate.
absl::Status VerifyIssuedBy(const std::string& cert_pem, const std::string& ca_pem,
                            absl::Time now);

// Accepts "sha256:<64 hex>", "sha256:AB:CD:..." (openssl x509 -fingerprint
// -sha256 style, any case), "SHA256 Fingerprint=AB:CD..." and the bare hex
// with or without colons; surrounding whitespace is ignored. Returns
// "sha256:<lowercase hex>" or InvalidArgument saying the expected form.
absl::StatusOr<std::string> NormalizeFingerprint(absl::string_view text);

}  // namespace dbdump
