#include "common/security/pki.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace {

// unique_ptr deleter calling an OpenSSL free function.
template <auto FreeFn>
struct Free {
  template <typename T>
  void operator()(T* p) const { FreeFn(p); }
};
using BioPtr = std::unique_ptr<BIO, Free<BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, Free<BN_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Free<X509_free>>;
using ReqPtr = std::unique_ptr<X509_REQ, Free<X509_REQ_free>>;
using NamePtr = std::unique_ptr<X509_NAME, Free<X509_NAME_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Free<GENERAL_NAMES_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Free<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Free<X509_STORE_CTX_free>>;

constexpr size_t kMaxCommonNameBytes = 64;  // ub-common-name, RFC 5280

// Empties the thread's OpenSSL error queue on entry and on exit, so a stale
// error from other code is not reported as ours and none of ours is left
// behind for the next caller on this thread (gRPC's TLS reads the queue too).
class ErrorQueueScope {
 public:
  ErrorQueueScope() { ERR_clear_error(); }
  ~ErrorQueueScope() { ERR_clear_error(); }
};

// `what` plus the first (innermost) reason in the OpenSSL error queue.
absl::Status SslError(absl::StatusCode code, absl::string_view what) {
  std::string reason;
  unsigned long e = ERR_get_error();
  if (e != 0) {
    const char* r = ERR_reason_error_string(e);
    if (r != nullptr) {
      reason = r;
    } else {
      char buf[256];
      ERR_error_string_n(e, buf, sizeof buf);
      reason = buf;
    }
  }
  ERR_clear_error();
  if (reason.empty()) return absl::Status(code, what);
  return absl::Status(code, absl::StrCat(what, ": ", reason));
}

// Passphrase callback that refuses: an encrypted key is an error here, never
// a prompt on the terminal (OpenSSL's default callback would read the tty).
int NoPassphrase(char*, int, int, void*) { return -1; }

BioPtr ReadBio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

absl::StatusOr<PkeyPtr> ParsePrivateKey(const std::string& pem) {
  BioPtr bio = ReadBio(pem);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (key == nullptr) {
    // OpenSSL 3's decoders answer "unsupported" for anything they cannot
    // read, which would only mislead; say what is expected instead.
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "not a PEM private key, or an encrypted one (dbdump needs it unencrypted, in a file "
        "only its owner can read)");
  }
  return key;
}

absl::StatusOr<X509Ptr> ParseCertificate(const std::string& pem, absl::string_view what) {
  BioPtr bio = ReadBio(pem);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr));
  if (cert == nullptr) {
    return SslError(absl::StatusCode::kInvalidArgument,
                    absl::StrCat(what, " is not a PEM certificate"));
  }
  return cert;
}

absl::StatusOr<ReqPtr> ParseCsr(const std::string& pem) {
  BioPtr bio = ReadBio(pem);
  ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, NoPassphrase, nullptr));
  if (req == nullptr) {
    return SslError(absl::StatusCode::kInvalidArgument,
                    "not a PEM certificate signing request");
  }
  return req;
}

std::string Sha256Fingerprint(const unsigned char* data, size_t n) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data, n, md, &len, EVP_sha256(), nullptr) != 1) return std::string();
  return absl::StrCat(
      "sha256:", absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(md), len)));
}

// Fingerprint of a DER SubjectPublicKeyInfo, as found in a certificate or CSR
// (its bytes as written there) or made from a key.
absl::StatusOr<std::string> SpkiFingerprint(X509_PUBKEY* spki) {
  unsigned char* der = nullptr;
  int n = spki == nullptr ? -1 : i2d_X509_PUBKEY(spki, &der);
  if (n <= 0) return SslError(absl::StatusCode::kInvalidArgument, "cannot encode the public key");
  std::string fp = Sha256Fingerprint(der, static_cast<size_t>(n));
  OPENSSL_free(der);
  if (fp.empty()) return SslError(absl::StatusCode::kInternal, "sha256 failed");
  return fp;
}

absl::StatusOr<std::string> KeyFingerprint(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(key, &der);
  if (n <= 0) return SslError(absl::StatusCode::kInvalidArgument, "cannot encode the public key");
  std::string fp = Sha256Fingerprint(der, static_cast<size_t>(n));
  OPENSSL_free(der);
  if (fp.empty()) return SslError(absl::StatusCode::kInternal, "sha256 failed");
  return fp;
}

absl::StatusOr<absl::Time> FromAsn1Time(const ASN1_TIME* t) {
  struct tm tm = {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    return SslError(absl::StatusCode::kInvalidArgument, "certificate has an unreadable time");
  }
  return absl::FromTimeT(timegm(&tm));
}

