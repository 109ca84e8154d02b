// How the MySQL engine talks to the mariadb/mysql tools: their environment,
// the 0600 option file that carries the connection, their batch output and
// their errors.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/engines/private_file.h"
#include "dbdump/v1/types.pb.h"

namespace dbdump {
namespace mysql {

// Decodes what the catalog queries return as HEX(); false on bad input.
bool HexDecode(absl::string_view hex, std::string* out);

// "mysql://user@host:port/database" for messages; never the password.
std::string Describe(const v1::DatabaseTarget& t, const std::string& database);

// Environment of the tools: nothing inherited. HOME points nowhere so no
// ~/.my.cnf or ~/.mylogin.cnf can add options, and there is no MYSQL_PWD.
std::map<std::string, std::string> ToolEnv();

// Turns the stderr of a failed client or dump tool into a status saying
// what is wrong and what to do. `secret` is cut out of the text should a
// tool ever echo it.
absl::Status MysqlError(absl::string_view what, const std::string& desc, const std::string& text,
                        int exit_code, const std::string& secret);

// The option file of a tool and the TLS key file of an env: reference,
// both 0600 in the same directory; they must live as long as the tool.
struct ClientFiles {
  PrivateFile option_file;
  std::optional<PrivateFile> tls_key;
  const std::string& path() const { return option_file.path(); }
  // Hands both to a tool session's list of files.
  void MoveInto(std::vector<PrivateFile>* files);
  void Remove();
};

// The option file for both tools (--defaults-file), 0600 in `dir`, with the
// connection and the TLS settings (see AddTlsOptions in the .cc: MariaDB's
// ssl options, or ssl-mode for Oracle MySQL's tools when `ssl_mode`).
absl::StatusOr<ClientFiles> MakeOptionFile(const std::string& dir, const v1::DatabaseTarget& t,
                                           const std::string& password,
                                           const std::string& database, int connect_timeout_s,
                                           bool ssl_mode = false);

// Batch output ("a\tb\n" rows) of the client, split into fields.
std::vector<std::vector<std::string>> Rows(const std::string& out);

}  // namespace mysql
}  // namespace dbdump
