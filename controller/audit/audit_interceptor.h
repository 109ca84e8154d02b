// AuditInterceptorFactory: appends an audit entry for every call of an
// audited RPC (see RpcAccess) that the auth processor admitted, and for
// every call a service refused (PERMISSION_DENIED, UNAUTHENTICATED), with the
// caller, the peer address, what the request names and the outcome. Calls
// the processor refused are recorded by the processor's refusal hook.
#pragma once

#include <grpcpp/support/server_interceptor.h>

namespace dbdump {

class AuditLog;
class CallerDirectory;

class AuditInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // `log` and `callers` are not owned and outlive the server.
  AuditInterceptorFactory(AuditLog* log, const CallerDirectory* callers)
      : log_(log), callers_(callers) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  AuditLog* log_;
  const CallerDirectory* callers_;
};

}  // namespace dbdump
