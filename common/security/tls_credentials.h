// gRPC credentials for dbdump's channels: mutual TLS with the deployment's
// CA, identities checked (not only chains), certificates reloaded from their
// files so a renewed one is used without a restart.
//
// TLS version: gRPC 1.51's C++ API has no setting for the minimum version;
// with OpenSSL 3 both ends of every dbdump channel negotiate TLS 1.3 (the
// handshake tests check what is negotiated). Debian's gRPC accepts TLS 1.2
// from other clients.
#pragma once

#include <memory>
#include <string>

namespace grpc {
class Channel;
class ChannelCredentials;
class ServerCredentials;
}  // namespace grpc

namespace dbdump {

// PEM files: the CA certificate(s) to trust, this endpoint's certificate
// chain and its private key (0600).
struct TlsFiles {
  std::string ca_path;
  std::string cert_path;
  std::string key_path;
  // How often the files are read again; a renewed certificate written in
  // place (atomically) is served from the next reload on.
  unsigned reload_seconds = 60;
};

enum class ClientCertificates {
  // Verified against the CA when presented (the controller: agents present
  // theirs, admin clients and enrolling agents authenticate otherwise).
  kVerifyIfPresented,
  // A connection without a certificate from the CA is refused (agents).
  kRequired,
};

std::shared_ptr<grpc::ServerCredentials> TlsServerCredentials(const TlsFiles& files,
                                                              ClientCertificates client_certs);

// Presents this endpoint's certificate; the server's chain must lead to the
// CA and its certificate must carry `expected_identity` as a URI SAN.
std::shared_ptr<grpc::ChannelCredentials> MutualTlsChannelCredentials(
    const TlsFiles& files, const std::string& expected_identity);

// No client certificate (admin clients, agents before they enroll); the
// server is verified against `ca_pem` and must carry `expected_identity`.
std::shared_ptr<grpc::ChannelCredentials> ServerTlsChannelCredentials(
    const std::string& ca_pem, const std::string& expected_identity);

// TLS that checks nothing about the server. Only for fetching the CA
// certificate, which the caller then compares with a fingerprint it was
// given out of band before trusting anything it says.
std::shared_ptr<grpc::ChannelCredentials> UnverifiedTlsChannelCredentials();

// The DNS name issued certificates carry beside their identity
// ("controller.dbdump", "db1.agent.dbdump"): channels ask for it as TLS's
// server name, so the server finds it among its certificate's names.
std::string TlsServerName(const std::string& identity);

// A channel to `address` whose TLS server name is TlsServerName(identity)
// (ignored by plaintext credentials).
std::shared_ptr<grpc::Channel> CreateChannelTo(const std::string& address,
                                               std::shared_ptr<grpc::ChannelCredentials> credentials,
                                               const std::string& identity);

}  // namespace dbdump
