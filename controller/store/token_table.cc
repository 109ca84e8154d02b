// TokenTable: API tokens and the one-time join tokens of agents.
#include "controller/store/token_table.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "common/base/names.h"
#include "common/base/status_macros.h"
#include "controller/store/db/stmt.h"

namespace dbdump {

using sqlite::CollectRows;
using sqlite::Stmt;

namespace {

constexpr char kApiColumns[] =
    "name, token_hash, role, created_at, created_by, expires_at, revoked_at, last_used_at";

// Expiry times: '' is "never" (InfiniteFuture).
std::string ExpiryToString(absl::Time t) {
  return t == absl::InfiniteFuture() ? "" : TimeToString(t);
}
absl::Time ExpiryFromString(const std::string& s) {
  return s.empty() ? absl::InfiniteFuture() : TimeFromString(s);
}

ApiTokenRecord ApiFromRow(Stmt& s) {
  ApiTokenRecord t;
  t.name = s.Text(0);
  t.token_hash = s.Text(1);
  t.role = s.Text(2);
  t.created_at = TimeFromString(s.Text(3));
  t.created_by = s.Text(4);
  t.expires_at = ExpiryFromString(s.Text(5));
  // '' reads back as InfinitePast: not revoked, never used.
  t.revoked_at = TimeFromString(s.Text(6));
  t.last_used_at = TimeFromString(s.Text(7));
  return t;
}

}  // namespace

absl::Status TokenTable::CreateApi(const ApiTokenRecord& t) {
  absl::Status st =
      Stmt(db_,
           "INSERT INTO api_tokens(name, token_hash, role, created_at, created_by, expires_at, "
           "revoked_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
          .Bind(1, t.name)
          .Bind(2, t.token_hash)
          .Bind(3, t.role)
          .Bind(4, TimeToString(t.created_at))
          .Bind(5, t.created_by)
          .Bind(6, ExpiryToString(t.expires_at))
          .Bind(7, TimeToString(t.revoked_at))
          .Bind(8, TimeToString(t.last_used_at))
          .Run();
  if (absl::IsAlreadyExists(st)) {
    Stmt s(db_, "SELECT 1 FROM api_tokens WHERE name = ?");
    s.Bind(1, t.name);
    ASSIGN_OR_RETURN(bool by_name, s.Step());
    if (by_name) {
      return absl::AlreadyExistsError(
          absl::StrCat("a token named ", t.name, " already exists"));
    }
    // A hash collision of fresh random tokens: the caller should draw again.
    return absl::AlreadyExistsError("a token with the same hash already exists: issue a new one");
  }
  return st;
}

absl::StatusOr<ApiTokenRecord> TokenTable::FindApiByHash(const std::string& hash) {
  Stmt s(db_, absl::StrCat("SELECT ", kApiColumns, " FROM api_tokens WHERE token_hash = ?").c_str());
  s.Bind(1, hash);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return absl::NotFoundError("unknown api token");
  return ApiFromRow(s);
}

absl::StatusOr<std::vector<ApiTokenRecord>> TokenTable::ListApi() {
  Stmt s(db_, absl::StrCat("SELECT ", kApiColumns, " FROM api_tokens ORDER BY name").c_str());
  return CollectRows<ApiTokenRecord>(s, ApiFromRow);
}

absl::Status TokenTable::RevokeApi(const std::string& name, absl::Time now) {
  RETURN_IF_ERROR(Stmt(db_,
                       "UPDATE api_tokens SET revoked_at = CASE WHEN revoked_at = '' THEN ? "
                       "ELSE revoked_at END WHERE name = ?")
                      .Bind(1, TimeToString(now))
                      .Bind(2, name)
                      .Run());
  if (sqlite3_changes(db_) == 0) {
    return absl::NotFoundError(
        absl::StrCat("no token named ", name, ": see `dbdumpctl tokens list`"));
  }
  return absl::OkStatus();
}

absl::Status TokenTable::TouchApi(const std::string& name, absl::Time now) {
  RETURN_IF_ERROR(Stmt(db_, "UPDATE api_tokens SET last_used_at = ? WHERE name = ?")
                      .Bind(1, TimeToString(now))
                      .Bind(2, name)
                      .Run());
  if (sqlite3_changes(db_) == 0) {
    return absl::NotFoundError(absl::StrCat("no token named ", name));
  }
  return absl::OkStatus();
}

absl::Status TokenTable::CreateJoin(const JoinTokenRecord& t) {
  absl::Status st =
      Stmt(db_,
           "INSERT INTO join_tokens(token_hash, agent_name, created_at, created_by, expires_at) "
           "VALUES (?, ?, ?, ?, ?)")
          .Bind(1, t.token_hash)
          .Bind(2, t.agent_name)
          .Bind(3, TimeToString(t.created_at))
          .Bind(4, t.created_by)
          .Bind(5, ExpiryToString(t.expires_at))
          .Run();
  if (absl::IsAlreadyExists(st)) {
    return absl::AlreadyExistsError(
        "a join token with the same hash already exists: issue a new one");
  }
  return st;
}

absl::StatusOr<std::string> TokenTable::RedeemJoin(const std::string& hash, absl::Time now) {
  std::string agent;
  {
    Stmt s(db_, "SELECT agent_name, expires_at, used_at FROM join_tokens WHERE token_hash = ?");
    s.Bind(1, hash);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return absl::NotFoundError("unknown join token");
    if (!s.Text(2).empty()) return absl::FailedPreconditionError("join token already used");
    absl::Time expires = ExpiryFromString(s.Text(1));
    if (now >= expires) {
      return absl::FailedPreconditionError(absl::StrCat(
          "join token expired at ", TimeToString(expires), ": create a new one for agent ",
          s.Text(0)));
    }
    agent = s.Text(0);
  }
  // Guarded on used_at too, so a token is never redeemed twice even if the
  // caller forgot the transaction.
  RETURN_IF_ERROR(
      Stmt(db_, "UPDATE join_tokens SET used_at = ? WHERE token_hash = ? AND used_at = ''")
          .Bind(1, TimeToString(now))
          .Bind(2, hash)
          .Run());
  if (sqlite3_changes(db_) == 0) return absl::FailedPreconditionError("join token already used");
  return agent;
}

}  // namespace dbdump
