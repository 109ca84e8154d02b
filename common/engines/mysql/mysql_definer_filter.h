// MysqlDefinerFilter: finds the DEFINER clauses of a MySQL/MariaDB dump on
// its way to the client, and checks each account or rewrites it to
// CURRENT_USER.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "common/io/sink.h"

namespace dbdump {
namespace mysql {

// The account of a DEFINER clause, unquoted.
struct DefinerAccount {
  enum class Kind { kAccount, kCurrentUser, kCurrentRole };
  Kind kind = Kind::kAccount;
  std::string user;
  // Only with has_host: `user` alone is a role on MariaDB, or user@'%'.
  std::string host;
  bool has_host = false;
};

// 'user'@'host' (or 'role') for messages, escaped so that any name prints
// as one line.
std::string DescribeDefiner(const DefinerAccount& a);

// A Sink in front of the client's stdin. It reads the stream as the server
// would: string literals, backtick identifiers and plain, `-- ` and `#`
// comments are data; the insides of executable comments (/*!50013 ... */,
// /*M!100101 ... */) are code, since that is where the dump tools put the
// DEFINERs of views, triggers and events. A DEFINER clause counts only
// after CREATE, REPLACE, ALTER or a view's ALGORITHM value, so a column
// named definer in a routine's body stays as it is.
//
// Memory is bounded: only a clause's account is held back, at most
// kMaxClauseBytes, until it is complete. Either every account goes to
// `check` before any byte of it is forwarded (an error stops the stream
// there, so the statement never reaches the server), or with `rewrite`
// every account becomes CURRENT_USER. CURRENT_USER and CURRENT_ROLE are
// left as they are. Not thread-safe.
class MysqlDefinerFilter : public Sink {
 public:
  static constexpr size_t kMaxClauseBytes = 2048;
  using CheckFn = std::function<absl::Status(const DefinerAccount&)>;
  struct Options {
    Sink* next = nullptr;
    bool rewrite = false;
    // Without rewrite; empty: nothing checked.
    CheckFn check;
  };

  explicit MysqlDefinerFilter(Options o) : o_(std::move(o)) {}
  absl::Status Write(const char* data, size_t n) override;
  absl::Status Finish() override;

  // Accounts rewritten to CURRENT_USER so far.
  uint64_t rewritten() const { return rewritten_; }
  // DEFINER clauses seen so far (CURRENT_USER ones included).
  uint64_t clauses() const { return clauses_; }

 private:
  enum class State {
    kCode,
    kWord,         // an unquoted word of code
    kSlash,        // '/' in code
    kSlashStar,    // "/*": executable or plain comment
    kSlashStarM,   // "/*M": MariaDB executable comment if '!' follows
    kVersion,      // the digits after "/*!" or "/*M!"
    kStar,         // '*' inside an executable comment
    kDash,         // '-' in code
    kDashDash,     // "--": a comment if blank follows
    kLineComment,
    kBlockComment,
    kBlockCommentStar,
    kQuoted,       // a string or backtick identifier of code
    kQuotedBackslash,
    kQuotedClose,  // its quote, or half of a doubled one
    // The clause after DEFINER, held back:
    kAfterDefiner,  // blanks before '='
    kAfterEquals,   // blanks before the account
    kNameBare,
    kName,          // a quoted user or host
    kNameBackslash,
    kNameClose,
    kAfterUser,     // '@' or the end
    kHostStart,
    kAfterCurrent,  // CURRENT_USER: "()" may follow
    kCurrentParen,
  };

  // Takes one byte; false: the byte was not consumed and goes through the
  // new state again.
  bool Step(char c);
  void Emit(char c);
  void EndWord();
  void EndName();
  // The account is complete: check or rewrite it and forward the clause.
  void CompleteClause();
  void Malformed();

  Options o_;
  absl::Status error_;
  bool finished_ = false;
  State state_ = State::kCode;
  bool exec_ = false;        // inside an executable comment
  char quote_ = 0;           // of kQuoted and kName
  std::string word_;         // the word being read, upper case, cut short
  std::string prev_word_;    // the last word of code, if nothing else since
  bool after_dot_ = false;   // the last non-blank of code was '.'
  bool word_after_dot_ = false;
  bool in_clause_ = false;
  std::string held_;         // the clause so far, as written
  size_t account_at_ = 0;    // where the account starts in held_
  bool host_part_ = false;
  DefinerAccount account_;
  std::string out_;          // what goes downstream at the end of Write
  uint64_t rewritten_ = 0;
  uint64_t clauses_ = 0;
};

}  // namespace mysql
}  // namespace dbdump
