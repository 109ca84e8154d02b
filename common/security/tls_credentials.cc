#include "common/security/tls_credentials.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/security/identity.h"

namespace dbdump {
namespace {

namespace gx = grpc::experimental;

// Accepts the server only when its certificate (whose chain gRPC has already
// verified, unless told not to) carries the expected identity.
class IdentityVerifier final : public gx::ExternalCertificateVerifier {
 public:
  explicit IdentityVerifier(std::string expected) : expected_(std::move(expected)) {}

  bool Verify(gx::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)> /*callback*/, grpc::Status* sync_status) override {
    std::string seen;
    for (const grpc::string_ref& uri : request->uri_names()) {
      std::string u(uri.data(), uri.size());
      if (u == expected_) {
        *sync_status = grpc::Status::OK;
        return true;
      }
      absl::StrAppend(&seen, seen.empty() ? "" : ", ", u);
    }
    *sync_status = grpc::Status(
        grpc::StatusCode::UNAUTHENTICATED,
        absl::StrCat("the server's certificate is for ", seen.empty() ? "no dbdump identity" : seen,
                     ", not ", expected_));
    return true;
  }
  void Cancel(gx::TlsCustomVerificationCheckRequest*) override {}

 private:
  const std::string expected_;
};

// Verifies nothing beyond what the caller compares afterwards.
class AcceptAnyVerifier final : public gx::ExternalCertificateVerifier {
 public:
  bool Verify(gx::TlsCustomVerificationCheckRequest*, std::function<void(grpc::Status)>,
              grpc::Status* sync_status) override {
    *sync_status = grpc::Status::OK;
    return true;
  }
  void Cancel(gx::TlsCustomVerificationCheckRequest*) override {}
};

std::shared_ptr<grpc::ChannelCredentials> ChannelWith(
    std::shared_ptr<gx::CertificateProviderInterface> provider, bool identity,
    std::shared_ptr<gx::CertificateVerifier> verifier, bool verify_chain) {
  gx::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(std::move(provider));
  options.watch_root_certs();
  if (identity) options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(verify_chain);
  options.set_check_call_host(false);
  options.set_certificate_verifier(std::move(verifier));
  return gx::TlsCredentials(options);
}

}  // namespace

std::shared_ptr<grpc::ServerCredentials> TlsServerCredentials(const TlsFiles& files,
                                                              ClientCertificates client_certs) {
  auto provider = std::make_shared<gx::FileWatcherCertificateProvider>(
      files.key_path, files.cert_path, files.ca_path, files.reload_seconds);
  gx::TlsServerCredentialsOptions options(provider);
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(client_certs == ClientCertificates::kRequired
                                    ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                    : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  // The chain is verified in the handshake; who may call what is decided
  // per call from the identity (see the servers' auth processors).
  options.set_certificate_verifier(std::make_shared<gx::NoOpCertificateVerifier>());
  return gx::TlsServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> MutualTlsChannelCredentials(
    const TlsFiles& files, const std::string& expected_identity) {
  return ChannelWith(std::make_shared<gx::FileWatcherCertificateProvider>(
                         files.key_path, files.cert_path, files.ca_path, files.reload_seconds),
                     /*identity=*/true,
                     gx::ExternalCertificateVerifier::Create<IdentityVerifier>(expected_identity),
                     /*verify_chain=*/true);
}

std::shared_ptr<grpc::ChannelCredentials> ServerTlsChannelCredentials(
    const std::string& ca_pem, const std::string& expected_identity) {
  return ChannelWith(std::make_shared<gx::StaticDataCertificateProvider>(ca_pem),
                     /*identity=*/false,
                     gx::ExternalCertificateVerifier::Create<IdentityVerifier>(expected_identity),
                     /*verify_chain=*/true);
}

std::shared_ptr<grpc::ChannelCredentials> UnverifiedTlsChannelCredentials() {
  gx::TlsChannelCredentialsOptions options;
  options.set_verify_server_certs(false);
  options.set_check_call_host(false);
  options.set_certificate_verifier(gx::ExternalCertificateVerifier::Create<AcceptAnyVerifier>());
  return gx::TlsCredentials(options);
}

std::string TlsServerName(const std::string& identity) {
  PeerIdentity peer = ParseIdentity(identity);
  switch (peer.kind) {
    case PeerIdentity::kController:
      return "controller.dbdump";
    case PeerIdentity::kAgent:
      return absl::StrCat(peer.agent_name, ".agent.dbdump");
    default:
      return "dbdump";
  }
}

std::shared_ptr<grpc::Channel> CreateChannelTo(const std::string& address,
                                               std::shared_ptr<grpc::ChannelCredentials> credentials,
                                               const std::string& identity) {
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride(TlsServerName(identity));
  return grpc::CreateCustomChannel(address, std::move(credentials), args);
}

}  // namespace dbdump
