#include "common/engines/mysql/mysql_accounts.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/engines/mysql/mysql_client.h"

namespace dbdump {
namespace mysql {

absl::StatusOr<MysqlAccounts> MysqlAccounts::Parse(const std::string& out) {
  MysqlAccounts a;
  for (const std::vector<std::string>& row : Rows(out)) {
    std::string user;
    std::string host;
    if (row.size() != 2 || !HexDecode(row[0], &user) || !HexDecode(row[1], &host)) {
      return absl::InternalError(
          "cannot read the accounts of the target server: the client returned rows in an "
          "unexpected form");
    }
    a.accounts_.emplace(std::move(user), absl::AsciiStrToLower(host));
  }
  return a;
}

bool MysqlAccounts::Has(const DefinerAccount& a) const {
  if (a.kind != DefinerAccount::Kind::kAccount) return true;
  if (a.has_host) return accounts_.count({a.user, absl::AsciiStrToLower(a.host)}) > 0;
  return accounts_.count({a.user, ""}) > 0 || accounts_.count({a.user, "%"}) > 0;
}

absl::Status MysqlAccounts::Check(const DefinerAccount& a) const {
  if (Has(a)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "the backup's views, routines, triggers or events are defined by ", DescribeDefiner(a),
      ", which does not exist on the target server: create that account first, or restore "
      "with --definers=current-user to define them as the restoring user"));
}

}  // namespace mysql
}  // namespace dbdump
