#include "controller/gateway/server_certificate.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"
#include "common/base/log.h"

namespace dbdump {

ServerCertificate::ServerCertificate(std::string cert_path, std::string key_path)
    : cert_path_(std::move(cert_path)), key_path_(std::move(key_path)) {}

ServerCertificate::~ServerCertificate() {
  absl::MutexLock lock(&mu_);
  Clear();
}

void ServerCertificate::Clear() {
  X509_free(leaf_);
  sk_X509_pop_free(chain_, X509_free);
  EVP_PKEY_free(key_);
  leaf_ = nullptr;
  chain_ = nullptr;
  key_ = nullptr;
}

absl::Status ServerCertificate::ReloadIfChanged() {
  std::error_code ec1, ec2;
  auto cert_mtime = std::filesystem::last_write_time(cert_path_, ec1);
  auto key_mtime = std::filesystem::last_write_time(key_path_, ec2);
  if (ec1 || ec2) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", ec1 ? cert_path_ : key_path_, ": ",
                     (ec1 ? ec1 : ec2).message()));
  }
  if (leaf_ != nullptr && cert_mtime == cert_mtime_ && key_mtime == key_mtime_) {
    return absl::OkStatus();
  }
  BIO* cert_bio = BIO_new_file(cert_path_.c_str(), "r");
  BIO* key_bio = BIO_new_file(key_path_.c_str(), "r");
  X509* leaf = cert_bio ? PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr) : nullptr;
  STACK_OF(X509)* chain = sk_X509_new_null();
  while (leaf != nullptr && chain != nullptr) {
    X509* next = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
    if (next == nullptr) break;
    sk_X509_push(chain, next);
  }
  EVP_PKEY* key = key_bio ? PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(cert_bio);
  BIO_free(key_bio);
  ERR_clear_error();
  bool matches = leaf != nullptr && key != nullptr && X509_check_private_key(leaf, key) == 1;
  if (!matches) {
    X509_free(leaf);
    sk_X509_pop_free(chain, X509_free);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return absl::FailedPreconditionError(
        absl::StrCat("cannot use ", cert_path_, " with ", key_path_,
                     ": not a PEM certificate and the private key that matches it"));
  }
  bool first = leaf_ == nullptr;
  Clear();
  leaf_ = leaf;
  chain_ = chain;
  key_ = key;
  cert_mtime_ = cert_mtime;
  key_mtime_ = key_mtime;
  if (!first) LogInfo("gateway", "serving the renewed certificate from ", cert_path_);
  return absl::OkStatus();
}

absl::Status ServerCertificate::Configure(SSL_CTX* ctx) {
  {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = ReloadIfChanged(); !s.ok()) return s;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_cert_cb(ctx, &ServerCertificate::OnHandshake, this);
  return absl::OkStatus();
}

int ServerCertificate::OnHandshake(SSL* ssl, void* arg) {
  auto* self = static_cast<ServerCertificate*>(arg);
  absl::MutexLock lock(&self->mu_);
  if (absl::Status s = self->ReloadIfChanged(); !s.ok()) {
    // The files are being replaced or were damaged: keep serving the
    // certificate loaded last (still valid until its own expiry).
    LogWarn("gateway", s.message());
  }
  if (self->leaf_ == nullptr) return 0;
  if (SSL_use_certificate(ssl, self->leaf_) != 1 || SSL_use_PrivateKey(ssl, self->key_) != 1 ||
      SSL_set1_chain(ssl, self->chain_) != 1) {
    return 0;
  }
  return 1;
}

}  // namespace dbdump
