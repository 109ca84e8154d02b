// RpcAccess: who may call each RPC the controller serves, in one table.
// A method missing from the table is refused; a test checks the table
// against the service descriptors, so a new RPC without an entry fails.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace dbdump {

enum class Access {
  // Anyone who reaches the port (over TLS): the CA certificate, enrollment
  // with a join token in the request, server reflection, grpc.health.v1.
  kOpen,
  // An enrolled agent's certificate (registration, heartbeats, renewal).
  kAgent,
  // API tokens; each role includes the ones before it.
  kViewer,
  kOperator,
  kAdmin,
};

struct RpcRule {
  Access access;
  // Changes something: recorded in the audit log with its outcome (refused
  // calls of every RPC are recorded too).
  bool audited;
};

// Keyed by full method name, "/dbdump.v1.BackupService/StartRestore".
const std::map<std::string, RpcRule>& ControllerRpcRules();
std::optional<RpcRule> ControllerRpcRule(absl::string_view method);

const char* AccessName(Access access);

}  // namespace dbdump
