// ServerCertificate: the certificate and key the gateway serves HTTPS with,
// read from the controller's PEM files and read again when the files change
// (the controller renews its certificate in place), checked on each TLS
// handshake with one stat of each file.
//
// Thread-safe.
#pragma once

#include <openssl/ssl.h>

#include <filesystem>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace dbdump {

class ServerCertificate {
 public:
  ServerCertificate(std::string cert_path, std::string key_path);
  ~ServerCertificate();
  ServerCertificate(const ServerCertificate&) = delete;
  ServerCertificate& operator=(const ServerCertificate&) = delete;

  // Loads the files now (an error names the file) and makes `ctx` present
  // the current certificate on every handshake, TLS 1.2 or newer.
  absl::Status Configure(SSL_CTX* ctx);

 private:
  static int OnHandshake(SSL* ssl, void* self);
  absl::Status ReloadIfChanged() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Clear() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string cert_path_;
  const std::string key_path_;
  absl::Mutex mu_;
  std::filesystem::file_time_type cert_mtime_ ABSL_GUARDED_BY(mu_);
  std::filesystem::file_time_type key_mtime_ ABSL_GUARDED_BY(mu_);
  X509* leaf_ ABSL_GUARDED_BY(mu_) = nullptr;
  STACK_OF(X509) * chain_ ABSL_GUARDED_BY(mu_) = nullptr;
  EVP_PKEY* key_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace dbdump
