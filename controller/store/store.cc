// Store: opening the metadata store and its schema. The table groups are
// defined in store_<group>.cc beside this file.
#include "controller/store/store.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "controller/store/db/migrations.h"
#include "controller/store/db/sqlite_exec.h"

namespace dbdump {

int Store::latest_schema_version() { return sqlite::LatestSchemaVersion(); }

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open the metadata store ", path, ": ", msg));
  }
  sqlite3_busy_timeout(db, 5000);
  std::unique_ptr<Store> store(new Store(db));
  {
    absl::MutexLock l(&store->mu_);
    RETURN_IF_ERROR(sqlite::Exec(db, "PRAGMA journal_mode=WAL"));
    RETURN_IF_ERROR(sqlite::Exec(db, "PRAGMA foreign_keys=ON"));
    RETURN_IF_ERROR(sqlite::Exec(db, "PRAGMA synchronous=NORMAL"));
  }
  RETURN_IF_ERROR(store->Migrate());
  return store;
}

Store::~Store() {
  absl::MutexLock l(&mu_);
  sqlite3_close_v2(db_);
}

absl::Status Store::Migrate() {
  absl::MutexLock l(&mu_);
  return sqlite::Migrate(db_);
}

int Store::schema_version() {
  absl::MutexLock l(&mu_);
  absl::StatusOr<int> v = sqlite::SchemaVersion(db_);
  return v.ok() ? *v : 0;
}

}  // namespace dbdump
