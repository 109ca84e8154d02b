#include "agent/registrar.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>

#include "common/base/log.h"
#include "common/security/identity.h"
#include "common/security/tls_credentials.h"
#include "common/base/version.h"

namespace dbdump {

Registrar::Registrar(RegistrarOptions options)
    : options_(std::move(options)),
      stub_(v1::RegistryService::NewStub(CreateChannelTo(
          options_.controller_address,
          options_.credentials ? options_.credentials : grpc::InsecureChannelCredentials(),
          ControllerIdentity()))) {}

Registrar::~Registrar() { Stop(); }

void Registrar::Start() { thread_ = std::thread([this] { Loop(); }); }

void Registrar::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void Registrar::Loop() {
  bool registered = false;
  absl::Duration interval = absl::Seconds(5);
  absl::Duration backoff = absl::Milliseconds(200);
  while (!stop_.HasBeenNotified()) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::Status st;
    if (!registered) {
      v1::RegisterAgentRequest req;
      req.set_name(options_.agent_name);
      req.set_address(options_.advertise_address);
      req.set_version(kVersion);
      for (auto e : options_.engines) req.mutable_capabilities()->add_engines(e);
      for (const auto& [e, v] : options_.tool_versions) {
        (*req.mutable_capabilities()->mutable_tool_versions())[e] = v;
      }
      v1::RegisterAgentResponse resp;
      st = stub_->RegisterAgent(&ctx, req, &resp);
      if (st.ok()) {
        registered = true;
        interval = absl::Seconds(std::max<uint32_t>(1, resp.heartbeat_interval_s()));
        LogInfo("agent", "registered with controller ", options_.controller_address, " as ",
                options_.agent_name);
      }
    } else {
      v1::HeartbeatRequest req;
      req.set_name(options_.agent_name);
      v1::HeartbeatResponse resp;
      st = stub_->Heartbeat(&ctx, req, &resp);
      if (st.error_code() == grpc::StatusCode::NOT_FOUND) registered = false;
    }
    if (options_.on_connection) options_.on_connection(st.ok() && registered);
    if (st.ok()) {
      backoff = absl::Milliseconds(200);
      stop_.WaitForNotificationWithTimeout(registered ? interval : absl::ZeroDuration());
    } else {
      bool refused = st.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
                     st.error_code() == grpc::StatusCode::PERMISSION_DENIED;
      if (refused) {
        LogWarn("agent", "the controller ", options_.controller_address,
                " refused this agent: ", st.error_message(), "; asking again in a minute");
      } else if (st.error_code() != grpc::StatusCode::NOT_FOUND) {
        LogWarn("agent", "controller ", options_.controller_address, " unreachable: ",
                st.error_message(), "; retrying");
      }
      if (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
        // The controller refused our registration; retrying quickly won't help.
        backoff = absl::Seconds(30);
      }
      if (refused) backoff = absl::Minutes(1);
      stop_.WaitForNotificationWithTimeout(backoff);
      // Never retry slower than the heartbeat interval: after a controller
      // restart the agent must be seen online again promptly.
      backoff = std::min(backoff * 2, std::max(interval, absl::Milliseconds(200)));
      if (refused) registered = false;
    }
  }
}

}  // namespace dbdump
