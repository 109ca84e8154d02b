// AuditTargetOf: what a request acts on, for the audit log, from the names
// and ids it carries ("database=orders backup_id=…"). Only fields on an
// allow-list of identifier names are read, so a secret in a request (a join
// token, a CSR, a storage credential) can never reach an entry.
#pragma once

#include <string>

namespace google {
namespace protobuf {
class Message;
}  // namespace protobuf
}  // namespace google

namespace dbdump {

std::string AuditTargetOf(const google::protobuf::Message& request);

}  // namespace dbdump
