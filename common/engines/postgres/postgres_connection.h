// How the PostgreSQL engine reaches a server: libpq connections, and the
// environment and 0600 pgpass file of the tools; what their errors mean.
#pragma once

#include <libpq-fe.h>

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/engines/private_file.h"
#include "common/engines/tls_key_file.h"
#include "common/engines/tool_session.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump {
namespace pg {

// Maps a libpq / tool error text onto a status with a hint of what to do.
absl::Status PgError(const std::string& what, const std::string& target_desc, std::string msg);

// "postgresql://user@host:port/database" for messages; never the password.
std::string Describe(const v1::DatabaseTarget& t);

// A libpq connection closed on scope exit.
struct PgConn {
  PGconn* conn = nullptr;
  ~PgConn() {
    if (conn) PQfinish(conn);
  }
};

// Connects to `dbname` on the target's server (the name is only ever a
// name, never a connection string).
absl::Status Connect(const v1::DatabaseTarget& t, const std::string& dbname, int timeout_s,
                     PgConn* out);

// Major version of "15.18" or "16beta1" style strings; 0 if there is none.
int MajorVersion(const std::string& version);

// The connected server's version ("15.18").
std::string ServerVersion(PGconn* conn);

// Environment for pg_dump / pg_restore: nothing inherited but PATH and a
// locale; connection details, the pgpass file and the TLS settings (with
// the path of the client key file, see TlsKeyFile) by variable.
std::map<std::string, std::string> ToolEnv(const v1::DatabaseTarget& t, const std::string& passfile,
                                           int timeout_s, const std::string& tls_key_file = "");

// What a tool needs to reach the target: its environment and the private
// files it names (pgpass; the TLS key of an env: reference), which must live
// as long as the tool.
struct ToolConnection {
  std::map<std::string, std::string> env;
  std::vector<PrivateFile> files;
};
absl::StatusOr<ToolConnection> PrepareTool(const v1::DatabaseTarget& t, const std::string& work_dir,
                                          int timeout_s);

// A 0600 pgpass file in `work_dir` with the target's password.
absl::StatusOr<PrivateFile> MakePassfile(const v1::DatabaseTarget& t, const std::string& work_dir);

// What to do when the target lacks a role the backup names.
std::string MissingRoleHint();

// How a failed pg tool is reported: its message without the "<tool>:
// error: " prefixes, mapped like libpq's.
ToolErrorFn PgToolError(const std::string& tool, const std::string& target_desc);

}  // namespace pg
}  // namespace dbdump
