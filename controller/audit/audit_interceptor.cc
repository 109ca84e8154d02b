#include "controller/audit/audit_interceptor.h"

#include <google/protobuf/message.h>
#include <grpcpp/server_context.h>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "controller/audit/audit_log.h"
#include "controller/audit/audit_target.h"
#include "controller/auth/caller.h"
#include "controller/auth/rpc_access.h"

namespace dbdump {
namespace {

namespace gx = grpc::experimental;

std::string OutcomeOf(const grpc::Status& status) {
  if (status.ok()) return "ok";
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()));
}

class AuditInterceptor final : public gx::Interceptor {
 public:
  AuditInterceptor(gx::ServerRpcInfo* info, AuditLog* log, const CallerDirectory* callers,
                   bool audited)
      : info_(info), log_(log), callers_(callers), audited_(audited) {}

  void Intercept(gx::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(gx::InterceptionHookPoints::POST_RECV_MESSAGE)) {
      const auto* request = static_cast<const google::protobuf::Message*>(methods->GetRecvMessage());
      if (request != nullptr) target_ = AuditTargetOf(*request);
    }
    if (methods->QueryInterceptionHookPoint(gx::InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      // A call the service itself refused (e.g. an agent registering under
      // another's name) is recorded whatever the RPC.
      bool refused = status.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
                     status.error_code() == grpc::StatusCode::UNAUTHENTICATED;
      if (audited_ || refused) Record(status);
    }
    methods->Proceed();
  }

 private:
  void Record(const grpc::Status& status) {
    AuditEntry entry;
    grpc::ServerContextBase* context = info_->server_context();
    if (context != nullptr) {
      entry.actor = CallerOf(*context, callers_).actor();
      entry.peer = context->peer();
    }
    entry.rpc = info_->method();
    entry.target = target_;
    entry.outcome = OutcomeOf(status);
    if (!status.ok()) entry.detail = status.error_message();
    log_->Record(std::move(entry));
  }

  gx::ServerRpcInfo* info_;
  AuditLog* log_;
  const CallerDirectory* callers_;
  const bool audited_;
  std::string target_;
};

}  // namespace

gx::Interceptor* AuditInterceptorFactory::CreateServerInterceptor(gx::ServerRpcInfo* info) {
  // gRPC's default health service exchanges raw ByteBuffers, not protobuf
  // messages, so there is nothing to read a target from; it changes nothing
  // and is open, so nothing to record either.
  if (absl::StartsWith(info->method(), "/grpc.health.v1.")) return nullptr;
  std::optional<RpcRule> rule = ControllerRpcRule(info->method());
  return new AuditInterceptor(info, log_, callers_, rule.has_value() && rule->audited);
}

}  // namespace dbdump
