// AuditTable: the rows of the hash-chained audit log.
#include "controller/store/audit_table.h"

#include <sqlite3.h>

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/status_macros.h"
#include "controller/audit/audit_hash.h"
#include "controller/store/db/stmt.h"

namespace dbdump {

using sqlite::CollectRows;
using sqlite::Stmt;

namespace {

constexpr char kColumns[] = "seq, at, actor, peer, rpc, target, outcome, detail, prev_hash, hash";
constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 1000;

AuditEntry EntryFromRow(Stmt& s) {
  AuditEntry e;
  e.seq = s.Int(0);
  e.at = AuditTimeFromString(s.Text(1));
  e.actor = s.Text(2);
  e.peer = s.Text(3);
  e.rpc = s.Text(4);
  e.target = s.Text(5);
  e.outcome = s.Text(6);
  e.detail = s.Text(7);
  e.prev_hash = s.Text(8);
  e.hash = s.Text(9);
  return e;
}

// `v` as a LIKE pattern that matches it anywhere, with '\' escaping.
std::string ContainsPattern(const std::string& v) {
  std::string out = "%";
  for (char c : v) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('%');
  return out;
}

}  // namespace

absl::StatusOr<std::optional<AuditEntry>> AuditTable::Last() {
  Stmt s(db_, absl::StrCat("SELECT ", kColumns, " FROM audit_log ORDER BY seq DESC LIMIT 1").c_str());
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<AuditEntry>();
  return std::optional<AuditEntry>(EntryFromRow(s));
}

absl::Status AuditTable::Insert(const AuditEntry& e) {
  return Stmt(db_, absl::StrCat("INSERT INTO audit_log(", kColumns,
                                ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                       .c_str())
      .Bind(1, e.seq)
      .Bind(2, AuditTimeToString(e.at))
      .Bind(3, e.actor)
      .Bind(4, e.peer)
      .Bind(5, e.rpc)
      .Bind(6, e.target)
      .Bind(7, e.outcome)
      .Bind(8, e.detail)
      .Bind(9, e.prev_hash)
      .Bind(10, e.hash)
      .Run();
}

absl::StatusOr<std::vector<AuditEntry>> AuditTable::List(const AuditFilter& f) {
  // Conditions and their values, bound in order.
  std::vector<std::string> where;
  std::vector<std::string> values;
  if (!f.actor.empty()) {
    where.push_back("actor = ?");
    values.push_back(f.actor);
  }
  if (!f.rpc_contains.empty()) {
    where.push_back("rpc LIKE ? ESCAPE '\\'");
    values.push_back(ContainsPattern(f.rpc_contains));
  }
  if (!f.outcome.empty()) {
    where.push_back("outcome = ?");
    values.push_back(f.outcome);
  }
  // Audit times have a fixed width, so they compare as strings.
  if (f.since != absl::InfinitePast()) {
    where.push_back("at >= ?");
    values.push_back(AuditTimeToString(f.since));
  }
  if (f.until != absl::InfiniteFuture()) {
    where.push_back("at < ?");
    values.push_back(AuditTimeToString(f.until));
  }
  if (f.before_seq > 0) where.push_back(absl::StrCat("seq < ", f.before_seq));
  int limit = f.limit <= 0 ? kDefaultLimit : std::min(f.limit, kMaxLimit);
  std::string sql = absl::StrCat("SELECT ", kColumns, " FROM audit_log");
  if (!where.empty()) absl::StrAppend(&sql, " WHERE ", absl::StrJoin(where, " AND "));
  absl::StrAppend(&sql, " ORDER BY seq DESC LIMIT ", limit);
  Stmt s(db_, sql.c_str());
  for (size_t i = 0; i < values.size(); ++i) s.Bind(static_cast<int>(i + 1), values[i]);
  return CollectRows<AuditEntry>(s, EntryFromRow);
}

absl::StatusOr<std::vector<AuditEntry>> AuditTable::Chain(int64_t from_seq, int limit) {
  Stmt s(db_, absl::StrCat("SELECT ", kColumns,
                           " FROM audit_log WHERE seq >= ? ORDER BY seq ASC LIMIT ?")
                  .c_str());
  s.Bind(1, from_seq).Bind(2, int64_t{std::clamp(limit, 1, kMaxLimit)});
  return CollectRows<AuditEntry>(s, EntryFromRow);
}

}  // namespace dbdump
