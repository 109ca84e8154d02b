#include "controller/store/db/sqlite_exec.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace dbdump {
namespace sqlite {

absl::Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return absl::InternalError(absl::StrCat("metadata store: ", msg));
  }
  return absl::OkStatus();
}

}  // namespace sqlite
}  // namespace dbdump
