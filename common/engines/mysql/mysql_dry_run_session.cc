#include "common/engines/mysql/mysql_dry_run_session.h"

#include "absl/strings/match.h"
#include "common/base/status_macros.h"
#include "common/engines/mysql/mysql_names.h"

namespace dbdump {
namespace mysql {

MysqlDryRunSession::MysqlDryRunSession()
    : scan_([](absl::string_view line) { return absl::StartsWith(line, "CREATE TABLE"); }) {}

absl::Status MysqlDryRunSession::Finish() {
  RETURN_IF_ERROR(sink_.Finish());
  if (!IsMysqlDumpHeader(sink_.first_line)) {
    return absl::DataLossError(
        "not a mysql dump: the stream does not start with a mysqldump or mariadb-dump "
        "header; check that the backup was made by the MySQL engine");
  }
  return absl::OkStatus();
}

std::string MysqlDryRunSession::summary() const {
  return FormatCount("%d tables in the SQL dump", scan_.count());
}

}  // namespace mysql
}  // namespace dbdump
