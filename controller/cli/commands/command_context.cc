#include "controller/cli/commands/command_context.h"

#include <utility>

#include "common/base/clock.h"
#include "common/base/status_macros.h"
#include "controller/cli/client/controller_client.h"
#include "controller/cli/output/formatting.h"

namespace dbdump {

CommandContext::CommandContext(Options options) : options_(std::move(options)) {
  if (!options_.now) options_.now = [] { return DefaultClock()->Now(); };
  if (options_.err == nullptr) options_.err = options_.out;
}

CommandContext::~CommandContext() = default;

ControllerClient& CommandContext::client() {
  if (client_ == nullptr) client_ = options_.connect();
  return *client_;
}

absl::Status CommandContext::PrintJson(const google::protobuf::Message& message) {
  ASSIGN_OR_RETURN(std::string json, ToJson(message));
  *options_.out << json;
  return absl::OkStatus();
}

void PrintNextPage(CommandContext& context, const std::string& what, const std::string& token) {
  if (token.empty()) return;
  context.err() << "more " << what << ": repeat with --page-token=" << token << "\n";
}

}  // namespace dbdump