std::string NameToString(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  return BioContents(bio.get());
}

bool IsCa(X509* cert) {
  auto* bc = static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(cert, NID_basic_constraints, nullptr, nullptr));
  bool ca = bc != nullptr && bc->ca != 0;
  BASIC_CONSTRAINTS_free(bc);
  return ca;
}

absl::StatusOr<NamePtr> SubjectWithCommonName(const std::string& common_name) {
  if (common_name.empty() || common_name.size() > kMaxCommonNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "certificate common name must be 1 to ", kMaxCommonNameBytes, " bytes long"));
  }
  NamePtr name(X509_NAME_new());
  if (name == nullptr ||
      X509_NAME_add_entry_by_NID(name.get(), NID_commonName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1) {
    return SslError(absl::StatusCode::kInvalidArgument,
                    absl::StrCat("cannot use \"", common_name, "\" as a common name"));
  }
  return name;
}

absl::Status ValidateSpec(const CertificateSpec& spec) {
  if (spec.not_after <= spec.not_before) {
    return absl::InvalidArgumentError(absl::StrCat(
        "certificate validity ends (", TimeToString(spec.not_after), ") before it starts (",
        TimeToString(spec.not_before), ")"));
  }
  // A URI SAN is an IA5String; the identity is also compared byte for byte,
  // so printable ASCII without spaces only.
  for (const std::string* name : {&spec.identity, &spec.dns_name}) {
    for (char c : *name) {
      if (c <= 0x20 || c >= 0x7f) {
        return absl::InvalidArgumentError(absl::StrCat(
            "certificate name \"", absl::CHexEscape(*name),
            "\" must be printable ASCII characters without spaces"));
      }
    }
  }
  return absl::OkStatus();
}

// Adds an extension from OpenSSL's configuration syntax. Only used with
// constant values: the identity goes in through AddSubjectAltNames, never through this
// syntax, where a ',' would add names of the caller's choosing.
absl::Status AddExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value);
  if (ext == nullptr) {
    return SslError(absl::StatusCode::kInternal,
                    absl::StrCat("cannot make the ", OBJ_nid2sn(nid), " extension"));
  }
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) {
    return SslError(absl::StatusCode::kInternal,
                    absl::StrCat("cannot add the ", OBJ_nid2sn(nid), " extension"));
  }
  return absl::OkStatus();
}

// Appends a name of `type` (GEN_URI, GEN_DNS) to `names`.
absl::Status PushName(GENERAL_NAMES* names, int type, const std::string& text) {
  GENERAL_NAME* name = GENERAL_NAME_new();
  ASN1_IA5STRING* value = ASN1_IA5STRING_new();
  if (name == nullptr || value == nullptr ||
      ASN1_STRING_set(value, text.data(), static_cast<int>(text.size())) != 1) {
    GENERAL_NAME_free(name);
    ASN1_IA5STRING_free(value);
    return SslError(absl::StatusCode::kInternal, "cannot make the subjectAltName extension");
  }
  GENERAL_NAME_set0_value(name, type, value);  // `name` owns `value` now
  if (sk_GENERAL_NAME_push(names, name) <= 0) {
    GENERAL_NAME_free(name);
    return SslError(absl::StatusCode::kInternal, "cannot make the subjectAltName extension");
  }
  return absl::OkStatus();
}

absl::Status AddSubjectAltNames(X509* cert, const std::string& uri, const std::string& dns) {
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (names == nullptr) {
    return SslError(absl::StatusCode::kInternal, "cannot make the subjectAltName extension");
  }
  if (!uri.empty()) RETURN_IF_ERROR(PushName(names.get(), GEN_URI, uri));
  if (!dns.empty()) RETURN_IF_ERROR(PushName(names.get(), GEN_DNS, dns));
  // Not critical: the subject is never empty (RFC 5280 4.2.1.6).
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return SslError(absl::StatusCode::kInternal, "cannot add the subjectAltName extension");
  }
  return absl::OkStatus();
}

