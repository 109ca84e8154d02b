// A hand-written scanner rather than a SQL parser library: the filter needs
// only the lexical layer (strings, identifiers, the three comment forms and
// the executable ones) and must work a byte at a time on a stream of any
// size, which the available parsers, built for whole statements, do not.
#include "common/engines/mysql/mysql_definer_filter.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"

namespace dbdump {
namespace mysql {
namespace {

// Longest word compared against a keyword; longer ones are cut.
constexpr size_t kMaxWord = 16;

bool IsWordChar(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return absl::ascii_isalnum(u) || c == '_' || c == '$' || u >= 0x80;
}

// An unquoted host also takes the characters of addresses and patterns.
bool IsHostChar(char c) { return IsWordChar(c) || c == '.' || c == '%' || c == '-'; }

bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// The words a DEFINER clause follows: CREATE [OR REPLACE] [ALGORITHM = x]
// DEFINER = ..., ALTER [ALGORITHM = x] DEFINER = ...
bool MayPrecedeDefiner(const std::string& w) {
  return w == "CREATE" || w == "REPLACE" || w == "ALTER" || w == "UNDEFINED" || w == "MERGE" ||
         w == "TEMPTABLE";
}

// The server's reading of a backslash escape in a quoted name.
void AppendEscaped(char c, std::string* to) {
  switch (c) {
    case '0': to->push_back('\0'); break;
    case 'b': to->push_back('\b'); break;
    case 'n': to->push_back('\n'); break;
    case 'r': to->push_back('\r'); break;
    case 't': to->push_back('\t'); break;
    case 'Z': to->push_back('\x1a'); break;
    case '%':
    case '_':
      // Kept with the backslash, as in LIKE patterns.
      to->push_back('\\');
      to->push_back(c);
      break;
    default: to->push_back(c);
  }
}

}  // namespace

std::string DescribeDefiner(const DefinerAccount& a) {
  std::string s = absl::StrCat("'", absl::Utf8SafeCHexEscape(a.user), "'");
  if (a.has_host) absl::StrAppend(&s, "@'", absl::Utf8SafeCHexEscape(a.host), "'");
  return s;
}

absl::Status MysqlDefinerFilter::Write(const char* data, size_t n) {
  RETURN_IF_ERROR(error_);
  if (finished_) return absl::FailedPreconditionError("write after finish");
  out_.clear();
  out_.reserve(n + 16);
  for (size_t i = 0; i < n && error_.ok(); ++i) {
    while (!Step(data[i]) && error_.ok()) {
    }
  }
  // What came before a failed clause is forwarded: on its own it cannot
  // complete the statement the clause belongs to.
  if (!out_.empty()) {
    absl::Status st = o_.next->Write(out_.data(), out_.size());
    if (!st.ok() && error_.ok()) error_ = st;
  }
  return error_;
}

absl::Status MysqlDefinerFilter::Finish() {
  RETURN_IF_ERROR(error_);
  if (finished_) return absl::OkStatus();
  finished_ = true;
  out_.clear();
  if (in_clause_) {
    switch (state_) {
      case State::kNameBare:
      case State::kNameClose:
        EndName();
        [[fallthrough]];
      case State::kAfterUser:
      case State::kAfterCurrent:
        if (in_clause_) CompleteClause();
        break;
      default:
        // An unfinished clause ends an unfinished statement, which the
        // server refuses on its own.
        out_ += held_;
        held_.clear();
        in_clause_ = false;
    }
    RETURN_IF_ERROR(error_);
  }
  if (!out_.empty()) RETURN_IF_ERROR(o_.next->Write(out_.data(), out_.size()));
  return o_.next->Finish();
}

void MysqlDefinerFilter::Emit(char c) {
  if (in_clause_) {
    held_.push_back(c);
    if (held_.size() > kMaxClauseBytes) {
      error_ = absl::InvalidArgumentError(absl::StrCat(
          "a DEFINER clause of the backup is longer than ", kMaxClauseBytes,
          " bytes, far more than any account name: the backup is not a dump of the MySQL "
          "or MariaDB dump tools"));
    }
  } else {
    out_.push_back(c);
  }
}

void MysqlDefinerFilter::EndWord() {
  if (word_after_dot_) {
    // The name of a column or table (t.create): never a keyword.
    word_.clear();
    state_ = State::kCode;
  } else if (word_ == "DEFINER" && MayPrecedeDefiner(prev_word_)) {
    in_clause_ = true;
    held_.clear();
    account_ = DefinerAccount();
    state_ = State::kAfterDefiner;
  } else {
    state_ = State::kCode;
  }
  prev_word_ = word_;
  word_.clear();
}

void MysqlDefinerFilter::EndName() {
  if (host_part_) {
    account_.has_host = true;
    CompleteClause();
    return;
  }
  std::string upper = absl::AsciiStrToUpper(account_.user);
  bool was_bare = state_ == State::kNameBare;
  if (was_bare && upper == "CURRENT_USER") {
    account_.kind = DefinerAccount::Kind::kCurrentUser;
    state_ = State::kAfterCurrent;
  } else if (was_bare && upper == "CURRENT_ROLE") {
    account_.kind = DefinerAccount::Kind::kCurrentRole;
    state_ = State::kAfterCurrent;
  } else {
    state_ = State::kAfterUser;
  }
}

void MysqlDefinerFilter::CompleteClause() {
  ++clauses_;
  in_clause_ = false;
  state_ = State::kCode;
  prev_word_.clear();
  if (account_.kind != DefinerAccount::Kind::kAccount) {
    out_ += held_;
  } else if (o_.rewrite) {
    out_.append(held_, 0, account_at_);
    out_ += "CURRENT_USER";
    ++rewritten_;
  } else {
    absl::Status st = o_.check ? o_.check(account_) : absl::OkStatus();
    if (!st.ok()) {
      error_ = st;
    } else {
      out_ += held_;
    }
  }
  held_.clear();
}

void MysqlDefinerFilter::Malformed() {
  std::string shown = held_.substr(0, 200);
  error_ = absl::InvalidArgumentError(absl::StrCat(
      "cannot read the account of a DEFINER clause of the backup (DEFINER",
      absl::Utf8SafeCHexEscape(shown),
      "): it is not written as the MySQL and MariaDB dump tools write one; check that the "
      "backup is such a dump"));
}

bool MysqlDefinerFilter::Step(char c) {
  switch (state_) {
    case State::kCode:
      if (IsWordChar(c)) {
        word_.assign(1, absl::ascii_toupper(static_cast<unsigned char>(c)));
        word_after_dot_ = after_dot_;
        state_ = State::kWord;
      } else if (c == '\'' || c == '"' || c == '`') {
        quote_ = c;
        prev_word_.clear();
        state_ = State::kQuoted;
      } else if (c == '/') {
        state_ = State::kSlash;
      } else if (c == '*' && exec_) {
        state_ = State::kStar;
      } else if (c == '-') {
        state_ = State::kDash;
      } else if (c == '#') {
        state_ = State::kLineComment;
      } else if (!IsBlank(c)) {
        prev_word_.clear();
      }
      if (!IsBlank(c)) after_dot_ = c == '.';
      Emit(c);
      return true;
    case State::kWord:
      if (!IsWordChar(c)) {
        EndWord();
        return false;
      }
      if (word_.size() < kMaxWord) word_.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
      Emit(c);
      return true;
    case State::kSlash:
      if (c != '*') {
        prev_word_.clear();
        state_ = State::kCode;
        return false;
      }
      state_ = State::kSlashStar;
      Emit(c);
      return true;
    case State::kSlashStar:
      if (c == '!') {
        exec_ = true;
        state_ = State::kVersion;
      } else if (c == 'M') {
        state_ = State::kSlashStarM;
      } else {
        state_ = State::kBlockComment;
        return false;
      }
      Emit(c);
      return true;
    case State::kSlashStarM:
      if (c != '!') {
        state_ = State::kBlockComment;
        return false;
      }
      exec_ = true;
      state_ = State::kVersion;
      Emit(c);
      return true;
    case State::kVersion:
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
        state_ = State::kCode;
        return false;
      }
      Emit(c);
      return true;
    case State::kStar:
      if (c != '/') {
        prev_word_.clear();
        state_ = State::kCode;
        return false;
      }
      exec_ = false;
      state_ = State::kCode;
      Emit(c);
      return true;
    case State::kDash:
      if (c != '-') {
        prev_word_.clear();
        state_ = State::kCode;
        return false;
      }
      state_ = State::kDashDash;
      Emit(c);
      return true;
    case State::kDashDash:
      if (static_cast<unsigned char>(c) > ' ') {
        prev_word_.clear();
        state_ = State::kCode;
        return false;
      }
      state_ = State::kLineComment;
      Emit(c);
      return true;
    case State::kLineComment:
      if (c == '\n') state_ = State::kCode;
      Emit(c);
      return true;
    case State::kBlockComment:
      if (c == '*') state_ = State::kBlockCommentStar;
      Emit(c);
      return true;
    case State::kBlockCommentStar:
      if (c == '/') {
        state_ = State::kCode;
      } else if (c != '*') {
        state_ = State::kBlockComment;
      }
      Emit(c);
      return true;
    case State::kQuoted:
      if (c == quote_) {
        state_ = State::kQuotedClose;
      } else if (c == '\\' && quote_ != '`') {
        state_ = State::kQuotedBackslash;
      }
      Emit(c);
      return true;
    case State::kQuotedBackslash:
      state_ = State::kQuoted;
      Emit(c);
      return true;
    case State::kQuotedClose:
      if (c != quote_) {
        state_ = State::kCode;
        return false;
      }
      state_ = State::kQuoted;  // a doubled quote
      Emit(c);
      return true;

    case State::kAfterDefiner:
      if (c == '=') {
        state_ = State::kAfterEquals;
      } else if (!IsBlank(c)) {
        // SQL SECURITY DEFINER, or a word that only looked like the clause.
        in_clause_ = false;
        out_ += held_;
        held_.clear();
        state_ = State::kCode;
        return false;
      }
      Emit(c);
      return true;
    case State::kAfterEquals:
      if (IsBlank(c)) {
        Emit(c);
        return true;
      }
      account_at_ = held_.size();
      host_part_ = false;
      if (c == '\'' || c == '"' || c == '`') {
        quote_ = c;
        state_ = State::kName;
      } else if (IsWordChar(c)) {
        account_.user.push_back(c);
        state_ = State::kNameBare;
      } else {
        Emit(c);
        Malformed();
        return true;
      }
      Emit(c);
      return true;
    case State::kNameBare:
      if (host_part_ ? !IsHostChar(c) : !IsWordChar(c)) {
        EndName();
        return false;
      }
      (host_part_ ? account_.host : account_.user).push_back(c);
      Emit(c);
      return true;
    case State::kName:
      if (c == quote_) {
        state_ = State::kNameClose;
      } else if (c == '\\' && quote_ != '`') {
        state_ = State::kNameBackslash;
      } else {
        (host_part_ ? account_.host : account_.user).push_back(c);
      }
      Emit(c);
      return true;
    case State::kNameBackslash:
      AppendEscaped(c, host_part_ ? &account_.host : &account_.user);
      state_ = State::kName;
      Emit(c);
      return true;
    case State::kNameClose:
      if (c != quote_) {
        EndName();
        return false;
      }
      (host_part_ ? account_.host : account_.user).push_back(c);
      state_ = State::kName;
      Emit(c);
      return true;
    case State::kAfterUser:
      if (c != '@') {
        CompleteClause();
        return false;
      }
      state_ = State::kHostStart;
      Emit(c);
      return true;
    case State::kHostStart:
      host_part_ = true;
      if (c == '\'' || c == '"' || c == '`') {
        quote_ = c;
        state_ = State::kName;
      } else if (IsHostChar(c)) {
        account_.host.push_back(c);
        state_ = State::kNameBare;
      } else {
        Emit(c);
        Malformed();
        return true;
      }
      Emit(c);
      return true;
    case State::kAfterCurrent:
      if (c != '(') {
        CompleteClause();
        return false;
      }
      state_ = State::kCurrentParen;
      Emit(c);
      return true;
    case State::kCurrentParen:
      if (c == ')') {
        Emit(c);
        CompleteClause();
        return true;
      }
      if (!IsBlank(c)) {
        Emit(c);
        Malformed();
        return true;
      }
      Emit(c);
      return true;
  }
  return true;
}

}  // namespace mysql
}  // namespace dbdump
