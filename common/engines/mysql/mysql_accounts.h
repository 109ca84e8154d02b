// MysqlAccounts: the accounts and roles of the restore's server, read once
// when the restore starts, that the DEFINERs of the dump are checked against.
#pragma once

#include <set>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "common/engines/mysql/mysql_definer_filter.h"

namespace dbdump {
namespace mysql {

// Both names in HEX(), so that no name can break the batch output apart.
// MariaDB lists its roles in mysql.user too, with an empty host.
inline constexpr char kAccountsSql[] = "SELECT HEX(User), HEX(Host) FROM mysql.user;\n";

class MysqlAccounts {
 public:
  // `out`: the client's batch output of kAccountsSql.
  static absl::StatusOr<MysqlAccounts> Parse(const std::string& out);

  // Whether the server would find the account: user and host as written
  // (host names without regard to case), and for a definer without a host
  // a role of that name or user@'%'.
  bool Has(const DefinerAccount& a) const;

  // The check the filter runs while the restore streams: a missing account
  // fails the restore, naming it and the way around it.
  absl::Status Check(const DefinerAccount& a) const;

 private:
  std::set<std::pair<std::string, std::string>> accounts_;  // user, lower-case host
};

}  // namespace mysql
}  // namespace dbdump
