#include "controller/store/db/stmt.h"

#include "absl/strings/str_cat.h"

namespace dbdump {
namespace sqlite {

absl::Status Stmt::Error(int rc) {
  std::string msg = absl::StrCat("metadata store: ", sqlite3_errmsg(db_));
  if ((rc & 0xff) == SQLITE_CONSTRAINT) return absl::AlreadyExistsError(msg);
  if ((rc & 0xff) == SQLITE_BUSY) return absl::UnavailableError(msg);
  return absl::InternalError(msg);
}

}  // namespace sqlite
}  // namespace dbdump
