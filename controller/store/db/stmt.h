// Stmt: one prepared SQLite statement of the metadata store.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace sqlite {

// A prepared statement, finalised on scope exit. Errors map to the most
// specific code: a constraint violation is AlreadyExists (callers turn it
// into what the constraint means), a busy database Unavailable. Not
// thread-safe: used under the Store's mutex.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &st_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(st_); }
  Stmt& Bind(int i, const std::string& v) {
    sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(st_, i, v);
    return *this;
  }
  Stmt& BindDouble(int i, double v) {
    sqlite3_bind_double(st_, i, v);
    return *this;
  }
  Stmt& BindBlob(int i, const std::string& v) {
    sqlite3_bind_blob(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // True when a row is available.
  absl::StatusOr<bool> Step() {
    if (rc_ != SQLITE_OK) return Error(rc_);
    int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return Error(rc);
  }
  absl::Status Run() { return Step().status(); }
  std::string Text(int c) {
    const unsigned char* t = sqlite3_column_text(st_, c);
    return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(st_, c)) : "";
  }
  std::string Blob(int c) {
    const void* b = sqlite3_column_blob(st_, c);
    return b ? std::string(static_cast<const char*>(b), sqlite3_column_bytes(st_, c)) : "";
  }
  int64_t Int(int c) { return sqlite3_column_int64(st_, c); }
  double Double(int c) { return sqlite3_column_double(st_, c); }

 private:
  absl::Status Error(int rc);
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
  int rc_;
};

// Every remaining row of `s`, each turned into a T by `from_row`.
template <typename T, typename F>
absl::StatusOr<std::vector<T>> CollectRows(Stmt& s, F from_row) {
  std::vector<T> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(from_row(s));
  }
}

}  // namespace sqlite
}  // namespace dbdump
