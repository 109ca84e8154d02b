// How the MongoDB tools reach the server (a connection string without the
// password, which goes into a 0600 config file), their environment, and
// what their stderr means.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/engines/private_file.h"
#include "common/engines/tool_session.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump {
namespace mongo {

// How the tools reach the server: everything but the password, which goes
// into the config file.
struct Connection {
  std::string uri;       // host and port only: mongodb://host:port/?authSource=admin
                         // (mongodb://host:port/ without a user)
  std::string user;      // empty = no authentication
  std::string password;  // empty = none
  int timeout_s = 0;     // --dialTimeout
  std::string desc;      // for messages: mongodb://user@host:port/db
};

// The connection to `t`: host checked (it goes into the connection
// string), password resolved.
absl::StatusOr<Connection> ConnectionFor(const v1::DatabaseTarget& t, int timeout_s);

// The 0600 config file holding the password, or nothing without one.
absl::StatusOr<std::vector<PrivateFile>> ConfigFile(const Connection& c, const std::string& dir);

// Connection arguments: --config, --uri, --username and the connect timeout
// in seconds (--dialTimeout), each one argument.
std::vector<std::string> ConnectionArgs(const Connection& c,
                                        const std::vector<PrivateFile>& config);

// Nothing inherited: PATH and a locale only.
std::map<std::string, std::string> ToolEnv();

// The line of a tool's stderr that says what went wrong: the last
// "Failed: ..." line, else the last line.
std::string ToolProblem(const std::string& tail);

// Maps a failed tool's stderr onto a status with a hint of what to do. The
// password never reaches the tools' messages (it is not in argv), and is
// masked here in case a tool ever echoes it.
absl::Status MongoToolError(const std::string& what, const std::string& desc, int exit_code,
                            const std::string& tail, const std::string& password);

// MongoToolError for a tool session.
ToolErrorFn ErrorFn(std::string what, std::string desc, std::string password);

}  // namespace mongo
}  // namespace dbdump
