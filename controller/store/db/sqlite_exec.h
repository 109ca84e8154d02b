// Plain SQL execution and transactions on the metadata store's connection.
#pragma once

#include <sqlite3.h>

#include "absl/status/status.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace sqlite {

// Runs one or more statements that return no rows (pragmas, migrations,
// savepoints). Internal error with SQLite's message otherwise.
absl::Status Exec(sqlite3* db, const char* sql);

// Runs `body` in a transaction, committing when it succeeds.
template <typename F>
absl::Status InTransaction(sqlite3* db, F body) {
  RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE"));
  absl::Status st = body();
  if (st.ok()) st = Exec(db, "COMMIT");
  // The body's (or COMMIT's) error is the one worth reporting.
  if (!st.ok()) (void)Exec(db, "ROLLBACK");
  return st;
}

}  // namespace sqlite
}  // namespace dbdump