// 128 random bits with the top one set: positive, never zero, always 32 hex
// digits, and unpredictable (127 random bits; CA/B asks for at least 64).
absl::Status SetRandomSerial(X509* cert) {
  BignumPtr bn(BN_new());
  if (bn == nullptr || BN_rand(bn.get(), 128, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    return SslError(absl::StatusCode::kInternal, "cannot make a random serial number");
  }
  return absl::OkStatus();
}

absl::Status SetTime(ASN1_TIME* field, absl::Time t) {
  if (ASN1_TIME_set(field, absl::ToTimeT(t)) == nullptr) {
    return SslError(absl::StatusCode::kInvalidArgument,
                    absl::StrCat("cannot write ", TimeToString(t), " as a certificate time"));
  }
  return absl::OkStatus();
}

// A v3 certificate for `subject_key` (only its public half is used), signed
// by `issuer_key`. `issuer` is the issuing CA certificate, or null for a
// self-signed one.
absl::StatusOr<std::string> BuildCertificate(EVP_PKEY* subject_key, X509* issuer,
                                             EVP_PKEY* issuer_key, const CertificateSpec& spec) {
  RETURN_IF_ERROR(ValidateSpec(spec));
  ASSIGN_OR_RETURN(NamePtr subject, SubjectWithCommonName(spec.common_name));
  X509Ptr cert(X509_new());
  if (cert == nullptr) return SslError(absl::StatusCode::kInternal, "cannot make a certificate");
  const X509_NAME* issuer_name = issuer != nullptr ? X509_get_subject_name(issuer) : subject.get();
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_subject_name(cert.get(), subject.get()) != 1 ||
      X509_set_issuer_name(cert.get(), issuer_name) != 1 ||
      X509_set_pubkey(cert.get(), subject_key) != 1) {
    return SslError(absl::StatusCode::kInternal, "cannot fill in the certificate");
  }
  RETURN_IF_ERROR(SetRandomSerial(cert.get()));
  RETURN_IF_ERROR(SetTime(X509_getm_notBefore(cert.get()), spec.not_before));
  RETURN_IF_ERROR(SetTime(X509_getm_notAfter(cert.get()), spec.not_after));

  X509V3_CTX ctx = {};
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  if (X509V3_set_issuer_pkey(&ctx, issuer_key) != 1) {
    return SslError(absl::StatusCode::kInternal, "cannot set the issuer key");
  }
  if (spec.is_ca) {
    RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_basic_constraints,
                                 "critical,CA:TRUE,pathlen:0"));
    RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"));
  } else {
    RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE"));
    RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature"));
    RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth,clientAuth"));
  }
  // The subject key identifier first: for a self-signed certificate the
  // authority key identifier is copied from it.
  RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
  if (!spec.identity.empty() || !spec.dns_name.empty()) {
    RETURN_IF_ERROR(AddSubjectAltNames(cert.get(), spec.identity, spec.dns_name));
  }

  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) <= 0) {
    return SslError(absl::StatusCode::kInternal, "cannot sign the certificate");
  }
  BioPtr out(BIO_new(BIO_s_mem()));
  if (out == nullptr || PEM_write_bio_X509(out.get(), cert.get()) != 1) {
    return SslError(absl::StatusCode::kInternal, "cannot write the certificate as PEM");
  }
  return BioContents(out.get());
}

std::string LowercaseHexWithoutLeadingZeros(const ASN1_INTEGER* serial) {
  BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (bn == nullptr) return std::string();
  char* hex = BN_bn2hex(bn.get());
  if (hex == nullptr) return std::string();
  std::string s = absl::AsciiStrToLower(hex);
  OPENSSL_free(hex);
  // BN_bn2hex writes whole bytes ("0a..."); a (malformed) negative serial
  // keeps its sign.
  std::string sign;
  if (!s.empty() && s[0] == '-') {
    sign = "-";
    s.erase(0, 1);
  }
  size_t first = s.find_first_not_of('0');
  return absl::StrCat(sign, first == std::string::npos ? "0" : s.substr(first));
}

}  // namespace

absl::StatusOr<std::string> GeneratePrivateKey() {
  ErrorQueueScope errors;
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (key == nullptr) return SslError(absl::StatusCode::kInternal, "cannot generate an EC key");
  BioPtr out(BIO_new(BIO_s_mem()));
  // PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY").
  if (out == nullptr || PEM_write_bio_PrivateKey(out.get(), key.get(), nullptr, nullptr, 0,
                                                 nullptr, nullptr) != 1) {
    return SslError(absl::StatusCode::kInternal, "cannot write the private key as PEM");
  }
  return BioContents(out.get());
}

absl::StatusOr<std::string> SelfSignCertificate(const std::string& key_pem,
                                                const CertificateSpec& spec) {
  ErrorQueueScope errors;
  ASSIGN_OR_RETURN(PkeyPtr key, ParsePrivateKey(key_pem));
  return BuildCertificate(key.get(), nullptr, key.get(), spec);
}

