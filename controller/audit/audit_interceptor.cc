#include "controller/audit/audit_interceptor.h"

#include <google/protobuf/message.h>
#include <grpcpp/server_context.h>

#include "absl/status/status.h"
#include "common/base/log.h"
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
  AuditInterceptor(gx::ServerRpcInfo* info, AuditLog* log) : info_(info), log_(log) {}

  void Intercept(gx::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(gx::InterceptionHookPoints::POST_RECV_MESSAGE)) {
      const auto* request = static_cast<const google::protobuf::Message*>(methods->GetRecvMessage());
      if (request != nullptr) target_ = AuditTargetOf(*request);
    }
    if (methods->QueryInterceptionHookPoint(gx::InterceptionHookPoints::PRE_SEND_STATUS)) {
      Record(methods->GetSendStatus());
    }
    methods->Proceed();
  }

 private:
  void Record(const grpc::Status& status) {
    AuditEntry entry;
    grpc::ServerContextBase* context = info_->server_context();
    if (context != nullptr) {
      entry.actor = CallerOf(*context).actor();
      entry.peer = context->peer();
    }
    entry.rpc = info_->method();
    entry.target = target_;
    entry.outcome = OutcomeOf(status);
    if (!status.ok()) entry.detail = status.error_message();
    absl::StatusOr<AuditEntry> appended = log_->Append(std::move(entry));
    if (!appended.ok()) LogWarn("audit", "cannot append: ", appended.status().message());
  }

  gx::ServerRpcInfo* info_;
  AuditLog* log_;
  std::string target_;
};

}  // namespace

gx::Interceptor* AuditInterceptorFactory::CreateServerInterceptor(gx::ServerRpcInfo* info) {
  std::optional<RpcRule> rule = ControllerRpcRule(info->method());
  if (!rule || !rule->audited) return nullptr;
  return new AuditInterceptor(info, log_);
}

}  // namespace dbdump