absl::StatusOr<std::string> CreateCsr(const std::string& key_pem, const std::string& common_name) {
  ErrorQueueScope errors;
  ASSIGN_OR_RETURN(PkeyPtr key, ParsePrivateKey(key_pem));
  ASSIGN_OR_RETURN(NamePtr subject, SubjectWithCommonName(common_name));
  ReqPtr req(X509_REQ_new());
  if (req == nullptr || X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1 ||
      X509_REQ_set_subject_name(req.get(), subject.get()) != 1 ||
      X509_REQ_set_pubkey(req.get(), key.get()) != 1) {
    return SslError(absl::StatusCode::kInternal, "cannot fill in the signing request");
  }
  if (X509_REQ_sign(req.get(), key.get(), EVP_sha256()) <= 0) {
    return SslError(absl::StatusCode::kInternal, "cannot sign the signing request");
  }
  BioPtr out(BIO_new(BIO_s_mem()));
  if (out == nullptr || PEM_write_bio_X509_REQ(out.get(), req.get()) != 1) {
    return SslError(absl::StatusCode::kInternal, "cannot write the signing request as PEM");
  }
  return BioContents(out.get());
}

absl::StatusOr<std::string> IssueCertificate(const std::string& ca_cert_pem,
                                             const std::string& ca_key_pem,
                                             const std::string& csr_pem,
                                             const CertificateSpec& spec) {
  ErrorQueueScope errors;
  if (spec.is_ca) {
    return absl::InvalidArgumentError(
        "the dbdump CA issues leaf certificates only (its path length is 0)");
  }
  ASSIGN_OR_RETURN(X509Ptr ca, ParseCertificate(ca_cert_pem, "the CA certificate"));
  ASSIGN_OR_RETURN_PREPEND(PkeyPtr ca_key, ParsePrivateKey(ca_key_pem), "the CA key: ");
  if (!IsCa(ca.get())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "certificate ", NameToString(X509_get_subject_name(ca.get())), " is not a CA"));
  }
  if (X509_check_private_key(ca.get(), ca_key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("the CA key does not belong to the CA certificate");
  }
  ASSIGN_OR_RETURN(ReqPtr req, ParseCsr(csr_pem));
  EVP_PKEY* csr_key = X509_REQ_get0_pubkey(req.get());
  if (csr_key == nullptr) {
    return SslError(absl::StatusCode::kInvalidArgument,
                    "the certificate signing request has an unreadable public key");
  }
  // Proof that whoever sent the CSR holds the private key.
  if (X509_REQ_verify(req.get(), csr_key) != 1) {
    ERR_clear_error();  // only says "EVP lib"
    return absl::InvalidArgumentError(
        "the certificate signing request's signature does not verify (it was altered, or "
        "not signed by the key it carries)");
  }
  return BuildCertificate(csr_key, ca.get(), ca_key.get(), spec);
}

absl::StatusOr<CertificateInfo> InspectCertificate(const std::string& pem) {
  ErrorQueueScope errors;
  ASSIGN_OR_RETURN(X509Ptr cert, ParseCertificate(pem, "the text"));
  CertificateInfo info;
  info.serial = LowercaseHexWithoutLeadingZeros(X509_get0_serialNumber(cert.get()));

  const X509_NAME* subject = X509_get_subject_name(cert.get());
  int cn = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (cn >= 0) {
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, cn));
    unsigned char* utf8 = nullptr;
    int n = ASN1_STRING_to_UTF8(&utf8, data);
    if (n < 0) {
      return SslError(absl::StatusCode::kInvalidArgument, "unreadable certificate common name");
    }
    info.common_name.assign(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
    OPENSSL_free(utf8);
  }

  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
  if (names != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
      int type = 0;
      auto* value = static_cast<ASN1_IA5STRING*>(GENERAL_NAME_get0_value(name, &type));
      if (type != GEN_URI || value == nullptr) continue;
      info.uris.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                             static_cast<size_t>(ASN1_STRING_length(value)));
    }
  }

  ASSIGN_OR_RETURN(info.not_before, FromAsn1Time(X509_get0_notBefore(cert.get())));
  ASSIGN_OR_RETURN(info.not_after, FromAsn1Time(X509_get0_notAfter(cert.get())));
  info.is_ca = IsCa(cert.get());

  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert.get(), EVP_sha256(), md, &len) != 1) {
    return SslError(absl::StatusCode::kInternal, "cannot hash the certificate");
  }
  info.fingerprint = absl::StrCat(
      "sha256:", absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(md), len)));
  ASSIGN_OR_RETURN(info.public_key_fingerprint,
                   SpkiFingerprint(X509_get_X509_PUBKEY(cert.get())));
  return info;
}

absl::StatusOr<std::string> PrivateKeyPublicFingerprint(const std::string& key_pem) {
  ErrorQueueScope errors;
  ASSIGN_OR_RETURN(PkeyPtr key, ParsePrivateKey(key_pem));
  return KeyFingerprint(key.get());
}

absl::StatusOr<std::string> CsrPublicKeyFingerprint(const std::string& csr_pem) {
  ErrorQueueScope errors;
  ASSIGN_OR_RETURN(ReqPtr req, ParseCsr(csr_pem));
  return SpkiFingerprint(X509_REQ_get_X509_PUBKEY(req.get()));
}

absl::Status VerifyIssuedBy(const std::string& cert_pem, const std::string& ca_pem,
                            absl::Time now) {
  ErrorQueueScope errors;
  ASSIGN_OR_RETURN(X509Ptr cert, ParseCertificate(cert_pem, "the certificate"));
  ASSIGN_OR_RETURN(X509Ptr ca, ParseCertificate(ca_pem, "the CA certificate"));
  StorePtr store(X509_STORE_new());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (store == nullptr || ctx == nullptr || X509_STORE_add_cert(store.get(), ca.get()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) != 1) {
    return SslError(absl::StatusCode::kInternal, "cannot set up certificate verification");
  }
  // The CA given is the trust anchor even when it is not self-signed.
  X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_PARTIAL_CHAIN);
  X509_STORE_CTX_set_time(ctx.get(), 0, absl::ToTimeT(now));
  if (X509_verify_cert(ctx.get()) == 1) return absl::OkStatus();

  int error = X509_STORE_CTX_get_error(ctx.get());
  int depth = X509_STORE_CTX_get_error_depth(ctx.get());
  X509* bad = X509_STORE_CTX_get_current_cert(ctx.get());
  if (bad == nullptr) bad = cert.get();
  std::string which = depth == 0 ? "certificate" : "CA certificate";
  switch (error) {
    case X509_V_ERR_CERT_HAS_EXPIRED: {
      ASSIGN_OR_RETURN(absl::Time t, FromAsn1Time(X509_get0_notAfter(bad)));
      return absl::FailedPreconditionError(absl::StrCat(which, " expired at ", TimeToString(t)));
    }
    case X509_V_ERR_CERT_NOT_YET_VALID: {
      ASSIGN_OR_RETURN(absl::Time t, FromAsn1Time(X509_get0_notBefore(bad)));
      return absl::FailedPreconditionError(absl::StrCat(
          which, " is not valid before ", TimeToString(t), " (check this host's clock)"));
    }
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return absl::FailedPreconditionError(absl::StrCat(
          "certificate was not issued by this CA (it names issuer \"",
          NameToString(X509_get_issuer_name(cert.get())), "\"; the CA is \"",
          NameToString(X509_get_subject_name(ca.get())), "\", fingerprint ",
          InspectCertificate(ca_pem).value_or(CertificateInfo()).fingerprint, ")"));
    default:
      return absl::FailedPreconditionError(
          absl::StrCat(which, " does not verify against the CA: ",
                       X509_verify_cert_error_string(error)));
  }
}

absl::StatusOr<std::string> NormalizeFingerprint(absl::string_view text) {
  absl::string_view s = absl::StripAsciiWhitespace(text);
  // `openssl x509 -fingerprint -sha256` prints "SHA256 Fingerprint=AB:..."
  // (1.1) or "sha256 Fingerprint=AB:..." (3.x).
  for (absl::string_view prefix : {"sha256 fingerprint=", "sha256:"}) {
    if (absl::StartsWithIgnoreCase(s, prefix)) {
      s.remove_prefix(prefix.size());
      break;
    }
  }
  std::string hex;
  bool well_formed = true;
  if (s.find(':') != absl::string_view::npos) {
    // Colons only as pair separators: "AB:CD:...".
    for (absl::string_view pair : absl::StrSplit(s, ':')) {
      if (pair.size() != 2) well_formed = false;
      absl::StrAppend(&hex, pair);
    }
  } else {
    hex = std::string(s);
  }
  well_formed = well_formed && hex.size() == 64;
  for (char c : hex) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) well_formed = false;
  }
  if (!well_formed) {
    return absl::InvalidArgumentError(
        "a fingerprint must be sha256:<64 hex digits>, or what `openssl x509 -noout "
        "-fingerprint -sha256 -in FILE` prints (sha256 Fingerprint=AB:CD:...)");
  }
  return absl::StrCat("sha256:", absl::AsciiStrToLower(hex));
}

}  // namespace dbdump
